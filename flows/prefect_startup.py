"""Prefect's start-up, begun in the background while ``trainops run`` checks paths and credentials.

Importing Prefect and the flows takes seconds, and without ``PREFECT_API_URL`` the first flow call
starts Prefect's ephemeral server (a uvicorn child process: 5–40 s on a loaded 2-core machine). With
``PREFECT_API_URL`` set (a running ``prefect server start``, or Prefect Cloud) that server is reused and
nothing is started. ``benchmarks/run.py`` measures both costs (``startup`` in the results).
"""

from __future__ import annotations

import os
import threading
import time


def describe() -> str:
    """Which Prefect API the run will use (without importing Prefect)."""
    url = os.environ.get("PREFECT_API_URL")
    return f"server at {url}" if url else "an ephemeral server; set PREFECT_API_URL to reuse a running one"


class Startup:
    """Imports the flows (and Prefect) and, without ``PREFECT_API_URL``, starts the ephemeral server,
    in a thread; ``wait()`` joins it and re-raises what it raised, ``seconds`` is how long it took."""

    def __init__(self) -> None:
        self.seconds: float | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="prefect-startup", daemon=True)

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            import flows.nightly  # noqa: F401  (Prefect, the flows and their libraries)

            if not os.environ.get("PREFECT_API_URL"):
                from prefect.server.api.server import SubprocessASGIServer

                SubprocessASGIServer().start()  # the one the flow's client will use (one per process)
        except BaseException as exc:  # re-raised by wait(), in the caller's thread
            self.error = exc
        self.seconds = time.perf_counter() - started

    def wait(self) -> float:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.seconds or 0.0


def start() -> Startup:
    startup = Startup()
    startup._thread.start()
    return startup
