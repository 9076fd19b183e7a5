"""A backfill's re-read window parses naive timestamps in the source's ``assume_timezone``, like
the nightly extract does (``pipeline/steps.py`` ``extract_source``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from connectors.base import ParseResult
from connectors.parsing import parse_timestamp
from pipeline import backfill_chunks, steps
from pipeline.backfill_plan import Chunk


class _Window:
    """A windowed connector whose window holds one naive timestamp."""

    def __init__(self) -> None:
        self.parsed: list[datetime] = []

    def extract_window(self, start: datetime, end: datetime) -> Iterator[tuple[Any, ParseResult]]:
        self.parsed.append(parse_timestamp("2026-07-01 09:00:00", "stored"))
        yield SimpleNamespace(), ParseResult()


def test_land_window_reads_naive_timestamps_in_the_sources_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = _Window()
    monkeypatch.setattr(steps, "connector_for", lambda config, source: window)
    monkeypatch.setattr(backfill_chunks, "WindowedConnector", _Window)
    config = SimpleNamespace(home=tmp_path, timezone="Europe/London")
    source = SimpleNamespace(name="lrs", kind="xapi_lrs", assume_timezone="Europe/Berlin")
    chunk = Chunk(source="lrs", kind="xapi_lrs", start=date(2026, 7, 1), end=date(2026, 7, 1), mode="window")
    assert backfill_chunks.land_window(config, source, chunk, "bf1") == []  # type: ignore[arg-type]
    assert window.parsed == [datetime(2026, 7, 1, 7, 0, tzinfo=UTC)]  # 09:00 in Berlin (+02:00)
