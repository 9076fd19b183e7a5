"""The dashboard's charts: Vega-Lite specifications built with Altair.

Every chart has a title, a subtitle with its unit and the as-of date, axis titles with units, and
a text description (read out by screen readers: Vega renders it as the SVG's ARIA label). Colours
come from Paul Tol's "muted" scheme, which stays distinguishable with the common colour-vision
deficiencies; series are also told apart by point shape or dash where lines cross. A builder
returns ``None`` when it has no rows: the page then says "No data yet".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt

# Paul Tol's muted qualitative scheme (9 colours), colour-blind safe.
PALETTE = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499"]
WIDTH, HEIGHT = 470, 240
Rows = Sequence[dict[str, Any]]
SAMPLE_ROWS = 3  # the data rows a chart is built and checked with (see _finish)


@dataclass(frozen=True)
class ChartText:
    """What a chart says about itself: title, unit, and the as-of date of the data."""

    title: str
    unit: str
    as_of: str
    description: str = ""

    @property
    def subtitle(self) -> str:
        return f"{self.unit} · as of {self.as_of}"


def _title(text: ChartText) -> alt.TitleParams:
    return alt.TitleParams(text.title, subtitle=text.subtitle, anchor="start")


def _sample(rows: Rows) -> alt.Data:
    """The chart's data while Altair builds and checks the specification: its first rows only."""
    return alt.Data(values=[dict(row) for row in rows[:SAMPLE_ROWS]])


def _finish(chart: alt.TopLevelMixin, text: ChartText, rows: Rows) -> dict[str, Any]:
    """The checked Vega-Lite specification, with all of ``rows`` as its data.

    Altair checks a specification against the Vega-Lite schema, data rows included, each time an
    object is made and again in ``to_dict``: seconds for the ten thousand rows of the per-manager
    lines. So the chart is built and checked on its first rows (``_sample``), and the rows, plain JSON
    values that Altair would pass through unchanged, are put in afterwards."""
    description = text.description or f"{text.title} ({text.subtitle})"
    chart = chart.properties(description=description)
    chart = chart.configure_range(category=PALETTE).configure_view(stroke=None)
    spec: dict[str, Any] = chart.configure_axis(labelFontSize=11, titleFontSize=12).to_dict()
    sample = [dict(row) for row in rows[:SAMPLE_ROWS]]
    data = [_plain(row) for row in rows]
    filled: dict[str, Any]
    filled, found = _with_rows(spec, sample, data)
    if not found:
        raise ValueError(f"chart {text.title!r}: its data is not in the specification Altair wrote")
    return filled


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    for key, value in row.items():
        if value is not None and not isinstance(value, str | int | float):
            raise TypeError(f"chart data {key}={value!r}: only text, numbers and nulls are drawn")
    return dict(row)


def _with_rows(spec: Any, sample: list[dict[str, Any]], rows: list[dict[str, Any]]) -> tuple[Any, int]:
    """``spec`` with the inline data ``sample`` replaced by ``rows``, and how many times it was found."""
    if isinstance(spec, dict):
        filled, found = {}, 0
        for key, value in spec.items():
            if key == "values" and value == sample:
                filled[key], found = rows, found + 1
            else:
                filled[key], inner = _with_rows(value, sample, rows)
                found += inner
        return filled, found
    if isinstance(spec, list):
        pairs = [_with_rows(item, sample, rows) for item in spec]
        return [item for item, _ in pairs], sum(count for _, count in pairs)
    return spec, 0


def percent_lines(
    rows: Rows, x: str, series: str, text: ChartText, x_title: str, x_type: str = "T"
) -> dict[str, Any] | None:
    """Rates (fractions 0..1) over time, one line per series, shown as %."""
    if not rows:
        return None
    base = alt.Chart(_sample(rows)).encode(
        x=alt.X(f"{x}:{x_type}", title=x_title),
        y=alt.Y("value:Q", title="%", axis=alt.Axis(format="%"), scale=alt.Scale(zero=True)),
        color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom", columns=3)),
        tooltip=[
            alt.Tooltip(f"{x}:{x_type}", title=x_title),
            alt.Tooltip(f"{series}:N"),
            alt.Tooltip("value:Q", format=".1%", title="value"),
        ],
    )
    chart = base.mark_line(strokeWidth=2) + base.mark_point(filled=True, size=40).encode(
        shape=alt.Shape(f"{series}:N", legend=None)
    )
    return _finish(chart.properties(width=WIDTH, height=HEIGHT, title=_title(text)), text, rows)


def percent_lines_with_selector(rows: Rows, x: str, key: str, text: ChartText, label: str) -> dict[str, Any] | None:
    """Rates over time for one member at a time (a drop-down of ``key``), e.g. one manager's team."""
    if not rows:
        return None
    options = sorted({str(row[key]) for row in rows})
    pick = alt.param(name="pick", value=options[0], bind=alt.binding_select(options=options, name=f"{label} "))
    chart = (
        alt.Chart(_sample(rows))
        .mark_line(point=True, strokeWidth=2, color=PALETTE[0])
        .encode(
            x=alt.X(f"{x}:T", title="date"),
            y=alt.Y("value:Q", title="%", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip(f"{x}:T", title="date"), alt.Tooltip("value:Q", format=".1%", title="rate")],
        )
        .add_params(pick)
        .transform_filter(f"datum.{key} == pick")
    )
    return _finish(chart.properties(width=WIDTH, height=HEIGHT, title=_title(text)), text, rows)


