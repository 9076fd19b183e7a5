"""The run record (what `trainops status` reads), its headline figures, and the run report: a
Prefect markdown artifact and a local HTML page per run (``{home}/runs/<run_id>.html``)."""

from __future__ import annotations

import html
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg

HEADLINES = {
    "compliance_pct": """
        select round(100.0 * count(*) filter (where status = 'compliant')
               / nullif(count(*) filter (where status <> 'exempt'), 0), 1)
        from fct_compliance_status""",
    "overdue": "select count(*) from fct_compliance_status where status = 'overdue'",
    "utilization_pct": """
        select round(100.0 * sum(seats_used) / nullif(sum(capacity), 0), 1)
        from fct_session_utilization where status = 'delivered'""",
    # per currency (never summed across), over the months that have ended: retainer / hybrid
    # expectations live per vendor-period, so the line mart alone would understate them
    "billed": """
        select string_agg(currency || ' ' || cast(amount as varchar), ', ' order by currency) from (
            select currency, cast(sum(billed_amount) as decimal(20, 2)) as amount
            from rpt_vendor_spend_monthly where is_month_complete group by currency) as spend""",
    "expected": """
        select string_agg(currency || ' ' || cast(amount as varchar), ', ' order by currency) from (
            select currency, cast(sum(expected_amount) as decimal(20, 2)) as amount
            from rpt_vendor_spend_monthly where is_month_complete group by currency) as spend""",
    "flagged_lines": "select count(*) from fct_invoice_line_reconciliation where flags <> ''",
}


Fetch = Callable[[str], list[tuple[Any, ...]]]
QUERY_ERRORS = (duckdb.Error, psycopg.Error)


def marts_fetch(marts: str | Path) -> Fetch:
    """Run a query on the published marts: the DuckDB file, or the Postgres warehouse's schema marts
    (``marts`` is then the ``postgresql://…`` description warehouse/postgres_target.py publishes under)."""
    if str(marts).startswith("postgresql://"):
        from warehouse import postgres_target as postgres

        return postgres.fetch

    def fetch(sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(marts), read_only=True) as con:
            return con.execute(sql).fetchall()

    return fetch


