"""The dashboard's sections: headline figures, charts and tables, from the published marts (through
the semantic layer's metric definitions, ``reports/metrics.py``) and the run and freshness records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from reports import dashboard_charts as charts
from reports.dashboard_charts import ChartText
from reports.metrics import MetricQuery, PublishedMetrics, on_day

Fetch = Callable[[str], list[tuple[Any, ...]]]
OVERDUE_SHOWN = 15


@dataclass(frozen=True)
class Headline:
    """A figure at the top of a section; ``metric`` names its definition (or its record)."""

    metric: str
    label: str
    value: str


@dataclass(frozen=True)
class Chart:
    title: str
    spec: dict[str, Any] | None  # None: no data yet


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass
class Section:
    key: str
    title: str
    intro: str
    headlines: list[Headline] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Sources:
    """Where a dashboard reads from: the published marts (metrics and plain queries) and the home."""

    metrics: PublishedMetrics
    fetch: Fetch
    home: Path
    as_of: date


# -- formatting --------------------------------------------------------------------------------------


def percent(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):.1f} %"


def count(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def money(currency: str, value: Any) -> str:
    return "—" if value is None else f"{currency} {Decimal(value):,.2f}"


def _day(value: Any) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else str(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _fold(rows: list[dict[str, Any]], keys: dict[str, str], names: dict[str, str]) -> list[dict[str, Any]]:
    """Wide metric rows → long rows (``keys`` renames group-by columns; ``names`` labels metrics)."""
    long = []
    for row in rows:
        base = {new: _day(row[old]) if "metric_time" in old else row[old] for old, new in keys.items()}
        for metric, label in names.items():
            if row.get(metric) is not None:
                long.append({**base, "series": label, "value": _number(row[metric])})
    return long


# -- compliance --------------------------------------------------------------------------------------


def compliance(src: Sources) -> Section:
    m, as_of, day = src.metrics, src.as_of.isoformat(), (on_day(src.as_of),)
    section = Section(
        "compliance",
        "Compliance",
        "Compliance rate = compliant ÷ (applicable − exempt), from counts (metric compliance_rate); "
        "overdue = past the due date plus the grace days.",
    )
    figures = m.rows(MetricQuery(("compliance_rate", "overdue_count", "due_soon_count", "compliant_count"), where=day))
    first = figures[0] if figures else {}
    section.headlines = [
        Headline("compliance_rate", "Compliance rate", percent(first.get("compliance_rate"))),
        Headline("overdue_count", "Overdue", count(first.get("overdue_count"))),
        Headline("due_soon_count", "Due soon", count(first.get("due_soon_count"))),
        Headline("compliant_count", "Compliant", count(first.get("compliant_count"))),
    ]
    trend = m.rows(MetricQuery(("compliance_rate",), ("assignment__department", "metric_time__day")))
    by_department = _fold(
        trend, {"metric_time__day": "date", "assignment__department": "department"}, {"compliance_rate": "rate"}
    )
    text = ChartText("Compliance rate by department", "% of applicable, non-exempt requirements", as_of)
    section.charts.append(Chart(text.title, charts.percent_lines(by_department, "date", "department", text, "date")))
    teams = m.rows(MetricQuery(("compliance_rate",), ("assignment__manager_id", "metric_time__day")))
    by_manager = _fold(
        teams, {"metric_time__day": "date", "assignment__manager_id": "manager"}, {"compliance_rate": "rate"}
    )
    text = ChartText("Compliance rate of a manager's team", "% of the direct reports' requirements", as_of)
    section.charts.append(
        Chart(
            text.title, charts.percent_lines_with_selector(by_manager, "date", "manager", text, "manager (employee id)")
        )
    )
    by_requirement = m.rows(
        MetricQuery(("compliant_count", "due_soon_count", "overdue_count"), ("assignment__requirement_title",), day)
    )
    statuses = {"compliant_count": "compliant", "due_soon_count": "due soon", "overdue_count": "overdue"}
    rows = _fold(by_requirement, {"assignment__requirement_title": "requirement"}, statuses)
    for row in rows:
        row["rank"] = list(statuses.values()).index(row["series"])
    text = ChartText("Status by requirement", "employees", as_of)
    section.charts.append(
        Chart(text.title, charts.stacked_bars(rows, "requirement", "series", text, list(statuses.values())))
    )
    overdue = src.fetch(
        "select employee_key, requirement_title, due_date, days_overdue from fct_compliance_status "
        f"where status = 'overdue' order by days_overdue desc, employee_key, requirement_title limit {OVERDUE_SHOWN}"
    )
    section.tables.append(
        Table(
            f"Oldest overdue items (as of {as_of})",
            ("employee key", "requirement", "due date", "days overdue"),
            overdue,
        )
    )
    return section


# -- utilization -------------------------------------------------------------------------------------

RATES = {"fill_rate": "fill rate", "utilization_rate": "utilization rate", "no_show_rate": "no-show rate"}


def utilization(src: Sources, vendors: dict[str, str]) -> Section:
    m, as_of = src.metrics, src.as_of.isoformat()
    section = Section(
        "utilization",
        "Utilization",
        "Delivered sessions. Fill = booked ÷ seats, utilization = used ÷ seats, no-show = no-shows ÷ "
        "(attended + no-shows), all from summed seats; self-paced: learners who started ÷ licences.",
    )
    figures = m.rows(MetricQuery((*RATES, "licence_learners_started", "licences_purchased")))
    first = figures[0] if figures else {}
    section.headlines = [
        Headline(metric, label.capitalize(), percent(first.get(metric))) for metric, label in RATES.items()
    ]
    started, bought = first.get("licence_learners_started"), first.get("licences_purchased")
    section.headlines.append(
        Headline("licence_use", "Self-paced licences used", f"{count(started)} of {count(bought)}" if bought else "—")
    )
    monthly = m.rows(MetricQuery(tuple(RATES), ("metric_time__month",)))
    text = ChartText("Seat rates by month", "% of seats (no-show: % of attendance outcomes)", as_of)
    rows = _fold(monthly, {"metric_time__month": "month"}, RATES)
    section.charts.append(Chart(text.title, charts.percent_lines(rows, "month", "series", text, "month")))
    modality = m.rows(MetricQuery(tuple(RATES), ("session__modality",)))
    text = ChartText("Seat rates by modality", "% of summed seats", as_of)
    rows = _fold(modality, {"session__modality": "modality"}, RATES)
    section.charts.append(Chart(text.title, charts.grouped_bars(rows, "modality", "series", text)))
    by_vendor = m.rows(MetricQuery(tuple(RATES), ("session__vendor_id",)))
    for row in by_vendor:
        row["session__vendor_id"] = vendors.get(row["session__vendor_id"], row["session__vendor_id"] or "(in-house)")
    text = ChartText("Seat rates by vendor", "% of summed seats", as_of)
    rows = _fold(by_vendor, {"session__vendor_id": "vendor"}, RATES)
    section.charts.append(Chart(text.title, charts.grouped_bars(rows, "vendor", "series", text)))
    licences = m.rows(MetricQuery(("licences_purchased", "licence_learners_started"), ("metric_time__month",)))
    licences = [row for row in licences if row["licences_purchased"]]
    for row in licences:
        row["metric_time__month"] = _day(row["metric_time__month"])[:7]
    rows = _fold(
        licences,
        {"metric_time__month": "month"},
        {"licences_purchased": "licences purchased", "licence_learners_started": "learners started"},
    )
    text = ChartText("Self-paced licence use by month the pool opened", "licences / learners", as_of)
    section.charts.append(Chart(text.title, charts.grouped_bars(rows, "month", "series", text, percent=False)))
    courses = m.rows(
        MetricQuery(
            ("seats_offered", "seats_used", "utilization_rate"),
            ("session__course_title",),
            order_by=("utilization_rate", "session__course_title"),
        )
    )
    section.tables.append(
        Table(
            f"Courses by utilization, lowest first (delivered sessions, as of {as_of})",
            ("course", "seats offered", "seats used", "utilization"),
            [
                (
                    row["session__course_title"],
                    count(row["seats_offered"]),
                    count(row["seats_used"]),
                    percent(row["utilization_rate"]),
                )
                for row in courses
                if row["utilization_rate"] is not None
            ],
        )
    )
    return section


# -- billing -----------------------------------------------------------------------------------------

SLAS = {
    "sla_on_time_delivery_attainment": "on-time delivery",
    "sla_reporting_attainment": "reporting lag",
    "sla_invoice_accuracy_attainment": "invoice accuracy",
}
COMPLETE_MONTHS = "{{ Dimension('vendor_month__is_month_complete') }}"
MONTHS_SHOWN = 24  # the monthly billing charts; the headline totals cover every month


def _months_before(day: date, months: int) -> str:
    """The first day of the month ``months`` months before ``day``'s month, ISO."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1).isoformat()


