"""The demo in its foreign layout (``generate(layout="foreign")``, demo/foreign.py): the five CSV drops
in another company's layout, read back through the ``mapping:`` blocks written to trainops.yaml, say
what the canonical drops say — record for record, reject for reject — and ``trainops map`` proposes,
for each foreign file, a mapping that covers every required field from the columns the generator
chose."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.base import ParseContext, SourceError
from connectors.registry import FILE_KINDS, file_parser
from demo import generate
from demo.foreign import LAYOUTS
from pipeline.config import load_config
from pipeline.demo_config import DEMO_SOURCES, write_demo_config
from pipeline.mapping_proposal import KIND_SPECS, propose

AS_OF = date(2026, 11, 30)


@pytest.fixture(scope="module")
def demos(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("foreign-demo")
    generate(root / "canonical", as_of=AS_OF, seed=5, employees=100, months=4)
    truth = generate(root / "foreign", as_of=AS_OF, seed=5, employees=100, months=4, layout="foreign")
    write_demo_config(root / "foreign", home=root / "home", mappings=truth["mappings"])
    return {"canonical": root / "canonical", "foreign": root / "foreign"}


def _comparable(result) -> dict[str, list[dict]]:
    """Records without `raw` (it keeps each layout's own spelling of the timestamps, by design)."""
    return {
        entity: [{key: value for key, value in record.items() if key != "raw"} for record in rows]
        for entity, rows in result.records.items()
    }


def test_foreign_files_are_not_the_canonical_layout(demos):
    for layout in LAYOUTS:
        canonical = sorted((demos["canonical"] / "drops" / layout.folder).glob("*.csv"))
        foreign = sorted((demos["foreign"] / "drops" / layout.folder).glob("*.csv"))
        assert [path.name for path in foreign] == [path.name for path in canonical]  # same names, same lines
        first = foreign[0]
        assert first.read_bytes() != canonical[0].read_bytes()
        assert ";" in first.read_bytes().splitlines()[0].decode(layout.encoding)
        kind = DEMO_SOURCES[layout.source][0]
        with pytest.raises(SourceError, match="header lacks required column|not UTF-8"):
            FILE_KINDS[kind].parser.parse(first, ParseContext())  # the canonical reader refuses it


def test_foreign_drops_read_through_their_mappings_say_what_the_canonical_drops_say(demos):
    config = load_config(demos["foreign"] / "trainops.yaml")
    mapped = [source for source in config.sources if getattr(source, "mapping", None) is not None]
    assert sorted(source.name for source in mapped) == sorted(layout.source for layout in LAYOUTS)
    context = ParseContext(reference_dir=demos["foreign"] / "reference")
    rows = rejects = 0
    for source in mapped:
        for path in sorted(source.path.glob("*.csv")):
            foreign = file_parser(source.kind, source).parse(path, context)
            canonical_file = demos["canonical"] / "drops" / path.parent.name / path.name
            canonical = FILE_KINDS[source.kind].parser.parse(canonical_file, context)
            assert _comparable(foreign) == _comparable(canonical), f"{source.name}: {path.name}"
            assert [(r.source_line, r.rule, r.column_name) for r in foreign.rejects] == [
                (r.source_line, r.rule, r.column_name) for r in canonical.rejects
            ], f"{source.name}: {path.name}"
            rows += foreign.raw_rows
            rejects += len(foreign.rejects)
    assert rows > 500 and rejects >= 4  # the planted defects are rejected in both layouts


def test_canonical_demo_config_has_no_mappings(demos, tmp_path):
    path = write_demo_config(demos["canonical"], home=tmp_path / "home")
    assert "mapping" not in path.read_text()
    assert all(getattr(source, "mapping", None) is None for source in load_config(path).sources)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.source)
def test_map_proposes_every_required_field_of_each_foreign_file(demos, layout):
    kind = DEMO_SOURCES[layout.source][0]
    generated = load_config(demos["foreign"] / "trainops.yaml").source(layout.source).mapping
    for path in sorted((demos["foreign"] / "drops" / layout.folder).glob("*.csv")):
        proposal = propose(path, kind)
        assert proposal.missing_required == [], f"{path.name}: {proposal.missing_required}"
        assert proposal.sample.delimiter == ";" and proposal.sample.encoding == layout.encoding.removesuffix("-sig")
        for field in KIND_SPECS[kind].required:
            if field == "snapshot_date":
                assert proposal.snapshot_date is not None and "file_name" in proposal.snapshot_date
                continue
            assert proposal.fields[field].column.name == generated.columns[field].column, f"{path.name}: {field}"
