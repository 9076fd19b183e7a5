"""The dashboard's charts are built and checked on their first rows and get all rows afterwards
(``reports/dashboard_charts.py`` ``_finish``): the specification must equal the one Altair writes
when it is handed every row, and rows Altair would have converted are refused, not drawn wrongly."""

from __future__ import annotations

import pytest

from reports import dashboard_charts as charts
from reports.dashboard_charts import ChartText

TEXT = ChartText("A chart", "%", "2026-11-28")
LINES = [
    {"date": f"2026-{month:02d}-01", "department": name, "manager": f"E{index:03d}", "value": index / 20}
    for month in range(1, 7)
    for index, name in enumerate(["Legal", "Finance", "People", None])
]
BARS = [{"vendor": f"V{index}", "series": series, "value": float(index), "rank": rank}
        for index in range(4) for rank, series in enumerate(("billed", "expected"))]  # fmt: skip
MONTHS = [{"vendor": "V1", "month": row["date"], "measure": "billed", "value": row["value"]} for row in LINES]

BUILDERS = {
    "percent_lines": lambda: charts.percent_lines(LINES, "date", "department", TEXT, "date"),
    "selector": lambda: charts.percent_lines_with_selector(LINES, "date", "manager", TEXT, "manager"),
    "stacked": lambda: charts.stacked_bars(BARS, "vendor", "series", TEXT, ["billed", "expected"]),
    "grouped": lambda: charts.grouped_bars(BARS, "vendor", "series", TEXT),
    "bars": lambda: charts.bars(BARS, "vendor", TEXT),
    "facets": lambda: charts.amount_lines_by_vendor(MONTHS, TEXT),
    "signed": lambda: charts.signed_bars_by_month(MONTHS, "measure", TEXT),
    "counts": lambda: charts.count_lines(LINES, "date", "department", TEXT, "date"),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_chart_built_on_its_first_rows_equals_one_built_on_all(name, monkeypatch):
    sampled = BUILDERS[name]()
    assert sampled is not None and len(sampled["data"]["values"]) > charts.SAMPLE_ROWS  # all rows, not the sample
    monkeypatch.setattr(charts, "SAMPLE_ROWS", 10**9)  # every row through Altair and its schema check
    assert sampled == BUILDERS[name]()


def test_rows_that_are_not_plain_json_values_are_refused():
    from datetime import date

    with pytest.raises(TypeError, match="only text, numbers and nulls"):
        charts.bars([{"vendor": "V1", "value": 1}] * 4 + [{"vendor": date(2026, 1, 1), "value": 2}], "vendor", TEXT)