def billing(src: Sources, vendors: dict[str, str]) -> Section:
    m, as_of = src.metrics, src.as_of.isoformat()
    section = Section(
        "billing",
        "Billing",
        "Per currency, never summed across currencies; headline totals over the completed months. "
        "Variance = billed − expected (positive: billed more than the contracts support).",
    )
    totals = m.rows(
        MetricQuery(
            ("billed", "expected", "variance"),
            ("vendor_month__currency",),
            (COMPLETE_MONTHS,),
            ("vendor_month__currency",),
        )
    )
    for row in totals:
        currency = row["vendor_month__currency"]
        section.headlines += [
            Headline(f"{name}:{currency}", f"{name.capitalize()} ({currency})", money(currency, row[name]))
            for name in ("billed", "expected", "variance")
        ]
    first = (m.rows(MetricQuery(("flagged_lines", *SLAS))) or [{}])[0]
    section.headlines.append(Headline("flagged_lines", "Flagged invoice lines", count(first.get("flagged_lines"))))
    section.headlines += [
        Headline(key, f"SLA attained: {label}", percent(first.get(key))) for key, label in SLAS.items()
    ]
    monthly = m.rows(
        MetricQuery(
            ("billed", "expected", "variance"),
            ("vendor_month__currency", "vendor_month__vendor_name", "metric_time__month"),
        )
    )
    since = _months_before(src.as_of, MONTHS_SHOWN)
    monthly = [row for row in monthly if _day(row["metric_time__month"]) >= since]
    for currency in sorted({row["vendor_month__currency"] for row in monthly}):
        rows = [row for row in monthly if row["vendor_month__currency"] == currency]
        keys = {"metric_time__month": "month", "vendor_month__vendor_name": "vendor"}
        amounts = [
            {**row, "measure": row.pop("series")}
            for row in _fold(rows, keys, {"billed": "billed", "expected": "expected"})
        ]
        unit = f"{currency}, net of credits, last {MONTHS_SHOWN} months"
        text = ChartText(f"Billed vs expected by vendor and month ({currency})", unit, as_of)
        section.charts.append(Chart(text.title, charts.amount_lines_by_vendor(amounts, text)))
        text = ChartText(f"Variance by vendor and month ({currency})", f"{currency}, billed − expected", as_of)
        variance = _fold(rows, keys, {"variance": "variance"})
        section.charts.append(Chart(text.title, charts.signed_bars_by_month(variance, "vendor", text)))
    if not monthly:
        section.charts.append(Chart("Billed vs expected by vendor and month", None))
    section.charts += [_flags_chart(src, as_of), _retainer_chart(src, vendors, as_of)]
    sla = m.rows(MetricQuery(tuple(SLAS), ("vendor_sla_month__vendor_id",)))
    for row in sla:
        vendor = row["vendor_sla_month__vendor_id"]
        row["vendor_sla_month__vendor_id"] = vendors.get(vendor, vendor)
    text = ChartText("SLA attainment per vendor", "% of measured vendor-months attained", as_of)
    rows = _fold(sla, {"vendor_sla_month__vendor_id": "vendor"}, SLAS)
    section.charts.append(Chart(text.title, charts.grouped_bars(rows, "vendor", "series", text)))
    return section


