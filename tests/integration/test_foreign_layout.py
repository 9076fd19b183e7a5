"""The demo enterprise in a foreign file layout, onboarded by configuration alone, publishes the marts
of the canonical layout.

The same demo (same seed and size) is generated twice: once in the canonical layout (run by the
session's ``small_night``, tests/conftest.py), once with its HR roster, LMS export, sessions,
bookings and CSV invoices in another company's layout (German and English headers, ``;``,
Windows-1252 and a BOM, day-first dates, decimal commas, other status words; demo/foreign.py) plus
the ``mapping:`` blocks that read them. Each runs through the real nightly flow (extract, GX
validation, dbt build, publish) into its own home: every published mart must have the same content
(checksums with load/run ids reduced to their source, run-time columns left out), and every source
must have landed the same rows and rejects.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from homes import SMALL_AS_OF, SMALL_DEMO, comparable_marts

from demo import generate
from demo.foreign import LAYOUTS
from flows.nightly import nightly_sync
from pipeline.config import load_config
from pipeline.demo_config import DEMO_SOURCES, demo_source_yaml

pytestmark = pytest.mark.integration

AS_OF = SMALL_AS_OF  # the session's small_night


def write_config(demo: Path, folder: Path, mappings: dict | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"home: {folder / 'home'}", f"reference_dir: {demo / 'reference'}", "timezone: Europe/London"]
    lines += ["sources:"] + [
        demo_source_yaml(name, demo / "drops" / folder_name, (mappings or {}).get(name))
        for name, (_, folder_name) in DEMO_SOURCES.items()
    ]
    path = folder / "trainops.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(small_night, tmp_path_factory, prefect_harness) -> dict[str, tuple[Path, dict]]:
    """The canonical layout's night is the session's ``small_night``; the foreign layout's demo is the
    same enterprise (same seed and size) generated in the foreign layout."""
    root = tmp_path_factory.mktemp("foreign-layout")
    demo = root / "foreign" / "demo"
    truth = generate(demo, as_of=AS_OF, **SMALL_DEMO, layout="foreign")
    path = write_config(demo, root / "foreign", truth.get("mappings"))
    return {
        "canonical": (small_night["path"], small_night["record"]),
        "foreign": (path, nightly_sync(as_of=AS_OF, config_path=str(path))),
    }


def test_foreign_layout_publishes_the_marts_of_the_canonical_layout(runs):
    (canonical_path, canonical), (foreign_path, foreign) = runs["canonical"], runs["foreign"]
    assert canonical["status"] == foreign["status"] == "success"
    mapped = {source.name for source in load_config(foreign_path).sources if getattr(source, "mapping", None)}
    assert mapped == {layout.source for layout in LAYOUTS}  # the five CSV sources were read through mappings

    def per_source(record: dict) -> dict:
        return {s["source"]: (s["kind"], s["files"], s["rows"], s["rejects"]) for s in record["sources"]}

    assert per_source(foreign) == per_source(canonical)
    left = comparable_marts(load_config(canonical_path).marts_db)
    right = comparable_marts(load_config(foreign_path).marts_db)
    assert len(left) >= 10
    differing = sorted(table for table in left.keys() | right.keys() if left.get(table) != right.get(table))
    assert differing == []
