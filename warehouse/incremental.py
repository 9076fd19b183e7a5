"""Which kind of night this is — ``full``, ``incremental`` or ``noop`` — detected, not guessed.

After every published build its fingerprint is kept beside it (``warehouse/base.json``): what the
build was computed from (a digest of the dbt project, of the reference data, of the rule vars, the
landed loads, their validation results and their column schemas). The next night compares:

- ``full`` (a fresh build from the whole landing zone) when the dbt code, the reference data or the
  rule vars changed, a landed entity's schema changed, a load of the base is gone or its validation
  result changed (quarantine reprocessed), a backfill or ``--full-refresh`` asked for it, or the base
  build is missing or unreadable (the reason says which);
- ``incremental`` when only new loads arrived: the build starts from a copy of the base build and
  dbt builds what the new loads and the as-of date touch (``Plan.select``): the staging of the
  entities the new loads brought (``source:<entity>+``), the landing models, the quarantine model
  and what reads them. The staging models are dbt incremental models there (dbt/macros/incremental.sql):
  they process the new loads only (run parameter ``new_loads``) and, where they deduplicate across
  loads, recompute and replace exactly the keys those loads touch — the rows a full build keeps, as
  an incremental night only ever adds loads to what the base saw;
- ``noop`` when nothing arrived: only the as-of-dependent models (``as_of_models``) and what reads
  them are rebuilt on the copy. As nothing but the as-of date changed, the models keyed by
  ``as_of_date`` with one row set per date of the compliance spine (``SLICED_BY_DATE``) are kept
  from the copy and compute only the dates they do not hold yet (the new as-of date; a month-end
  when the window moved), deleting the dates that left the spine (yesterday's as-of date when it is
  no month-end, the month that left the window): the run parameter ``new_dates_only`` says so
  (dbt/macros/compliance.sql). The views on the spine and the small as-of models are rebuilt whole.

Tests and audits of every rebuilt model still run before publish (write–audit–publish is unchanged:
the copy is a new file, the published marts are swapped in only after it passed).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow.parquet as pq

from pipeline.base_build import BASE_FILE, read_base
from pipeline.config import Config

# Vars that change every night with the as-of date: not a reason for a full build (the as-of models
# are rebuilt on every night).
AS_OF_VARS = ("as_of", "compliance_history_start", "compliance_history_grain")
# Incremental models keyed by as_of_date, one row set per date of the compliance spine: a date's
# rows depend only on the date and the inputs. An incremental night (new loads: inputs changed)
# drops them from the copy so dbt builds them whole, as a full build does; a noop night keeps them
# and builds only the spine dates they lack (run parameter new_dates_only).
SLICED_BY_DATE = ("marts.fct_compliance_history",)
# What new loads touch besides their own entities' staging (dbt sources, selected ``source:<entity>+``):
# the landing models, and the quarantine model (alone: every staging model reads it, through the macro
# not_quarantined, but the new loads' findings concern only the new loads' rows) with what reads it
# outside staging (``quarantine_readers``).
LOAD_MODELS = ("stg_landing__loads", "stg_landing__load_entities", "stg_landing__landed_rows")
QUARANTINE_MODEL = "stg_quarantine__rows"

# A model reads the as-of date when its SQL names one of the as-of run parameters (or vars) or calls a
# macro reading them (dbt/macros/dates.sql, dbt/macros/compliance.sql).
AS_OF_USE = re.compile(
    r"(var|run_param)\(\s*['\"](as_of|compliance_history_\w+)['\"]"
    r"|as_of_date\(\)|compliance_history_window\(|compliance_spine_length\("
)

Kind = Literal["full", "incremental", "noop"]


def as_of_models(project_dir: Path) -> list[str]:
    """The models whose result depends on the as-of date (rebuilt, with what reads them, every night)."""
    return sorted(path.stem for path in (project_dir / "models").rglob("*.sql") if AS_OF_USE.search(path.read_text()))


def quarantine_readers(project_dir: Path) -> list[str]:
    """The models outside staging that read the quarantine model (rebuilt, with what reads them, when
    new loads arrive)."""
    staging = project_dir / "models" / "staging"
    reads = re.compile(r"ref\(\s*['\"]" + QUARANTINE_MODEL + r"['\"]\s*\)")
    return sorted(
        path.stem
        for path in (project_dir / "models").rglob("*.sql")
        if not path.is_relative_to(staging) and reads.search(path.read_text())
    )


def load_entities(loads: list[Path]) -> list[str]:
    """The entities (``lms.booking``…: the dbt sources) landed in ``loads``."""
    return sorted({path.stem for load in loads for path in load.glob("*.parquet") if not path.name.startswith("_")})


@dataclass
class Plan:
    kind: Kind
    reasons: list[str]
    fingerprint: dict[str, Any]
    base_build: Path | None = None
    new_loads: list[str] = field(default_factory=list)
    as_of_models: list[str] = field(default_factory=list)
    new_entities: list[str] = field(default_factory=list)  # an incremental night's: landed in its new loads
    quarantine_readers: list[str] = field(default_factory=list)

    def select(self) -> list[str]:
        """dbt's ``--select`` for the night (empty: everything). An incremental night: the staging of
        the entities the new loads bring (their incremental models process those loads only), the
        landing and quarantine models, and what reads them; the as-of models, as every night."""
        if self.kind == "full":
            return []
        selection = [f"{model}+" for model in self.as_of_models]
        if self.kind == "incremental":
            selection += [f"source:{entity}+" for entity in self.new_entities]
            selection += [f"{model}+" for model in LOAD_MODELS]
            selection += [QUARANTINE_MODEL, *(f"{model}+" for model in self.quarantine_readers)]
        return selection


def _digest_files(root: Path, patterns: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and "target" not in path.relative_to(root).parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def code_digest(project_dir: Path) -> str:
    """The dbt project's models, macros, seeds, tests and dbt_project.yml."""
    return _digest_files(project_dir, ("dbt_project.yml", "models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*"))


