"""README "Onboarding your own files": every YAML example there loads as configuration and reads its
fixture as the README says, and the output it shows is what `trainops parse --source` prints."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.mapping.preview import parse_as_source, render_table
from connectors.registry import file_parser
from pipeline.config import FileSource, parse_config

ROOT = Path(__file__).resolve().parents[3]
BLOCK = re.compile(r"```(yaml|text)\n(.*?)```", re.DOTALL)


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Onboarding your own files")
    return text[start : text.index("\n## ", start + 1)]


def examples() -> list[dict[str, Any]]:
    return [yaml.safe_load(body) for kind, body in BLOCK.findall(section()) if kind == "yaml"]


def read_example(example: dict[str, Any], tmp_path: Path) -> tuple[FileSource, list[Path], Any]:
    data = {"home": str(tmp_path / "home"), "reference_dir": ".", "timezone": "Europe/London", **example}
    config = parse_config(data, ROOT / "trainops.yaml", env={})  # paths resolve against the repository
    [source] = config.sources
    assert isinstance(source, FileSource) and source.mapping is not None
    files = sorted(source.path.glob(source.glob or file_parser(source.kind, source).patterns[0]))
    return source, files, parse_as_source(source.name, source.kind, source, files)


def test_the_section_has_its_worked_examples() -> None:
    kinds = [example["sources"][0]["kind"] for example in examples()]
    assert kinds == ["hris_csv", "lms_csv"]
    assert "learner_aliases.csv" in section()


@pytest.mark.parametrize("index", range(2))
def test_each_example_reads_its_fixture_without_a_reject(index: int, tmp_path: Path) -> None:
    source, files, result = read_example(examples()[index], tmp_path)
    assert files and not result.rejects
    [entity] = result.records
    assert len(result.records[entity]) == 4


def test_the_shown_output_is_what_parse_prints(tmp_path: Path) -> None:
    [shown] = [body for kind, body in BLOCK.findall(section()) if kind == "text"]
    _, _, result = read_example(examples()[0], tmp_path)
    printed = [line.split() for line in render_table(result, limit=2).splitlines()]
    for line in shown.strip().splitlines():  # the README cuts columns off the right-hand side
        words = line.split()
        assert any(row[: len(words)] == words for row in printed), line
