"""The checks ``trainops run`` makes before Prefect starts: paths and credentials, in well under a
second, so a mistake shows at once instead of after Prefect's start-up (tens of seconds on a loaded
machine). The config itself is checked by loading it (``pipeline/config.py``).

Nothing here imports Prefect, dbt or Great Expectations (``tests/unit/pipeline/test_preflight.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from connectors.options import SecretEnv
from pipeline.config import Config, ConfigError, FileSource


@dataclass
class Preflight:
    """What the checks found: ``problems`` stop the run (exit code 2); ``warnings`` are printed and
    the run goes on (the source concerned fails its extraction, and ``freshness.on_stale`` decides)."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _writable_dir(path: Path) -> str | None:
    """Why ``path`` cannot be the data home (None: it can): the nearest existing ancestor must be a
    writable directory."""
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            return f"no existing parent directory of {path}"
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable by this user"
    return None


def missing_credentials(config: Config, env: Mapping[str, str]) -> list[str]:
    """The API sources' credential options whose environment variable is not set (names only,
    never values)."""
    missing = []
    for source in config.sources:
        if isinstance(source, FileSource):
            continue
        for option in type(source).model_fields:
            value = getattr(source, option, None)
            if isinstance(value, SecretEnv) and not env.get(value):
                missing.append(f"source {source.name!r}: environment variable {value} (option {option}) is not set")
    return missing


def check(config: Config, env: Mapping[str, str] = os.environ) -> Preflight:
    """Check the data home, the reference data, the drop directories and the credentials."""
    found = Preflight()
    reason = _writable_dir(config.home)
    if reason is not None:
        found.problems.append(f"{config.path}: home {config.home}: {reason}")
    if not config.reference_dir.is_dir():
        found.problems.append(f"{config.path}: reference_dir {config.reference_dir} is not a directory")
    for source in config.sources:
        if isinstance(source, FileSource) and not source.path.is_dir():
            found.warnings.append(f"source {source.name!r}: drop directory {source.path} does not exist")
    found.warnings += missing_credentials(config, env)
    if config.notify_webhook_env and not env.get(config.notify_webhook_env):
        found.warnings.append(
            f"notify_webhook_env: environment variable {config.notify_webhook_env} is not set (no failure webhook)"
        )
    return found


def raise_problems(found: Preflight) -> None:
    if found.problems:
        raise ConfigError("; ".join(found.problems))
