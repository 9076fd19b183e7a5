#!/usr/bin/env bash
# Start Ralph (PyPI package ralph-malph 5.1.0, an xAPI Learning Record Store) on 127.0.0.1 for the
# integration tests: the file-system backend (statements in STATE_DIR/data, no database) and HTTP
# basic auth for one user with every scope.
#
#   RALPH_USER=name RALPH_PASSWORD=secret tests/lrs/ralph.sh PORT STATE_DIR
#
# The credentials come from the environment, never the command line (where `ps` would show them).
# The server's PID is the only line on stdout; progress and errors go to stderr, the server's own
# log to STATE_DIR/server.log. Stop it with `kill PID`. RALPH_FRESH=1 deletes the statements kept
# in STATE_DIR first; without it a restart on the same STATE_DIR serves the same statements.
#
# Ralph is pip-installed once into its own virtualenv, ${TRAINOPS_LRS_CACHE:-~/.cache/trainops-lrs}/
# ralph-5.1.0 (about 10 s; PyPI only). It needs Python >= 3.11 with the venv module: before 3.11,
# datetime.fromisoformat rejects the trailing "Z" of the `since` parameter and of stored timestamps.
# RALPH_PYTHON picks the interpreter (default python3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

version=5.1.0
[ $# -eq 2 ] || fail "usage: RALPH_USER=… RALPH_PASSWORD=… $0 PORT STATE_DIR"
port=$1
port_argument "$port"
[ -n "${RALPH_USER:-}" ] && [ -n "${RALPH_PASSWORD:-}" ] || fail "RALPH_USER and RALPH_PASSWORD must be set"
state=$(absolute_dir "$2")
mkdir -p "$state/data"
venv=$cache/ralph-$version
base=${RALPH_PYTHON:-python3}

install_ralph() {
    command -v "$base" >/dev/null || fail "$base not found (set RALPH_PYTHON)"
    "$base" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        fail "$base is $("$base" -V 2>&1); Ralph needs Python >= 3.11 (set RALPH_PYTHON)"
    "$base" -m venv "$venv" || fail "'$base -m venv' failed (on Debian: apt-get install python3-venv)"
    say "installing ralph-malph[lrs,cli]==$version into $venv"
    # ralph.api imports requests, which 5.1.0's lrs extra does not list
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "ralph-malph[lrs,cli]==$version" requests >&2
}
install_once "$venv" install_ralph

# --- Ralph's settings (read from RALPH_* variables); everything stays in STATE_DIR ----------------
export RALPH_APP_DIR=$state
export RALPH_AUTH_FILE=$state/auth.json
export RALPH_HISTORY_FILE=$state/history.json
export RALPH_RUNSERVER_BACKEND=fs
export RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=$state/data
export RALPH_RUNSERVER_AUTH_BACKENDS=basic
cd "$state" # Ralph also reads a .env file from the working directory: never the project's

if [ "${RALPH_FRESH:-0}" = 1 ]; then
    rm -f "$state/data/fs_lrs.jsonl" "$state/history.json"
fi

# --- the one user: a bcrypt hash in Ralph's own credentials model, agent = an account named USER ---
"$venv/bin/python" - <<'PY' || fail "could not write $state/auth.json"
import os

import bcrypt
from ralph.api.auth.basic import ServerUsersCredentials

user, password = os.environ["RALPH_USER"], os.environ["RALPH_PASSWORD"]
entry = {
    "username": user,
    "hash": bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode("ascii"),
    "scopes": ["all"],
    "agent": {"objectType": "Agent", "account": {"name": user, "homePage": "http://localhost"}},
}
users = ServerUsersCredentials.model_validate([entry])
with open(os.environ["RALPH_AUTH_FILE"], "w", encoding="utf-8") as file:
    file.write(users.model_dump_json(indent=2, exclude_none=True))
PY

# --- start, then wait until an authenticated request is answered -------------------------------
echo "--- $(date -u +%FT%TZ) ralph.sh: port $port" >>"$state/server.log"
nohup "$venv/bin/python" -m uvicorn --app-dir "$here" ralph_fs_append:app \
    --host 127.0.0.1 --port "$port" >>"$state/server.log" 2>&1 </dev/null &
pid=$!
if ! "$venv/bin/python" - "$port" "$pid" <<'PY'; then
import base64, os, sys, time, urllib.request

port, pid = sys.argv[1], int(sys.argv[2])
token = base64.b64encode(f"{os.environ['RALPH_USER']}:{os.environ['RALPH_PASSWORD']}".encode()).decode()
request = urllib.request.Request(f"http://127.0.0.1:{port}/whoami", headers={"Authorization": f"Basic {token}"})
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("the server exited")
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            if response.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit("no answer within 60 s")
PY
    kill "$pid" 2>/dev/null || true
    tail -n 15 "$state/server.log" >&2
    fail "Ralph did not come up on 127.0.0.1:$port (log: $state/server.log)"
fi
echo "$pid"
