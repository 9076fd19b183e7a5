"""The README's section "Onboarding your own files" as data: its fenced blocks, so tests can run the
examples it shows (tests/unit/connectors/test_readme_mappings.py, tests/e2e/test_readme_lrs_example.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"```(yaml|text|json|csv)\n(.*?)```", re.DOTALL)
LRS_EXAMPLE = "**An LRS export whose learners are accounts"


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Onboarding your own files")
    return text[start : text.index("\n## ", start + 1)]


def blocks(text: str, kind: str) -> list[str]:
    return [body for found, body in BLOCK.findall(text) if found == kind]


def examples() -> list[dict[str, Any]]:
    """Every YAML block of the section, in order."""
    return [yaml.safe_load(body) for body in blocks(section(), "yaml")]


def lrs_part() -> str:
    """The LRS example: from its heading to the paragraph after it ("Other layouts …")."""
    text = section()
    start = text.index(LRS_EXAMPLE)
    return text[start : text.index("Other layouts work the same way", start)]


def lrs_example() -> tuple[dict[str, Any], str]:
    """The LRS example's trainops.yaml block and its learner_aliases.csv, as the README gives them."""
    [config] = blocks(lrs_part(), "yaml")
    [aliases] = blocks(lrs_part(), "csv")
    return yaml.safe_load(config), aliases


def lrs_tables() -> dict[str, list[tuple[str, ...]]]:
    """The LRS example's two result tables: what each account resolves to, and the unresolved."""
    resolved, unresolved = blocks(lrs_part(), "text")
    return {"resolved": table(resolved), "unresolved": table(unresolved)}


def table(text: str) -> list[tuple[str, ...]]:
    """A text table whose columns start where its header's words do → its rows, header included
    (an empty cell stays an empty string)."""
    lines = text.rstrip().splitlines()
    starts = [match.start() for match in re.finditer(r"\S+", lines[0])]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    return [tuple(line[start:stop].strip() for start, stop in bounds) for line in lines]
