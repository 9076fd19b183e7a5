// Starts Learning Locker's statements service (npm package xapi-statements), installed in the
// working directory, listening on 127.0.0.1 only. Run by learning_locker.sh, which sets the
// service's EXPRESS_PORT and *_REPO variables.
'use strict';
const http = require('http');

require('./ll_time_ordered_ids.js'); // before the service loads uuid: why in that file

// the service listens on every interface by default: give listen() the loopback host
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function loopbackOnly(port, ...rest) {
  if (rest.length === 0 || typeof rest[0] === 'function') return listen.call(this, port, '127.0.0.1', ...rest);
  return listen.apply(this, [port, ...rest]);
};

require(require.resolve('xapi-statements/dist/server', { paths: [process.cwd()] }));
