"""The configuration `trainops demo` writes for its generated enterprise: the demo's sources, their
kinds and folders under the demo's ``drops/``, and the ``trainops.yaml`` that reads them (with the
``mapping:`` blocks of the sources written in a foreign layout)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

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
# The demo's LRS export names some learners by an SSO account whose name is the employee id: its
# source opts in to matching account names (docs/data-model.md, learner identity).
DEMO_SOURCE_OPTIONS = {"lrs_export": "learners: {match_names_to: [employee_id, email]}"}


def write_demo_config(demo_dir: Path, home: Path, mappings: Mapping[str, Mapping[str, Any]] | None = None) -> Path:
    """The configuration of a generated demo enterprise (the layout ``demo/`` writes); ``mappings``:
    the ``mapping:`` of each source the demo wrote in a foreign layout (``demo.foreign``)."""
    lines = [
        "# Written by `trainops demo`: the generated demo enterprise. See README to point at your own drops.",
        f"home: {os.path.relpath(home, demo_dir)}",
        "reference_dir: ./reference",
        "timezone: Europe/London",
        "sources:",
    ]
    lines += [
        demo_source_yaml(name, Path("./drops") / folder, (mappings or {}).get(name))
        for name, (_, folder) in DEMO_SOURCES.items()
    ]
    path = demo_dir / "trainops.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def demo_source_yaml(name: str, path: Path | str, mapping: Mapping[str, Any] | None = None) -> str:
    """One demo source as an item of ``sources:`` (flow style), with its options; with a ``mapping``,
    block style with the mapping under the source."""
    options = f", {DEMO_SOURCE_OPTIONS[name]}" if name in DEMO_SOURCE_OPTIONS else ""
    line = f"  - {{name: {name}, kind: {DEMO_SOURCES[name][0]}, path: {path}{options}}}"
    if mapping is None:
        return line
    block = yaml.safe_dump({"mapping": dict(mapping)}, allow_unicode=True, sort_keys=False, width=120)
    indented = "".join(f"    {text}" for text in block.splitlines(keepends=True)).rstrip("\n")
    return f"  - name: {name}\n    kind: {DEMO_SOURCES[name][0]}\n    path: {path}\n{indented}"
