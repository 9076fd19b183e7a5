#!/usr/bin/env bash
# Start Learning Locker's statements service (npm package xapi-statements 5.0.1) on 127.0.0.1 for
# the integration tests, with everything in memory: a second real LRS whose behaviour is
# spec-exact where Ralph's is not (`since`/`until` on `stored`, `more` = "" at the end, the
# X-Experience-API-Consistent-Through header, voiding, 400 without a version header).
# In this mode it accepts any credentials, all statements of one POST share one `stored`, and the
# statements are gone when it stops.
#
#   tests/lrs/learning_locker.sh PORT RUN_DIR
#
# RUN_DIR receives server.log and the request logs. The server's PID is the only line on stdout;
# progress and errors go to stderr. Stop it with `kill PID`.
# Needs node and npm: the package is installed once into
# ${TRAINOPS_LRS_CACHE:-~/.cache/trainops-lrs}/xapi-statements-5.0.1 (about 30 s, 160 MB).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

version=5.0.1
[ $# -eq 2 ] || fail "usage: $0 PORT RUN_DIR"
port=$1
port_argument "$port"
for tool in node npm; do
    command -v "$tool" >/dev/null || fail "$tool not found (on Debian: apt-get install nodejs npm)"
done
run=$(absolute_dir "$2")
mkdir -p "$run/logs"
install=$cache/xapi-statements-$version

install_xapi_statements() {
    say "installing xapi-statements@$version into $install"
    (cd "$install" && npm install --silent --no-audit --no-fund "xapi-statements@$version" >&2)
}
install_once "$install" install_xapi_statements

# --- start, then wait until a statements query is answered --------------------------------------
cd "$install"
EXPRESS_PORT=$port AUTH_REPO=test EVENTS_REPO=test MODELS_REPO=memory STORAGE_REPO=memory \
    EXPRESS_MORGAN_DIRECTORY="$run/logs" \
    nohup node "$here/learning_locker_start.js" >>"$run/server.log" 2>&1 </dev/null &
pid=$!
if ! node - "$port" "$pid" <<'JS'; then
const http = require('http');
const [port, pid] = process.argv.slice(2).map(Number);
const deadline = Date.now() + 60000;
const options = {
  host: '127.0.0.1', port, path: '/xAPI/statements?limit=1', auth: 'any:any',
  headers: { 'X-Experience-API-Version': '1.0.3' }, timeout: 2000,
};
function alive() { try { process.kill(pid, 0); return true; } catch { return false; } }
function retry() {
  if (!alive()) { console.error('the server exited'); process.exit(1); }
  if (Date.now() > deadline) { console.error('no answer within 60 s'); process.exit(1); }
  setTimeout(attempt, 200);
}
function attempt() {
  const request = http.get(options, (response) => {
    response.resume();
    if (response.statusCode === 200) process.exit(0);
    retry();
  });
  request.on('error', retry);
  request.on('timeout', () => request.destroy());
}
attempt();
JS
    kill "$pid" 2>/dev/null || true
    tail -n 15 "$run/server.log" >&2
    fail "Learning Locker did not come up on 127.0.0.1:$port (log: $run/server.log)"
fi
echo "$pid"
