"""The record of the last audited build (pipeline/base_build.py): read safely, and its build kept
when old builds are pruned (pipeline/lifecycle.py ``prune_builds``)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.base_build import BASE_FILE, read_base
from pipeline.lifecycle import KEEP_BUILDS, prune_builds


@pytest.mark.parametrize("text", ["[1, 2]", "not json", '"build-1.duckdb"', "null"])
def test_a_base_record_that_is_not_an_object_reads_as_none(tmp_path: Path, text: str) -> None:
    (tmp_path / BASE_FILE).write_text(text)
    assert read_base(tmp_path) is None


def test_a_missing_base_record_reads_as_none_and_a_good_one_as_written(tmp_path: Path) -> None:
    assert read_base(tmp_path) is None
    (tmp_path / BASE_FILE).write_text(json.dumps({"build": "build-1.duckdb", "kind": "full"}))
    assert read_base(tmp_path) == {"build": "build-1.duckdb", "kind": "full"}


@pytest.mark.parametrize("record", ['{"build": "build-01.duckdb"}', "[]"])
def test_pruning_keeps_the_base_build_and_tolerates_a_bad_record(tmp_path: Path, record: str) -> None:
    builds = [tmp_path / f"build-{index:02d}.duckdb" for index in range(KEEP_BUILDS + 3)]
    for build in builds:
        build.write_text("")
    (tmp_path / BASE_FILE).write_text(record)
    prune_builds(SimpleNamespace(warehouse=tmp_path))  # type: ignore[arg-type]
    kept = sorted(path.name for path in tmp_path.glob("build-*.duckdb"))
    newest = [build.name for build in builds[-KEEP_BUILDS:]]
    assert kept == (["build-01.duckdb", *newest] if "build" in record else newest)
