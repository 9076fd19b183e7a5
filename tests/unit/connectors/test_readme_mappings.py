"""README "Onboarding your own files": every YAML example there loads as configuration and reads its
fixture as the README says, and the output it shows is what `trainops parse --source` prints. The
LRS example's night (aliases, resolution methods, unresolved learners) is run by
tests/e2e/test_readme_lrs_example.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from readme_examples import BLOCK, ROOT, blocks, examples, lrs_example, lrs_part, lrs_tables, section

from connectors.mapping.preview import parse_as_source, render_table
from connectors.registry import file_parser
from pipeline.config import FileSource, parse_config

FOREIGN = ROOT / "tests" / "fixtures" / "foreign"


def read_example(example: dict[str, Any], tmp_path: Path) -> tuple[FileSource, list[Path], Any]:
    data = {"home": str(tmp_path / "home"), "reference_dir": ".", "timezone": "Europe/London", **example}
    config = parse_config(data, ROOT / "trainops.yaml", env={})  # paths resolve against the repository
    [source] = config.sources
    assert isinstance(source, FileSource)
    files = sorted(source.path.glob(source.glob or file_parser(source.kind, source).patterns[0]))
    return source, files, parse_as_source(source.name, source.kind, source, files)


def test_the_section_has_its_worked_examples() -> None:
    kinds = [example["sources"][0]["kind"] for example in examples()]
    assert kinds == ["hris_csv", "lms_csv", "xapi_files"]
    assert "Placeholder" not in section()


@pytest.mark.parametrize("index", range(2))
def test_each_example_reads_its_fixture_without_a_reject(index: int, tmp_path: Path) -> None:
    source, files, result = read_example(examples()[index], tmp_path)
    assert source.mapping is not None
    assert files and not result.rejects
    [entity] = result.records
    assert len(result.records[entity]) == 4


def test_the_shown_output_is_what_parse_prints(tmp_path: Path) -> None:
    shown = [body for kind, body in BLOCK.findall(section()) if kind == "text"][0]
    _, _, result = read_example(examples()[0], tmp_path)
    printed = [line.split() for line in render_table(result, limit=2).splitlines()]
    for line in shown.strip().splitlines():  # the README cuts columns off the right-hand side
        words = line.split()
        assert any(row[: len(words)] == words for row in printed), line


def test_the_lrs_example_reads_its_statements_as_accounts(tmp_path: Path) -> None:
    """12 statements, none rejected, every learner an `account:` reference; the shown statement is
    one of the file's."""
    example, _ = lrs_example()
    source, files, result = read_example(example, tmp_path)
    assert source.mapping is None and source.learners.match_names_to == ("email",)
    assert [path.name for path in files] == ["moodle_logstore_2026-10.jsonl"]
    assert not result.rejects
    records = result.records["lms.learning_record"]
    assert f"({len(records)} of them)" in lrs_part() and len(records) == 12
    assert {record["learner_ref"].split("|")[0] for record in records} == {"account:https://lms.example.com"}
    [shown] = blocks(lrs_part(), "json")
    statements = [json.loads(line) for line in files[0].read_text(encoding="utf-8").splitlines()]
    assert json.loads(shown) in statements


def test_the_lrs_example_aliases_are_the_fixture(tmp_path: Path) -> None:
    """The README's learner_aliases.csv is the one its reference_dir holds, and it names the
    accounts the file's statements carry."""
    example, aliases = lrs_example()
    config = parse_config({"home": str(tmp_path), "timezone": "Europe/London", **example}, ROOT / "x.yaml", env={})
    assert config.reference_dir == FOREIGN / "reference"
    assert (config.reference_dir / "learner_aliases.csv").read_text(encoding="utf-8") == aliases
    _, _, result = read_example(example, tmp_path)
    refs = {record["learner_ref"] for record in result.records["lms.learning_record"]}
    aliased = {"account:" + line.split(",")[0] for line in aliases.strip().splitlines()[1:]}
    assert aliased <= refs


def test_the_lrs_example_tables_list_every_account_of_the_file(tmp_path: Path) -> None:
    """The resolution table the README shows covers each account of the file with its record count
    (which employee and method each gets is checked by the e2e test that runs the night)."""
    _, _, result = read_example(lrs_example()[0], tmp_path)
    counts: dict[str, int] = {}
    for record in result.records["lms.learning_record"]:
        counts[record["learner_ref"]] = counts.get(record["learner_ref"], 0) + 1
    shown: dict[str, int] = {}
    for ref, records, *_ in lrs_tables()["resolved"][1:]:
        shown[ref] = shown.get(ref, 0) + int(records)
    assert shown == counts
