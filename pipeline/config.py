"""`trainops.yaml`: loading and validation (README.md; the shape is public API).

The whole file is a frozen pydantic model (``Config``): unknown keys are errors, each source is
validated against its kind's model (a ``FileSource``, or the API kind's options model from
``connectors/registry.py``), and every error becomes one line naming the file and the key path
(``sources[2].kind``) so a user can fix it without reading code. Relative paths resolve against the
file's directory; ``~`` and ``$VARS`` are expanded. ``TRAINOPS_HOME`` and ``TRAINOPS_TARGET`` override
``home`` and ``target``. Secrets are named by environment variable (``*_env``), never written here.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self, TypeAlias, Union, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass

from connectors import registry
from connectors.files import FileDropOptions
from connectors.mapping import Mapping as SourceMapping
from connectors.mapping import check_mapping
from connectors.options import (
    Count,
    Seconds,
    SecretEnv,
    StrictModel,
    WholeNumber,
    check_keys,
    invalid,
    number,
    shown,
)
from pipeline.config_errors import first_error
from pipeline.demo_config import DEMO_DIR
from pipeline.settings import (
    BuildSettings,
    Checks,
    ComplianceHistory,
    PostgresSettings,
    Schedule,
    XapiFileSettings,
)

DEFAULT_CONFIG_NAMES = ("trainops.yaml", "trainops.yml")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_DASK_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ucx|ws|wss)://)?\[?[A-Za-z0-9_.:-]+\]?:\d{1,5}$")


class ConfigError(Exception):
    """A configuration problem, with a one-line message naming the file and key."""


# -- value types -------------------------------------------------------------------------------------


def _env(info: ValidationInfo) -> Mapping[str, str]:
    env: Mapping[str, str] = (info.context or {}).get("env", os.environ)
    return env


def _config_path(value: Any, info: ValidationInfo) -> Path:
    """A path as written in the file: ``~`` and ``$VARS`` expanded, relative to the file's directory."""
    if not isinstance(value, str | Path) or not str(value).strip():
        raise invalid(f"expected a path, got {shown(value)}")
    path = Path(os.path.expandvars(os.path.expanduser(str(value))))
    base = (info.context or {}).get("base")
    return (base / path if base is not None and not path.is_absolute() else path).resolve()


def _zone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"unknown IANA timezone {shown(value)} (e.g. Europe/London)") from None
    return str(value)


def _source_name(value: Any) -> str:
    if isinstance(value, str) and _NAME.match(value):
        return value
    raise invalid(f"expected a lowercase identifier such as 'hr', got {shown(value)}")


