// Required by learning_locker_start.js before Learning Locker's statements service is loaded.
//
// Why: LL's in-memory store (MODELS_REPO=memory) gives each statement an internal `_id` from uuid v1
// and pages with `more` by comparing those ids as strings (`_id > cursor`). A uuid v1 string starts
// with the LOW 32 bits of its 100-ns timestamp, which wrap every 429.5 s; statements stored after a
// wrap sort below the cursor and a paging client never sees them (`more` skips them). Production LL
// (MODELS_REPO=mongo) uses time-ordered ObjectIds and has no such gap. This makes the in-memory ids
// time-ordered the same way (the uuid v6 layout: high time bits first), so a test session that
// crosses a wrap still exercises LL's real paging instead of this test double's bug.
'use strict';
const uuid = require(require.resolve('uuid', { paths: [process.cwd()] }));
const v1 = uuid.v1;
uuid.v1 = function timeOrderedV1(...args) {
  const [low, mid, hiAndVersion, clockSeq, node] = v1(...args).split('-');
  const time = hiAndVersion.slice(1) + mid + low; // 60 bits, most significant first
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-6${time.slice(12, 15)}-${clockSeq}-${node}`;
};
