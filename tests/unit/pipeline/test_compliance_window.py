"""The compliance history window: computed once in Python, passed to every dbt build as vars, widened
by a backfill through the same function."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline import backfill_plan
from pipeline.compliance_window import HistoryWindow, history_window
from pipeline.config import parse_config
from warehouse.dbt import dbt_vars


def test_the_default_window_starts_24_months_before_the_as_of_month():
    assert history_window(date(2026, 11, 28)) == HistoryWindow(date(2024, 11, 1), "month")
    assert history_window(date(2026, 1, 31)).start == date(2024, 1, 1)  # across the year boundary
    assert history_window(date(2026, 3, 1), months=2).start == date(2026, 1, 1)
    assert history_window(date(2026, 3, 15), months=0).start == date(2026, 3, 1)


def test_an_explicit_start_and_grain_are_kept():
    window = history_window(date(2026, 11, 28), start=date(2026, 2, 27), grain="day")
    assert window == HistoryWindow(date(2026, 2, 27), "day")
    assert window.dbt_vars() == {"compliance_history_start": "2026-02-27", "compliance_history_grain": "day"}


def test_a_bad_grain_or_month_count_is_refused():
    with pytest.raises(ValueError, match="grain must be one of month, day, not 'week'"):
        history_window(date(2026, 11, 28), grain="week")
    with pytest.raises(ValueError, match="months must be 0 or more"):
        history_window(date(2026, 11, 28), months=-1)


def test_widening_only_moves_the_start_earlier():
    window = history_window(date(2026, 11, 28))
    assert window.widened(date(2020, 3, 1)) == HistoryWindow(date(2020, 3, 1), "month")
    assert window.widened(date(2026, 1, 1)) == window


def test_the_backfill_widens_through_the_same_window():
    as_of = date(2026, 11, 28)
    assert backfill_plan.history_vars(date(2024, 11, 1), as_of) == {}  # the default window's own start
    assert backfill_plan.history_vars(date(2024, 10, 31), as_of) == {"compliance_history_start": "2024-10-31"}
    narrower = history_window(as_of, months=3)
    assert backfill_plan.history_vars(date(2026, 1, 1), as_of, narrower) == {"compliance_history_start": "2026-01-01"}


def test_every_build_is_given_the_window(tmp_path: Path):
    data = {"home": "./data", "reference_dir": ".", "sources": [{"name": "hr", "kind": "hris_csv", "path": "."}]}
    config = parse_config(data, tmp_path / "trainops.yaml")
    built = dbt_vars(config, date(2026, 11, 28))
    assert built["as_of"] == "2026-11-28"
    assert (built["compliance_history_start"], built["compliance_history_grain"]) == ("2024-11-01", "month")
