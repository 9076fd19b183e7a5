"""Two data homes fed the same files must end up alike: their landed rows and their published marts,
compared without what differs by design (run ids, run times); and a copy of a published home for a
test that runs more nights on it. Shared by the tests that run the session's small demo night
(``small_night`` in tests/conftest.py)."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import duckdb

from connectors import landing
from pipeline.config import load_config
from pipeline.demo_config import DEMO_SOURCES, demo_source_yaml
from warehouse.duckdb_target import mart_tables, table_checksum

# The session's small demo (``small_demo``/``small_night`` in tests/conftest.py) and its as-of date.
SMALL_AS_OF = date(2026, 11, 28)
SMALL_DEMO = {"seed": 5, "employees": 80, "months": 3, "vendors": 3}

# When the pipeline did something, not what the data says: differs between two homes by design.
RUN_TIME_COLUMNS = {"started_at", "finished_at", "landed_at", "loaded_at", "built_at", "published_at", "checked_at"}
RUN_ID = r"[0-9]{8}T[0-9]{12}Z"  # load ids are <run-id-like timestamp>-<source>


def write_config(demo: Path, folder: Path, extra: str = "", sources: tuple[str, ...] = tuple(DEMO_SOURCES)) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"home: {folder / 'home'}", f"reference_dir: {demo / 'reference'}", "timezone: Europe/London", extra]
    lines += ["sources:"] + [demo_source_yaml(name, demo / "drops" / DEMO_SOURCES[name][1]) for name in sources]
    path = folder / "trainops.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def comparable_marts(marts_db: Path) -> dict[str, str]:
    """Checksums of every published mart with load/run ids reduced to their source and run-time
    columns left out, so two homes that landed the same data compare equal."""
    with duckdb.connect(str(marts_db), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        result = {}
        for table in mart_tables(con, catalog, "main"):
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = ? and table_name = ? order by ordinal_position",
                [catalog, table],
            ).fetchall()
            select = [
                f"regexp_replace(\"{name}\", '{RUN_ID}', '<id>', 'g') as \"{name}\""
                if kind == "VARCHAR"
                else f'"{name}"'
                for name, kind in columns
                if name not in RUN_TIME_COLUMNS
            ]
            result[table] = table_checksum(con, f'(select {", ".join(select)} from main."{table}")')
    return result


def landed_rows(home: Path) -> Counter:
    """(source, entity, file, line) of every landed raw row — records and parse rejects."""
    counts: Counter = Counter()
    for load in landing.list_loads(home):
        for entity in load.manifest["entities"]:
            table = landing.read_entity(load, entity).select(["_source_file", "_source_line"])
            counts.update((load.source, entity, *row.values()) for row in table.to_pylist())
        rejects = landing.read_entity(load, landing.REJECTS_FILE.removesuffix(".parquet"))
        counts.update(
            (load.source, "reject", *row.values())
            for row in rejects.select(["_source_file", "_source_line"]).to_pylist()
        )
    return counts


def copy_home(demo: Path, config_path: Path, folder: Path, extra: str = "") -> Path:
    """A copy of the home that ``config_path`` (a ``write_config`` of ``demo``) names, under ``folder``
    with a config of its own: for a test that runs more nights on a published home it must not change.
    Cheap next to the night that made it. The copied builds' two landing views (the xAPI payload
    staging) still name the original's landing, whose files are the same; the copy's next full build
    writes its own."""
    path = write_config(demo, folder, extra)
    home = load_config(config_path).home
    shutil.copytree(home, folder / "home", symlinks=True, ignore=shutil.ignore_patterns(".trainops.lock"))
    return path