def _flags_chart(src: Sources, as_of: str) -> Chart:
    counts: dict[str, int] = {}
    for flags, lines in src.fetch(
        "select flags, count(*) from fct_invoice_line_reconciliation where flags is not null group by flags"
    ):
        for flag in str(flags).split(";"):
            counts[flag] = counts.get(flag, 0) + int(lines)
    text = ChartText("Flagged invoice lines by flag", "invoice lines (a line can carry several flags)", as_of)
    rows = [{"flag": flag, "value": lines} for flag, lines in sorted(counts.items())]
    return Chart(text.title, charts.bars(rows, "flag", text))


def _retainer_chart(src: Sources, vendors: dict[str, str], as_of: str) -> Chart:
    periods = src.fetch(
        "select vendor_id, period_start, retainer_utilisation from fct_vendor_period_billing "
        "where retainer_utilisation is not null order by vendor_id, period_start"
    )
    rows = [
        {"period": str(start), "vendor": vendors.get(vendor, vendor), "value": _number(share)}
        for vendor, start, share in periods
    ]
    text = ChartText("Retainer utilisation", "% of included learners served, per billing period", as_of)
    return Chart(text.title, charts.percent_lines(rows, "period", "vendor", text, "billing period start"))


# -- data health -------------------------------------------------------------------------------------

