"""Crash-test hooks: stop the process at a named point so a test can SIGKILL it there.

With ``TRAINOPS_TEST_PAUSE_AT=<point>`` in the environment, the first thread that reaches
``pause_point(<point>)`` (and every later one) writes ``TRAINOPS_TEST_PAUSE_FILE`` (if set) and waits
forever; a child process handed in (the dbt build) is stopped with SIGSTOP first, so it dies half
way when the test kills the process group. Without the variable this is a no-op. Points:

- ``extract``: a load is half written under its ``.tmp-`` name (``connectors/landing.py``)
- ``landed``: a load is committed, the source's state is not (``pipeline/steps.py``)
- ``dbt-build``: dbt is writing the build database (``warehouse/dbt.py``)
- ``publish``: the new marts file is staged, not yet swapped in (``warehouse/duckdb_target.py``)
- ``publish-switch``: ``marts.duckdb`` is swapped in, ``exports/current`` not yet (same file; not in
  ``POINTS``, the recovery chain's list)
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

PAUSE_AT = "TRAINOPS_TEST_PAUSE_AT"
PAUSE_FILE = "TRAINOPS_TEST_PAUSE_FILE"
POINTS = ("extract", "landed", "dbt-build", "publish")


def pause_point(
    point: str, *, child: subprocess.Popen[str] | None = None, ready: Callable[[], bool] | None = None
) -> None:
    """Wait here forever if the test hook asks for ``point`` (see the module docstring)."""
    if os.environ.get(PAUSE_AT) != point:
        return
    if child is not None:
        while ready is not None and not ready() and child.poll() is None:
            time.sleep(0.05)
        if child.poll() is None:
            os.kill(child.pid, signal.SIGSTOP)
    marker = os.environ.get(PAUSE_FILE)
    if marker:
        Path(marker).write_text(f"{os.getpid()} {point}\n")
    threading.Event().wait()