def headline_figures(marts: str | Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    fetch = marts_fetch(marts)
    for name, sql in HEADLINES.items():
        try:
            rows = fetch(sql)
        except QUERY_ERRORS:  # a mart without that column yet: report what is there
            continue
        value = rows[0][0] if rows else None
        if isinstance(value, Decimal):  # Postgres rounds to numeric, DuckDB to double: report one form
            value = float(value)
        figures[name] = str(value) if value is not None and not isinstance(value, int | float) else value
    return figures


QUARANTINE_SHOWN = 200  # findings listed one by one in a report; the counts cover all


def complete_record(home: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Add what the report needs beyond the steps' results: the quarantine findings of the loads
    this run landed (each with file, line and rule), the cross-system checks that did not pass,
    and what changed since the previous successful run."""
    from pipeline.lifecycle import read_run_records
    from pipeline.quarantine import list_quarantine

    load_ids = {load for source in record.get("sources", []) for load in source.get("loads", [])}
    findings = [row for row in list_quarantine(home) if row["_load_id"] in load_ids] if load_ids else []
    by_rule: dict[str, int] = {}
    for row in findings:
        by_rule[row["rule"]] = by_rule.get(row["rule"], 0) + 1
    record["quarantine"] = {
        "findings": len(findings),
        "by_rule": dict(sorted(by_rule.items())),
        "rows": [
            {key: row[key] for key in ("_source", "_source_file", "_source_line", "rule", "severity", "column_name",
                                       "value", "message")}
            for row in findings[:QUARANTINE_SHOWN]
        ],
    }  # fmt: skip
    published = record.get("published")
    if published:
        record["checks"] = _failing_checks(published["marts_db"])
        previous = next((r for r in read_run_records(home, limit=50) if r["status"] == "success"), None)
        record["changes"] = _changes(previous, record) if previous else None
    return record


def _failing_checks(marts: str | Path) -> list[dict[str, Any]]:
    names = ["check_name", "failing_rows", "checked_rows", "check_status"]
    try:
        rows = marts_fetch(marts)(
            f"select {', '.join(names)} from rpt_cross_system_checks where check_status <> 'ok' order by check_name"
        )
    except QUERY_ERRORS:
        return []
    return [dict(zip(names, row, strict=True)) for row in rows]


def _changes(previous: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """Mart row counts and headline figures now vs the previous successful run."""
    before_tables = previous.get("published", {}).get("tables", {})
    now_tables = record.get("published", {}).get("tables", {})
    tables = {
        name: {"before": before_tables.get(name), "now": now_tables.get(name)}
        for name in sorted(set(before_tables) | set(now_tables))
        if before_tables.get(name) != now_tables.get(name)
    }
    before_figures, now_figures = previous.get("figures", {}), record.get("figures", {})
    figures = {
        name: {"before": before_figures.get(name), "now": now_figures.get(name)}
        for name in now_figures
        if before_figures.get(name) != now_figures.get(name)
    }
    return {"previous_run": previous["run_id"], "tables": tables, "figures": figures}


def write_report(home: Path, record: dict[str, Any]) -> Path:
    """The run's HTML report beside its record (``runs/<run_id>.html``), replaced atomically."""
    report = home / "runs" / f"{record['run_id']}.html"
    report.parent.mkdir(parents=True, exist_ok=True)
    tmp = report.with_suffix(".html.tmp")
    tmp.write_text(render_html(record))
    tmp.replace(report)
    return report


def render_markdown(record: dict[str, Any]) -> str:
    """The run report (the Prefect artifact ``<flow>-summary``; the HTML page is rendered from it)."""
    lines = [f"# trainops run {record['run_id']} — {record['status']}", ""]
    lines.append(f"as of **{record['as_of']}**, config `{record['config']}`")
    if record.get("error"):
        lines += ["", f"**Error:** {record['error']}"]
    sections = (_sources, _validation, _build, _published, _checks, _changes_section, _quarantine, _stale, _backfill)
    for section in sections:
        lines += section(record)
    return "\n".join(lines) + "\n"


def _sources(record: dict[str, Any]) -> list[str]:
    lines = ["", "## Sources", "", "| source | kind | new files | rows | parse rejects |", "|---|---|---|---|---|"]
    for source in record.get("sources", []):
        rows = ", ".join(f"{entity}: {count}" for entity, count in source["rows"].items()) or "—"
        lines.append(f"| {source['source']} | {source['kind']} | {source['files']} | {rows} | {source['rejects']} |")
    sources = record.get("sources", [])
    skipped = [f"- {source['source']}: {note}" for source in sources for note in source.get("skipped", [])]
    if skipped:
        lines += ["", "Received, nothing landed:", "", *skipped]
    bad = [(source["source"], file) for source in sources for file in source.get("bad_files", [])]
    if bad:
        lines += ["", "Files quarantined whole (unreadable; the source's other files landed):", ""]
        lines += [f"- {name}: {file}" for name, file in bad]
    return lines


def _validation(record: dict[str, Any]) -> list[str]:
    validation = record.get("validation")
    if not validation:
        return []
    lines = [
        "",
        "## Validation",
        "",
        f"{validation['loads']} loads, {validation['rows']} rows validated, "
        f"{validation['quarantined_rows']} rows quarantined, {validation['warnings']} warnings.",
    ]
    if validation.get("replaced_rows"):
        lines[-1] += f" {validation['replaced_rows']} rows of earlier file versions replaced by corrected files."
    return lines + [f"- CRITICAL: {line}" for line in validation["critical"]]


def _build(record: dict[str, Any]) -> list[str]:
    build = record.get("build")
    if not build:
        return []
    counts = ", ".join(f"{status}: {n}" for status, n in sorted(build["counts"].items()))
    lines = ["", "## dbt build", "", f"{counts} in {build['seconds']:.1f} s"]
    night = record.get("night")
    if night:  # warehouse/incremental.py
        lines += ["", f"**{night['kind']} night**: {'; '.join(night['reasons'])}"]
    lines += [f"- {failure}" for failure in build["failures"]]
    return lines + [f"- warning: {warning}" for warning in build.get("warnings", [])]


def _published(record: dict[str, Any]) -> list[str]:
    lines = []
    published = record.get("published")
    if published:
        lines += ["", "## Published marts", "", "| mart | rows |", "|---|---|"]
        lines += [f"| {name} | {rows} |" for name, rows in published["tables"].items()]
    figures = record.get("figures")
    if figures:
        lines += ["", "## Headline figures", ""]
        lines += [f"- {name}: {value}" for name, value in figures.items()]
    if (record.get("dashboard") or {}).get("path"):
        lines += ["", f"Dashboard: {record['dashboard']['path']}"]
    return lines


def _checks(record: dict[str, Any]) -> list[str]:
    checks = record.get("checks")
    if not checks:
        return []
    lines = ["", "## Cross-system checks not passing", ""]
    return lines + [
        f"- {c['check_name']}: {c['failing_rows']} of {c['checked_rows']} ({c['check_status']})" for c in checks
    ]


def _changes_section(record: dict[str, Any]) -> list[str]:
    changes = record.get("changes")
    if not changes:
        return []
    lines = ["", f"## Changes since run {changes['previous_run']}", ""]
    lines += [f"- {name}: {c['before']} → {c['now']} rows" for name, c in changes["tables"].items()]
    lines += [f"- {name}: {c['before']} → {c['now']}" for name, c in changes["figures"].items()]
    if not changes["tables"] and not changes["figures"]:
        lines.append("- no change in mart row counts or headline figures")
    return lines


def _quarantine(record: dict[str, Any]) -> list[str]:
    quarantine = record.get("quarantine")
    if not quarantine or not quarantine["findings"]:
        return []
    lines = ["", f"## Quarantined by this run ({quarantine['findings']} findings)", ""]
    lines += [f"- {rule}: {count}" for rule, count in quarantine["by_rule"].items()]
    lines += ["", "| source | file:line | rule | severity | column | value |", "|---|---|---|---|---|---|"]
    for row in quarantine["rows"]:
        lines.append(
            f"| {row['_source']} | {row['_source_file']}:{row['_source_line']} | {row['rule']} | "
            f"{row['severity']} | {row['column_name'] or ''} | {row['value'] if row['value'] is not None else ''} |"
        )
    return lines


def _stale(record: dict[str, Any]) -> list[str]:
    stale = record.get("stale_sources")
    if not stale:
        return []
    lines = ["", "## Stale sources", "", "Published without a fresh extraction of:", ""]
    return lines + [f"- **{name}**: {error}" for name, error in sorted(stale.items())]


def _backfill(record: dict[str, Any]) -> list[str]:
    backfill = record.get("backfill")
    if not backfill:
        return []
    return [
        "",
        "## Backfill",
        "",
        f"{backfill['start']}..{backfill['end']}, sources {', '.join(backfill['sources'])}, "
        f"chunks of {backfill['chunk_days']} days: {backfill.get('chunks_run', 0)} run, "
        f"{backfill.get('chunks_resumed', 0)} already done, {len(backfill.get('loads', []))} loads landed, "
        f"{len(backfill.get('revalidated', []))} loads revalidated.",
    ]


def render_html(record: dict[str, Any]) -> str:
    """The same report as a self-contained HTML page (no scripts, no external assets)."""
    body = []
    in_table = False
    for line in render_markdown(record).splitlines():
        if line.startswith("|"):
            cells = [html.escape(cell.strip()) for cell in line.strip("|").split("|")]
            if set("".join(cells)) <= {"-"}:
                continue
            tag = "th" if not in_table else "td"
            body.append(
                ("<table>" if not in_table else "") + "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"
            )
            in_table = True
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("- "):
            body.append(f"<li>{html.escape(line[2:]).replace('**', '')}</li>")
        elif line:
            body.append(f"<p>{html.escape(line).replace('**', '')}</p>")
    if in_table:
        body.append("</table>")
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    )
    if (record.get("dashboard") or {}).get("path"):  # runs/<run>.html → reports/dashboard.html
        body.insert(1, '<p><a href="../reports/dashboard.html">Dashboard</a> (charts of the published marts)</p>')
    title = html.escape(f"trainops run {record['run_id']}")
    head = f"<head><meta charset='utf-8'><title>{title}</title><style>{style}</style></head>"
    return f"<!doctype html><html>{head}<body>{''.join(body)}</body></html>\n"