def rule_digest(build_vars: dict[str, Any]) -> str:
    rules = {key: value for key, value in build_vars.items() if key not in AS_OF_VARS}
    return hashlib.sha256(json.dumps(rules, sort_keys=True, default=str).encode()).hexdigest()[:16]


def landed_loads(home: Path) -> dict[str, Path]:
    """Committed loads of the landing zone: load id → its directory."""
    return {path.parent.name: path.parent for path in (home / "landing").glob("*/*/manifest.json")}


def validation_results(home: Path) -> dict[str, str]:
    """Each load's validation result file → size and modification time (a reprocessed quarantine
    rewrites them)."""
    results = {}
    for path in (home / "quarantine").glob("*.parquet"):
        stat = path.stat()
        results[path.name] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return results


def entity_schemas(loads: list[Path]) -> dict[str, str]:
    """Each landed entity's column schema (names and types), from the Parquet footers of ``loads``."""
    schemas: dict[str, str] = {}
    for load in loads:
        for path in sorted(load.glob("*.parquet")):
            if path.name.startswith("_"):
                continue
            schema = pq.read_schema(path)
            schemas[f"{load.parent.name}/{path.stem}"] = ",".join(f"{f.name}:{f.type}" for f in schema)
    return schemas


def fingerprint(config: Config, project_dir: Path, build_vars: dict[str, Any]) -> dict[str, Any]:
    loads = landed_loads(config.home)
    return {
        "target": config.target,
        "dbt_code": code_digest(project_dir),
        "reference_data": _digest_files(config.reference_dir, ("**/*",)),
        "rules": rule_digest(build_vars),
        "loads": sorted(loads),
        "validation": validation_results(config.home),
    }


def _base_problem(config: Config, base: dict[str, Any] | None) -> str | None:
    """Why the last audited build cannot be the base (None: it can)."""
    if base is None:
        return "no audited base build recorded (first night, or its record is unreadable)"
    build = config.warehouse / str(base.get("build", ""))
    if not build.is_file():
        return f"the base build {build.name} is missing"
    try:
        with duckdb.connect(str(build), read_only=True) as con:
            con.execute("select count(*) from marts.fct_compliance_status").fetchone()
    except duckdb.Error as exc:
        return f"the base build {build.name} is unreadable ({type(exc).__name__}); rebuilt in full"
    return None


