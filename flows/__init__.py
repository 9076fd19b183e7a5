"""Prefect flows (``nightly``, ``backfill``) and the ``trainops`` command (``cli``)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.config import Config

# Telemetry off everywhere, before any of these libraries is imported. A user's own
# setting wins.
for _name, _value in {
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}.items():
    os.environ.setdefault(_name, _value)


def load_run_config(config_path: str | os.PathLike[str] | None, target: str | None = None) -> Config:
    """``trainops.yaml`` as a run uses it: ``target`` (the flows' parameter, the CLI's ``--target``),
    when given, replaces the file's ``target`` in a copy of the loaded config."""
    from pipeline.config import load_config

    config = load_config(config_path)
    return config if target is None else config.model_copy(update={"target": target})