def stacked_bars(rows: Rows, category: str, series: str, text: ChartText, order: list[str]) -> dict[str, Any] | None:
    """Counts per category, stacked by series (horizontal bars; long names stay readable)."""
    if not rows:
        return None
    chart = (
        alt.Chart(_sample(rows))
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("value:Q", title=text.unit, stack="zero"),
            color=alt.Color(f"{series}:N", title=None, sort=order, legend=alt.Legend(orient="bottom")),
            order=alt.Order("rank:Q"),
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{series}:N"), alt.Tooltip("value:Q")],
        )
    )
    return _finish(chart.properties(width=WIDTH - 120, height=HEIGHT, title=_title(text)), text, rows)


def grouped_bars(
    rows: Rows, category: str, series: str, text: ChartText, percent: bool = True
) -> dict[str, Any] | None:
    """Values per category, one bar per series side by side."""
    if not rows:
        return None
    axis = alt.Axis(format="%") if percent else alt.Axis()
    chart = (
        alt.Chart(_sample(rows))
        .mark_bar()
        .encode(
            x=alt.X(f"{category}:N", title=None, axis=alt.Axis(labelAngle=0, labelLimit=160)),
            xOffset=alt.XOffset(f"{series}:N"),
            y=alt.Y("value:Q", title="%" if percent else text.unit, axis=axis),
            color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip(f"{category}:N"),
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip("value:Q", format=".1%" if percent else ",.2f"),
            ],
        )
    )
    return _finish(chart.properties(width=WIDTH, height=HEIGHT, title=_title(text)), text, rows)


def bars(rows: Rows, category: str, text: ChartText, horizontal: bool = True) -> dict[str, Any] | None:
    """One bar per category (counts)."""
    if not rows:
        return None
    axis_category = alt.Axis(labelLimit=260) if horizontal else alt.Axis(labelAngle=0)
    category_channel = (alt.Y if horizontal else alt.X)(f"{category}:N", title=None, sort="-x", axis=axis_category)
    value_channel = (alt.X if horizontal else alt.Y)("value:Q", title=text.unit)
    chart = (
        alt.Chart(_sample(rows))
        .mark_bar(color=PALETTE[0])
        .encode(category_channel, value_channel, tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip("value:Q")])
    )
    return _finish(chart.properties(width=WIDTH - 120, height=HEIGHT, title=_title(text)), text, rows)


def amount_lines_by_vendor(rows: Rows, text: ChartText) -> dict[str, Any] | None:
    """Billed vs expected per month, one panel per vendor (one currency per chart)."""
    if not rows:
        return None
    base = alt.Chart().encode(
        x=alt.X("month:T", title="month", axis=alt.Axis(format="%b %y")),
        y=alt.Y("value:Q", title=text.unit),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("measure:N", title=None),
        tooltip=[
            alt.Tooltip("vendor:N"),
            alt.Tooltip("month:T", format="%B %Y"),
            alt.Tooltip("measure:N"),
            alt.Tooltip("value:Q", format=",.2f"),
        ],
    )
    layered = alt.layer(base.mark_line(strokeWidth=2), base.mark_point(filled=True), data=_sample(rows))
    chart = layered.properties(width=200, height=200).facet(
        column=alt.Column("vendor:N", title=None, header=alt.Header(labelFontSize=12, labelLimit=300))
    )
    return _finish(chart.properties(title=_title(text)), text, rows)


def signed_bars_by_month(rows: Rows, series: str, text: ChartText) -> dict[str, Any] | None:
    """Signed amounts per month (e.g. variance), one bar per series side by side."""
    if not rows:
        return None
    chart = (
        alt.Chart(_sample(rows))
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="month", timeUnit="yearmonth", axis=alt.Axis(format="%b %y", labelAngle=0)),
            xOffset=alt.XOffset(f"{series}:N"),
            y=alt.Y("value:Q", title=text.unit),
            color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip("month:T", format="%B %Y"),
                alt.Tooltip("value:Q", format=",.2f"),
            ],
        )
    )
    return _finish(chart.properties(width=WIDTH, height=HEIGHT, title=_title(text)), text, rows)


def count_lines(rows: Rows, x: str, series: str, text: ChartText, x_title: str) -> dict[str, Any] | None:
    """Counts over time (or over runs), one line per series."""
    if not rows:
        return None
    base = alt.Chart(_sample(rows)).encode(
        x=alt.X(f"{x}:T", title=x_title),
        y=alt.Y("value:Q", title=text.unit),
        color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom", columns=4)),
        tooltip=[
            alt.Tooltip(f"{x}:T", title=x_title, format="%Y-%m-%d %H:%M"),
            alt.Tooltip(f"{series}:N"),
            alt.Tooltip("value:Q"),
        ],
    )
    chart = base.mark_line(strokeWidth=2) + base.mark_point(filled=True, size=40).encode(
        shape=alt.Shape(f"{series}:N", legend=None)
    )
    return _finish(chart.properties(width=WIDTH, height=HEIGHT, title=_title(text)), text, rows)