def plan_night(config: Config, project_dir: Path, build_vars: dict[str, Any], full_refresh: str | None = None) -> Plan:
    """The night's kind and why, from the fingerprint of the inputs against the base's."""
    now = fingerprint(config, project_dir, build_vars)
    if config.target != "duckdb":
        return Plan("full", [f"target {config.target}: incremental nights are built on DuckDB only"], now)
    base = read_base(config.warehouse)
    reasons = [full_refresh] if full_refresh else []
    problem = _base_problem(config, base)
    if problem is not None:
        return Plan("full", [*reasons, problem], now)
    assert base is not None
    before = base["fingerprint"]
    names = {"dbt_code": "dbt models or macros changed", "reference_data": "reference data changed",
             "rules": "rule vars or settings changed", "target": "target changed"}  # fmt: skip
    reasons += [why for key, why in names.items() if before.get(key) != now[key]]
    gone = sorted(set(before.get("loads", [])) - set(now["loads"]))
    if gone:
        reasons.append(f"{len(gone)} load(s) of the base build are gone from the landing zone (e.g. {gone[0]})")
    old_results = before.get("validation", {})
    changed = sorted(name for name, stamp in old_results.items() if now["validation"].get(name) != stamp)
    # a base load validated only after the base was built (its findings must reach staging)
    base_loads = set(before.get("loads", []))
    changed += sorted(
        name for name in now["validation"] if name not in old_results and name.split(".")[0] in base_loads
    )
    if changed:
        reasons.append(f"validation results of {len(changed)} load(s) changed (quarantine reprocessed)")
    new_loads = sorted(set(now["loads"]) - set(before.get("loads", [])))
    paths = landed_loads(config.home)
    old_schemas: dict[str, str] = base.get("schemas", {})
    now["schemas"] = {**old_schemas, **entity_schemas([paths[load] for load in new_loads])}
    drifted = sorted(key for key, schema in now["schemas"].items() if old_schemas.get(key, schema) != schema)
    if drifted:
        reasons.append(f"landed data schema changed: {', '.join(drifted[:3])}")
    base_build = config.warehouse / base["build"]
    if reasons:
        return Plan("full", reasons, now, base_build, new_loads)
    models = as_of_models(project_dir)
    if new_loads:
        why = [f"{len(new_loads)} new load(s) since the base build"]
        entities = load_entities([paths[load] for load in new_loads])
        readers = quarantine_readers(project_dir)
        return Plan("incremental", why, now, base_build, new_loads, models, entities, readers)
    return Plan("noop", ["no new loads since the base build: the as-of models only"], now, base_build, [], models)


def prepare_copy(plan: Plan, build_db: Path) -> None:
    """The night's build file as a copy of the base build, without the models rebuilt whole (on an
    incremental night, ``SLICED_BY_DATE``). The base's WAL (``settle_building`` may leave one) is
    copied beside it: it holds changes too."""
    assert plan.base_build is not None
    tmp = build_db.with_name(f".copy-{build_db.name}")
    shutil.copyfile(plan.base_build, tmp)
    wal = plan.base_build.with_name(f"{plan.base_build.name}.wal")
    build_wal = build_db.with_name(f"{build_db.name}.wal")
    if wal.exists():
        tmp_wal = tmp.with_name(f"{tmp.name}.wal")
        shutil.copyfile(wal, tmp_wal)
        os.replace(tmp_wal, build_wal)
    else:
        build_wal.unlink(missing_ok=True)  # a stale WAL must not be replayed onto the copy
    os.replace(tmp, build_db)
    if plan.kind == "noop":  # the models sliced by date keep their dates and add the new ones
        return
    with duckdb.connect(str(build_db)) as con:
        for relation in SLICED_BY_DATE:
            con.execute(f"drop table if exists {relation}")


def remember_base(config: Config, build_db: Path, plan: Plan) -> None:
    """After a publish: this build is the next night's base (its fingerprint beside it)."""
    if config.target != "duckdb":
        return
    schemas = plan.fingerprint.get("schemas")
    if schemas is None:  # a full night: the schemas of every load
        schemas = entity_schemas(list(landed_loads(config.home).values()))
    fingerprint = {key: value for key, value in plan.fingerprint.items() if key != "schemas"}
    record = {"build": build_db.name, "kind": plan.kind, "fingerprint": fingerprint, "schemas": schemas}
    path = config.warehouse / BASE_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(tmp, path)
