"""Stopping a run on SIGTERM (a scheduler's cancel) or SIGINT (Ctrl-C): its children first (the dbt
build), then the run itself, recorded as ``cancelled``; the publish's switch is never cut in half.

``cancellable()`` installs the handlers for the length of a run (main thread only); a child process
registered with ``child()`` is terminated (then killed after ``GRACE_SECONDS``) when a signal comes;
``shielded()`` defers a signal until its block is done (``warehouse/duckdb_target.py`` publish).
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import psutil

GRACE_SECONDS = 5.0
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class RunCancelled(BaseException):
    """The run was told to stop. A ``BaseException`` (like ``KeyboardInterrupt``): no ``except
    Exception`` on the way up swallows it or retries the step."""

    def __init__(self, signum: int):
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"cancelled by {self.signal_name}")


_children: list[subprocess.Popen[str]] = []
_shield = {"depth": 0, "pending": 0}


@contextmanager
def child(process: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """Stop ``process`` with the run if a signal comes while it runs."""
    _children.append(process)
    try:
        yield process
    finally:
        _children.remove(process)


@contextmanager
def shielded() -> Iterator[None]:
    """A block a signal must not cut short: the signal is acted on when the block is done. If the
    block fails, its error goes up instead (the run fails anyway) and the signal is dropped, so no
    later block of this process is cancelled by it."""
    _shield["depth"] += 1
    succeeded = False
    try:
        yield
        succeeded = True
    finally:
        _shield["depth"] -= 1
        signum = _shield["pending"] if _shield["depth"] == 0 else 0
        if signum:
            _shield["pending"] = 0
    if succeeded and signum:
        stop_processes([*_children])
        raise RunCancelled(signum)


def stop_processes(processes: list[subprocess.Popen[str]] | list[psutil.Process]) -> None:
    """SIGTERM each (and SIGCONT, should one be stopped), SIGKILL what is left after the grace time."""
    for process in processes:
        try:
            process.terminate()
            process.send_signal(signal.SIGCONT)
        except (ProcessLookupError, psutil.NoSuchProcess):
            pass
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except (subprocess.TimeoutExpired, psutil.TimeoutExpired):
            process.kill()
        except psutil.NoSuchProcess:
            pass


def stop_descendants() -> None:
    """Every process this one started that is still there (workers, servers): stopped, as above."""
    stop_processes(psutil.Process().children(recursive=True))


def _handle(signum: int, _frame: FrameType | None) -> None:
    if _shield["depth"]:
        _shield["pending"] = signum
        return
    stop_processes([*_children])
    raise RunCancelled(signum)


@contextmanager
def cancellable() -> Iterator[None]:
    """SIGTERM and SIGINT raise ``RunCancelled`` in the run (after stopping its children) while the
    block runs; the previous handlers come back afterwards. Off the main thread, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _handle) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
