"""`trainops.yaml`: loading and validation (README.md; the shape is public API).

Errors name the file and the key path (``sources[2].kind``) so a user can fix them without reading
code. Relative paths resolve against the file's directory.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

FILE_KINDS = (
    "hris_csv",
    "xapi_files",
    "lms_csv",
    "sessions_csv",
    "bookings_csv",
    "invoices_csv",
    "invoices_xml",
)
DEFAULT_CONFIG_NAMES = ("trainops.yaml", "trainops.yml")
DEMO_DIR = Path("data") / "demo"  # where `trainops demo` generates its enterprise and config
DEMO_SOURCES = {  # source name → (kind, folder under the demo's drops/)
    "hr": ("hris_csv", "hris"),
    "lrs_export": ("xapi_files", "xapi"),
    "legacy_lms": ("lms_csv", "lms"),
    "sessions": ("sessions_csv", "sessions"),
    "bookings": ("bookings_csv", "bookings"),
    "invoices_csv": ("invoices_csv", "invoices_csv"),
    "einvoices": ("invoices_xml", "invoices_xml"),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ON_STALE = ("hold", "publish")
TASK_RUNNERS = ("threads", "dask")  # what runs the extraction tasks (README "Distributed extraction")
_DASK_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?\[?[A-Za-z0-9_.:-]+\]?:\d{1,5}$")
TARGETS = ("duckdb", "postgres")  # where dbt builds and BI reads (README "Scaling out")


class ConfigError(Exception):
    """A configuration problem, with a one-line message naming the file and key."""


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    path: Path | None = None  # file kinds: a directory
    glob: str | None = None  # file kinds: optional pattern inside it
    options: dict[str, Any] = field(default_factory=dict)  # API kinds: url, *_env names, …


@dataclass(frozen=True)
class Extraction:
    """``extract:`` — what runs the extraction tasks (one per source) of a nightly run."""

    task_runner: str = "threads"  # threads: a thread pool in the run's process | dask: a Dask cluster
    workers: int = 4  # threads: concurrent extractions; dask: worker processes of a local cluster
    dask_address: str | None = None  # dask: the scheduler of a running cluster (else a local one)


@dataclass(frozen=True)
class Config:
    path: Path
    home: Path
    reference_dir: Path
    timezone: str
    sources: tuple[Source, ...]
    due_soon_days: int = 30
    max_error_fraction: float = 0.5
    # operations (README "Operations"): how long a run waits for another run's lock; what a run does
    # when a source cannot be extracted; when `status` calls a source stale; where failures are sent
    lock_wait: float = 0.0  # seconds; 0 = exit at once with a clear message
    on_stale: str = "hold"  # hold: keep the published marts, fail the run | publish: publish, warn
    max_age_hours: float = 36.0
    notify_webhook_env: str | None = None  # NAME of the env var holding a Slack-compatible webhook URL
    extract: Extraction = field(default_factory=Extraction)
    target: str = "duckdb"  # duckdb: files under home/warehouse | postgres: flows/postgres.py (PG* env vars)

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse"

    @property
    def exports(self) -> Path:
        return self.home / "exports"

    @property
    def marts_db(self) -> Path:
        return self.warehouse / "marts.duckdb"

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise ConfigError(f"{self.path}: no source named {name!r} (have: {', '.join(self.names)})")

    @property
    def names(self) -> list[str]:
        return [source.name for source in self.sources]


def write_demo_config(demo_dir: Path, home: Path) -> Path:
    """The configuration of a generated demo enterprise (the layout ``demo/`` writes)."""
    lines = [
        "# Written by `trainops demo`: the generated demo enterprise. See README to point at your own drops.",
        f"home: {os.path.relpath(home, demo_dir)}",
        "reference_dir: ./reference",
        "timezone: Europe/London",
        "sources:",
    ]
    lines += [
        f"  - {{name: {name}, kind: {kind}, path: ./drops/{folder}}}" for name, (kind, folder) in DEMO_SOURCES.items()
    ]
    path = demo_dir / "trainops.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--config`` first, then ``$TRAINOPS_CONFIG``, then ``trainops.yaml`` in the working directory,
    then the demo's (``data/demo/trainops.yaml``, written by ``trainops demo``)."""
    candidates: list[Path] = []
    if explicit:
        candidates = [Path(explicit)]
    elif os.environ.get("TRAINOPS_CONFIG"):
        candidates = [Path(os.environ["TRAINOPS_CONFIG"])]
    else:
        candidates = [Path.cwd() / name for name in DEFAULT_CONFIG_NAMES] + [Path.cwd() / DEMO_DIR / "trainops.yaml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise ConfigError(
        f"no configuration found (looked for {', '.join(str(c) for c in candidates)}); "
        "pass --config FILE or set TRAINOPS_CONFIG"
    )


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    config_path = find_config(path)
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{config_path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read ({exc.strerror})") from None
    return parse_config(data, config_path)


def parse_config(data: Any, config_path: Path) -> Config:
    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{config_path}: {key}: {message}")

    if not isinstance(data, dict):
        raise fail("(top level)", "expected a mapping of keys such as home, reference_dir, sources")
    known = {
        "home", "reference_dir", "timezone", "sources", "due_soon_days", "max_error_fraction",
        "lock_wait", "freshness", "notify_webhook_env", "extract", "target",
    }  # fmt: skip
    for key in data:
        if key not in known:
            raise fail(str(key), f"unknown key (expected one of: {', '.join(sorted(known))})")
    base = config_path.parent
    env_home = os.environ.get("TRAINOPS_HOME")
    home = Path(env_home) if env_home else _path(data.get("home", "./data"), base, "home", fail)
    if "reference_dir" not in data:
        raise fail("reference_dir", "required: the directory of courses.csv, training_requirements.csv, …")
    reference_dir = _path(data["reference_dir"], base, "reference_dir", fail)
    timezone = data.get("timezone", "UTC")
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise fail("timezone", f"unknown IANA timezone {timezone!r} (e.g. Europe/London)") from None
    due_soon_days = data.get("due_soon_days", 30)
    if not isinstance(due_soon_days, int) or isinstance(due_soon_days, bool) or due_soon_days < 0:
        raise fail("due_soon_days", f"expected a whole number of days ≥ 0, got {due_soon_days!r}")
    max_error_fraction = data.get("max_error_fraction", 0.5)
    if not isinstance(max_error_fraction, int | float) or not 0 <= max_error_fraction <= 1:
        raise fail("max_error_fraction", f"expected a number between 0 and 1, got {max_error_fraction!r}")
    operations = _operations(data, fail)
    extract = _extraction(data.get("extract"), fail)
    target = os.environ.get("TRAINOPS_TARGET") or data.get("target", "duckdb")
    if target not in TARGETS:
        where = "target (from TRAINOPS_TARGET)" if os.environ.get("TRAINOPS_TARGET") else "target"
        raise fail(where, f"expected one of {', '.join(TARGETS)}, got {target!r}")

    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise fail("sources", "expected a non-empty list of sources")
    sources: list[Source] = []
    for index, raw in enumerate(raw_sources):
        key = f"sources[{index}]"
        if not isinstance(raw, dict):
            raise fail(key, "expected a mapping with name and kind")
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise fail(f"{key}.name", f"expected a lowercase identifier such as 'hr', got {name!r}")
        if name in (source.name for source in sources):
            raise fail(f"{key}.name", f"duplicate source name {name!r}")
        kind = raw.get("kind")
        api_kinds = api_connector_options()
        if kind not in FILE_KINDS and kind not in api_kinds:
            raise fail(
                f"{key}.kind",
                f"unknown kind {kind!r} (file kinds: {', '.join(FILE_KINDS)}; API kinds: {', '.join(api_kinds)})",
            )
        if kind in api_kinds:
            options = {k: v for k, v in raw.items() if k not in {"name", "kind"}}
            for option, required in api_kinds[kind].items():
                if required and option not in options:
                    raise fail(f"{key}.{option}", f"required for kind {kind}")
            for option in options:
                if option not in api_kinds[kind]:
                    raise fail(f"{key}.{option}", f"unknown key for kind {kind} (known: {', '.join(api_kinds[kind])})")
            for option, value in options.items():
                if option.endswith("_env") and (not isinstance(value, str) or not value):
                    raise fail(f"{key}.{option}", "expected the NAME of an environment variable holding the secret")
            sources.append(Source(name=name, kind=kind, options=options))
            continue
        if "path" not in raw:
            raise fail(f"{key}.path", f"required for kind {kind}: the directory its files are dropped in")
        path = _path(raw["path"], base, f"{key}.path", fail)
        glob = raw.get("glob")
        if glob is not None and not isinstance(glob, str):
            raise fail(f"{key}.glob", f"expected a pattern such as '*.csv', got {glob!r}")
        extra = {k: v for k, v in raw.items() if k not in {"name", "kind", "path", "glob"}}
        if extra:
            raise fail(f"{key}.{next(iter(extra))}", f"unknown key for kind {kind}")
        sources.append(Source(name=name, kind=kind, path=path, glob=glob))
    return Config(
        path=config_path,
        home=home,
        reference_dir=reference_dir,
        timezone=str(timezone),
        sources=tuple(sources),
        due_soon_days=due_soon_days,
        max_error_fraction=float(max_error_fraction),
        extract=extract,
        target=target,
        **operations,
    )


def _operations(data: dict[str, Any], fail: Any) -> dict[str, Any]:
    """``lock_wait``, ``freshness: {on_stale, max_age_hours}`` and ``notify_webhook_env``."""
    lock_wait = data.get("lock_wait", 0)
    if not isinstance(lock_wait, int | float) or isinstance(lock_wait, bool) or lock_wait < 0:
        raise fail("lock_wait", f"expected seconds ≥ 0 to wait for another run's lock, got {lock_wait!r}")
    freshness = data.get("freshness") or {}
    if not isinstance(freshness, dict):
        raise fail("freshness", "expected a mapping with on_stale and/or max_age_hours")
    for key in freshness:
        if key not in ("on_stale", "max_age_hours"):
            raise fail(f"freshness.{key}", "unknown key (expected on_stale or max_age_hours)")
    on_stale = freshness.get("on_stale", "hold")
    if on_stale not in ON_STALE:
        raise fail("freshness.on_stale", f"expected one of {', '.join(ON_STALE)}, got {on_stale!r}")
    max_age = freshness.get("max_age_hours", 36)
    if not isinstance(max_age, int | float) or isinstance(max_age, bool) or max_age <= 0:
        raise fail("freshness.max_age_hours", f"expected a number of hours > 0, got {max_age!r}")
    webhook_env = data.get("notify_webhook_env")
    if webhook_env is not None and (not isinstance(webhook_env, str) or not _ENV_NAME.match(webhook_env)):
        raise fail(
            "notify_webhook_env",
            "expected the NAME of an environment variable holding the webhook URL (a URL is a secret: "
            "keep it out of this file)",
        )
    return {
        "lock_wait": float(lock_wait),
        "on_stale": on_stale,
        "max_age_hours": float(max_age),
        "notify_webhook_env": webhook_env,
    }


def _extraction(raw: Any, fail: Any) -> Extraction:
    """``extract: {task_runner, workers, dask_address}``."""
    if raw is None:
        return Extraction()
    if not isinstance(raw, dict):
        raise fail("extract", "expected a mapping with task_runner, workers and/or dask_address")
    for key in raw:
        if key not in ("task_runner", "workers", "dask_address"):
            raise fail(f"extract.{key}", "unknown key (expected task_runner, workers or dask_address)")
    task_runner = raw.get("task_runner", "threads")
    if task_runner not in TASK_RUNNERS:
        raise fail("extract.task_runner", f"expected one of {', '.join(TASK_RUNNERS)}, got {task_runner!r}")
    workers = raw.get("workers", 4)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise fail("extract.workers", f"expected a whole number ≥ 1, got {workers!r}")
    address = raw.get("dask_address")
    if address is not None:
        if task_runner != "dask":
            raise fail("extract.dask_address", "only with task_runner: dask")
        if not isinstance(address, str) or not _DASK_ADDRESS.match(address.strip()):
            example = "tcp://10.0.0.5:8786"
            raise fail("extract.dask_address", f"expected a Dask scheduler address such as {example}, got {address!r}")
        if "workers" in raw:
            raise fail("extract.workers", "not with dask_address (the cluster's own workers run the extraction)")
        address = address.strip()
    if task_runner == "dask" and importlib.util.find_spec("prefect_dask") is None:
        raise fail("extract.task_runner", "dask needs the prefect-dask package (uv sync installs it)")
    return Extraction(task_runner=task_runner, workers=workers, dask_address=address)


def api_connector_options() -> dict[str, dict[str, bool]]:
    """API connector kinds and their options (key → required), from ``connectors/api.py``."""
    try:
        from connectors.api import API_CONNECTORS
    except ImportError:  # the API connectors are optional at import time
        return {}
    return {kind: dict(cls.OPTIONS) for kind, cls in API_CONNECTORS.items()}


def _path(value: Any, base: Path, key: str, fail: Any) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise fail(key, f"expected a path, got {value!r}")
    path = Path(os.path.expandvars(os.path.expanduser(value)))
    return (path if path.is_absolute() else base / path).resolve()