def _mapping_or_default(what: str) -> Any:
    def check(value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise invalid(f"expected a mapping with {what}")
        return value

    return BeforeValidator(check)


ConfigPath = Annotated[Path, BeforeValidator(_config_path)]
Timezone = Annotated[str, BeforeValidator(_zone)]
Fraction = Annotated[float, BeforeValidator(number(0.0, maximum=1.0))]
Hours = Annotated[float, BeforeValidator(number(0.0, above=True))]


# -- sources -----------------------------------------------------------------------------------------


class SourceBase(StrictModel):
    name: Annotated[str, BeforeValidator(_source_name)]
    # The IANA zone this source writes timestamps without a UTC offset in (e.g. an LMS exporting
    # local time); unset: such a timestamp is a reject (parse.naive_timestamp), never taken as UTC.
    assume_timezone: Timezone | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_and_required_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            check_keys(cls.model_fields, data, kind=str(data.get("kind")))
        return data


class LearnerSettings(StrictModel):
    """``learners:`` of a source that names learners (docs/data-model.md, learner identity)."""

    # Which employee fields an xAPI account name or a ``user:`` id of this source may match directly
    # (dbt var ``learner_matching``); none by default: an LMS's user 1 is not HR's employee 1.
    match_names_to: tuple[Literal["employee_id", "email"], ...] = ()


class FileSource(SourceBase, FileDropOptions):
    """A directory of dropped files of one file kind (docs/data-model.md)."""

    kind: Literal[tuple(registry.FILE_KINDS)]  # type: ignore[valid-type]
    path: ConfigPath = Field(description="the directory its files are dropped in")
    learners: LearnerSettings = LearnerSettings()
    mapping: SourceMapping | None = None  # a foreign layout read into the kind's canonical rows (connectors/mapping)
    xapi: XapiFileSettings = XapiFileSettings()  # xapi_files only: where occurred_at comes from

    @model_validator(mode="after")
    def _mapping_fits_kind(self) -> Self:
        if self.mapping is not None:
            check_mapping(self.kind, self.mapping)
        return self

    @model_validator(mode="after")
    def _one_zone_for_naive_timestamps(self) -> Self:
        zone = self.mapping.timezone if self.mapping is not None else None
        if zone and self.assume_timezone and zone != self.assume_timezone:
            raise invalid(
                f"{shown(zone)} differs from assume_timezone {shown(self.assume_timezone)}: naive timestamps"
                " are read in one zone, set one of the two",
                field="mapping.timezone",
            )
        return self

    @model_validator(mode="after")
    def _xapi_only(self) -> Self:
        if self.kind != "xapi_files" and "xapi" in self.model_fields_set:
            raise invalid("only for kind xapi_files", field="xapi")
        return self


class ApiSource(SourceBase):
    """An API source: its kind's options (``connectors/registry.py``) beside ``name`` and ``kind``."""

    kind: str

    @property
    def path(self) -> None:
        return None

    @property
    def glob(self) -> None:
        return None


def _api_source_model(kind: str) -> type[ApiSource]:
    options = registry.api_connector(kind).options_type
    name = options.__name__.removesuffix("Options") + "Source"
    kind_type: Any = Literal[kind]  # a Literal built at run time: a value to mypy, not a type
    model = create_model(name, __base__=(ApiSource, options), __module__=__name__, kind=(kind_type, ...))
    globals()[name] = model  # importable by name, so a source pickles (Dask workers)
    return cast(type[ApiSource], model)


SOURCE_MODELS: dict[str, type[SourceBase]] = {
    **{kind: FileSource for kind in registry.FILE_KINDS},
    **{kind: _api_source_model(kind) for kind in registry.API_CONNECTORS},
}
Source: TypeAlias = FileSource | ApiSource
if TYPE_CHECKING:  # to the type checker a source is one of the two bases; pydantic gets every kind's model
    _AnySource: TypeAlias = Source
else:
    _AnySource = Annotated[Union[tuple(dict.fromkeys(SOURCE_MODELS.values()))], Field(discriminator="kind")]  # noqa: UP007


# -- operations ----------------------------------------------------------------------------------------


class Freshness(StrictModel):
    on_stale: Literal["hold", "publish"] = "hold"  # hold: keep the published marts, fail the run
    max_age_hours: Hours = 36.0  # when `status` calls a source stale


@pydantic_dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class Extraction:
    """``extract:`` — what runs the extraction tasks (one per source) of a nightly run."""

    task_runner: Literal["threads", "dask"] = "threads"  # threads: a pool in the run's process | dask: a cluster
    workers: Count = 4  # threads: concurrent extractions; dask: worker processes of a local cluster
    dask_address: str | None = None  # dask: the scheduler of a running cluster (else a local one)

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            check_keys(cls.__pydantic_fields__, data)  # type: ignore[attr-defined]  # set by pydantic's dataclass
            address = data.get("dask_address")
            if data.get("task_runner") == "dask" and "workers" in data and _is_address(address):
                raise invalid("not with dask_address (the cluster's own workers run the extraction)", field="workers")
        return data

    @field_validator("dask_address")
    @classmethod
    def _strip(cls, address: str | None) -> str | None:
        return address.strip() if address is not None else None

    @model_validator(mode="after")
    def _runner(self) -> Self:
        if self.dask_address is not None:
            if self.task_runner != "dask":
                raise invalid("only with task_runner: dask", field="dask_address")
            if not _is_address(self.dask_address):
                example = "tcp://10.0.0.5:8786"
                message = f"expected a Dask scheduler address such as {example}, got {shown(self.dask_address)}"
                raise invalid(message, field="dask_address")
        if self.task_runner == "dask" and importlib.util.find_spec("prefect_dask") is None:
            raise invalid("dask needs the prefect-dask package (uv sync installs it)", field="task_runner")
        return self


def _is_address(value: Any) -> bool:
    return isinstance(value, str) and bool(_DASK_ADDRESS.match(value.strip()))


# -- the file ------------------------------------------------------------------------------------------


class Config(StrictModel):
    """A loaded ``trainops.yaml`` (``path``: the file it came from)."""

    home: Path = Field(default="./data", validate_default=True, description="where trainops keeps its data")
    reference_dir: ConfigPath = Field(description="the directory of courses.csv, training_requirements.csv, …")
    timezone: Timezone = "UTC"
    sources: tuple[_AnySource, ...] = Field(default=None, validate_default=True)
    due_soon_days: WholeNumber = 30
    max_error_fraction: Fraction = 0.5
    # operations (README "Operations"): how long a run waits for another run's lock; what a run does
    # when a source cannot be extracted; when `status` calls a source stale; where failures are sent
    lock_wait: Seconds = 0.0  # seconds; 0 = exit at once with a clear message
    freshness: Annotated[Freshness, _mapping_or_default("on_stale and/or max_age_hours")] = Freshness()
    notify_webhook_env: SecretEnv | None = None  # NAME of the env var holding a Slack-compatible webhook URL
    extract: Annotated[Extraction, _mapping_or_default("task_runner, workers and/or dask_address")] = Extraction()
    target: Literal["duckdb", "postgres"] = "duckdb"  # duckdb: files under home/warehouse | postgres (PG* env)
    # operator settings (pipeline/settings.py, README "Configuration reference"), each with its default
    checks: Checks = Field(default=None, validate_default=True)  # cross-system check thresholds
    compliance_history: Annotated[ComplianceHistory, _mapping_or_default("months, start and/or grain")] = (
        ComplianceHistory()
    )
    build: Annotated[BuildSettings, _mapping_or_default("memory_limit")] = BuildSettings()
    postgres: Annotated[PostgresSettings, _mapping_or_default("bi_role")] = PostgresSettings()
    schedule: Annotated[Schedule, _mapping_or_default("cron and/or timezone")] = Schedule()

    _path: Path = PrivateAttr(default=Path("trainops.yaml"))

    def model_post_init(self, context: Any) -> None:
        if isinstance(context, Mapping) and "path" in context:
            self._path = context["path"]

    @field_validator("home", mode="before")
    @classmethod
    def _home(cls, value: Any, info: ValidationInfo) -> Path:
        env_home = _env(info).get("TRAINOPS_HOME")
        return Path(env_home) if env_home else _config_path(value, info)

    @field_validator("sources", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple) or not value:
            raise invalid("expected a non-empty list of sources")
        for index, raw in enumerate(value):
            if not isinstance(raw, Mapping):
                raise invalid("expected a mapping with name and kind", field=f"[{index}]")
            if "kind" not in raw:
                raise invalid(f"required ({registry.known_kinds()})", field=f"[{index}].kind")
            if raw["kind"] not in SOURCE_MODELS:
                raise invalid(registry.unknown_kind(raw["kind"]), field=f"[{index}].kind")
        return value

    @field_validator("sources")
    @classmethod
    def _unique(cls, sources: tuple[Source, ...]) -> tuple[Source, ...]:
        seen: set[str] = set()
        for index, source in enumerate(sources):
            if source.name in seen:
                raise invalid(f"duplicate source name {source.name!r}", field=f"[{index}].name")
            seen.add(source.name)
        return sources

    @model_validator(mode="after")
    def _schedule_timezone(self) -> Self:
        if self.schedule.timezone is None:  # the nightly runs in the config's timezone unless told
            object.__setattr__(self, "schedule", self.schedule.model_copy(update={"timezone": self.timezone}))
        return self

    @property
    def path(self) -> Path:
        return self._path

    @property
    def on_stale(self) -> str:
        return self.freshness.on_stale

    @property
    def max_age_hours(self) -> float:
        return self.freshness.max_age_hours

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


# -- loading -------------------------------------------------------------------------------------------


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


def parse_config(data: Any, config_path: Path, env: Mapping[str, str] = os.environ) -> Config:
    """Validate a parsed ``trainops.yaml``; a ``ConfigError`` names the file and the key."""
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{config_path}: (top level): expected a mapping of keys such as home, reference_dir, sources"
        )
    target_from_env = bool(env.get("TRAINOPS_TARGET"))
    if target_from_env:
        data = {**data, "target": env["TRAINOPS_TARGET"]}
    context = {"base": config_path.parent, "env": env, "path": config_path}
    try:
        return Config.model_validate(data, context=context)
    except ValidationError as exc:
        key, message = first_error(exc, tags=frozenset(SOURCE_MODELS))
        if key == "target" and target_from_env:
            key = "target (from TRAINOPS_TARGET)"
        raise ConfigError(f"{config_path}: {key}: {message}") from None