RUNS_SHOWN = 20


def data_health(src: Sources) -> Section:
    from pipeline.freshness import read_freshness
    from pipeline.lifecycle import read_run_records
    from pipeline.quarantine import summarize_quarantine

    as_of = src.as_of.isoformat()
    section = Section(
        "health",
        "Data health",
        "Freshness of each source, rows held back by validation, cross-system checks, and what the "
        "last runs extracted.",
    )
    freshness = read_freshness(src.home)
    by_rule: dict[str, int] = {}
    for row in summarize_quarantine(src.home):
        by_rule[row["rule"]] = by_rule.get(row["rule"], 0) + int(row["findings"])
    checks = src.fetch(
        "select check_name, entity, checked_rows, failing_rows, failing_share, check_status "
        "from rpt_cross_system_checks order by check_name"
    )
    failing = [source for source, entry in freshness.items() if entry.get("last_error")]
    section.headlines = [
        Headline("sources_failing", "Sources failing to extract", f"{len(failing)} of {len(freshness)}"),
        Headline("quarantined_rows", "Quarantine findings", count(sum(by_rule.values()))),
        Headline("checks_not_ok", "Cross-system checks not ok", count(sum(1 for c in checks if c[-1] != "ok"))),
    ]
    section.tables.append(
        Table(
            "Freshness per source",
            ("source", "last extraction", "last new data", "last failure", "last error"),
            [
                (
                    name,
                    e.get("last_success_at"),
                    e.get("last_new_data_at"),
                    e.get("last_failure_at"),
                    e.get("last_error"),
                )
                for name, e in sorted(freshness.items())
            ],
        )
    )
    text = ChartText("Quarantined rows by rule", "findings (all loads kept)", as_of)
    rows = [{"rule": rule, "value": findings} for rule, findings in sorted(by_rule.items())]
    section.charts.append(Chart(text.title, charts.bars(rows, "rule", text)))
    section.tables.append(
        Table(
            "Cross-system checks",
            ("check", "entity", "checked rows", "failing rows", "failing share", "status"),
            [(*c[:4], percent(c[4]), c[5]) for c in checks],
        )
    )
    runs = []
    for record in reversed(read_run_records(src.home, limit=RUNS_SHOWN)):
        for source in record.get("sources") or []:
            runs.append(
                {
                    "run": record.get("started_at") or record["run_id"],
                    "source": source["source"],
                    "value": sum(source["rows"].values()),
                }
            )
    text = ChartText("Rows extracted per source over the last runs", "rows per run", as_of)
    section.charts.append(Chart(text.title, charts.count_lines(runs, "run", "source", text, "run started")))
    return section
