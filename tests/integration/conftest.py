"""Fixtures of the integration tests: two REAL Learning Record Stores on loopback.

- ``ralph``: Ralph (ralph-malph 5.1, fs backend; real basic auth; ``since`` filters on ``timestamp``),
- ``learning_locker``: Learning Locker's statements service (xapi-statements 5.0.1, in memory;
  spec-exact ``stored``, ``more`` = "" at the end, voiding; any credentials pass),
- ``lrs``: both, one after the other (parametrised).

Both are installed and started once per session by the project's scripts ``tests/lrs/ralph.sh``
and ``tests/lrs/learning_locker.sh`` (installs cached under ``TRAINOPS_LRS_CACHE``, default
``~/.cache/trainops-lrs``). If an LRS cannot be started the tests using it skip, except under
``CI=true`` where they fail (``need_service`` in tests/conftest.py). The servers are shared by the
session: a test that needs only its own statements filters on something it owns (a
``registration``, say), never on "everything stored".

And a real Postgres database (``postgres_database``: a fresh database per module on the server the
PG* variables name; CI starts one), created for the module and dropped after it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
import requests
from psycopg import sql

from warehouse import postgres_target as postgres

SCRIPTS = Path(__file__).resolve().parents[1] / "lrs"
LRS_USER, LRS_PASSWORD = "trainops-it", "it-Pa55-w0rd-7f3a9c"
VERSION_HEADER = {"X-Experience-API-Version": "1.0.3"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:  # a zombie (no reaper in some containers) is as good as gone
        return "\nState:\tZ" in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


@dataclass
class Lrs:
    """One running LRS, the statements posted to it in this session, and how to stop and restart it."""

    kind: str  # ralph | ll
    port: int
    state_dir: Path  # statements (Ralph), logs
    need_service: Callable[..., NoReturn]
    pid: int | None = None
    posted: list[str] = field(default_factory=list)
    hidden: set[str] = field(default_factory=set)  # voided statements the LRS no longer lists
    startup_seconds: float = 0.0
    user: str = LRS_USER  # basic auth (Ralph checks it; Learning Locker accepts anything)
    password: str = LRS_PASSWORD

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI/"

    @property
    def name(self) -> str:
        return "Ralph" if self.kind == "ralph" else "Learning Locker"

    def start(self, fresh: bool = False) -> None:
        """Install (once) and start the server with its script in tests/lrs; it prints the PID."""
        env = dict(os.environ)
        if self.kind == "ralph":
            env.update(RALPH_USER=self.user, RALPH_PASSWORD=self.password, RALPH_FRESH="1" if fresh else "0")
            command = [str(SCRIPTS / "ralph.sh"), str(self.port), str(self.state_dir)]
        else:
            missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
            if missing:
                self.need_service(f"the {self.name} LRS", f"{' and '.join(missing)} not found")
            command = [str(SCRIPTS / "learning_locker.sh"), str(self.port), str(self.state_dir)]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            self.need_service(f"the {self.name} LRS", f"{type(exc).__name__}: {exc}")
        if done.returncode != 0 or not done.stdout.strip().isdigit():
            lines = done.stderr.strip().splitlines() or [f"exit {done.returncode}"]
            cause = lines[-1].split(": ", 1)[-1]  # the script's last word, without its name
            self.need_service(f"the {self.name} LRS", cause, detail=" | ".join(lines[-8:]))
        self.pid = int(done.stdout.strip().splitlines()[-1])
        self.startup_seconds = time.perf_counter() - started

    def stop(self) -> None:
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while not process_gone(self.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not process_gone(self.pid):
            os.kill(self.pid, signal.SIGKILL)
        self.pid = None

    def post(self, statements: list[dict]) -> None:
        auth = (self.user, self.password)
        for start in range(0, len(statements), 500):
            batch = statements[start : start + 500]
            response = requests.post(self.url + "statements", json=batch, auth=auth, headers=VERSION_HEADER, timeout=60)
            assert response.status_code == 200, response.text[:300]
            assert response.json() == [statement["id"] for statement in batch]
            self.posted.extend(statement["id"] for statement in batch)
        if self.kind == "ll":  # LL stops listing a voided statement; Ralph lists it still
            self.hidden.update(s["object"]["id"] for s in statements if s["verb"]["id"].endswith("/voided"))

    def visible(self) -> set[str]:
        return set(self.posted) - self.hidden


def start_lrs(kind: str, tmp_path_factory, need_service) -> Lrs:
    server = Lrs(kind, free_port(), tmp_path_factory.mktemp(f"{kind}-lrs"), need_service)
    server.start(fresh=True)
    return server


@pytest.fixture(scope="session")
def ralph(tmp_path_factory, need_service):
    server = start_lrs("ralph", tmp_path_factory, need_service)
    print(f"\n[figures] ralph started in {server.startup_seconds:.1f} s on port {server.port}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def learning_locker(tmp_path_factory, need_service):
    server = start_lrs("ll", tmp_path_factory, need_service)
    print(f"\n[figures] learning locker started in {server.startup_seconds:.1f} s on port {server.port}")
    yield server
    server.stop()


@pytest.fixture(params=["ralph", "ll"])
def lrs(request) -> Lrs:
    return request.getfixturevalue("ralph" if request.param == "ralph" else "learning_locker")


@pytest.fixture(scope="module")
def postgres_database(monkeypatch_module, need_service):
    """A fresh database on the local server, dropped afterwards; PGDATABASE points at it."""
    admin = {key: value for key, value in postgres.connection_settings().items() if key != "dbname"}
    name = f"trainops_test_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(**admin, dbname="postgres", autocommit=True, connect_timeout=5) as con:
            con.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        cause = f"{postgres.describe()}: {str(exc).splitlines()[0].rsplit(': ', 1)[-1]}"
        need_service("Postgres", cause, detail=f".ci/run starts one; {exc}")
    monkeypatch_module.setenv("PGDATABASE", name)
    monkeypatch_module.setenv(postgres.BI_ROLE_ENV, f"{name}_bi")  # roles are cluster-wide
    yield name
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as con:
        con.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        con.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(f"{name}_bi")))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch
