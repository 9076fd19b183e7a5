"""Headline figures of a published run, and the run record that `trainops status` reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

HEADLINES = {
    "compliance_pct": """
        select round(100.0 * count(*) filter (where status = 'compliant')
               / nullif(count(*) filter (where status <> 'exempt'), 0), 1)
        from fct_compliance_status""",
    "overdue": "select count(*) from fct_compliance_status where status = 'overdue'",
    "utilization_pct": """
        select round(100.0 * sum(attended) / nullif(sum(capacity), 0), 1)
        from fct_session_utilization where status = 'delivered'""",
    "billed": "select cast(sum(billed_amount) as decimal(20, 2)) from fct_invoice_line_reconciliation",
    "expected": "select cast(sum(expected_amount) as decimal(20, 2)) from fct_invoice_line_reconciliation",
    "flagged_lines": "select count(*) from fct_invoice_line_reconciliation where flags <> ''",
}


def headline_figures(marts_db: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with duckdb.connect(str(marts_db), read_only=True) as con:
        for name, sql in HEADLINES.items():
            try:
                row = con.execute(sql).fetchone()
            except duckdb.Error:  # a mart without that column yet: report what is there
                continue
            value = row[0] if row else None
            figures[name] = str(value) if value is not None and not isinstance(value, int | float) else value
    return figures


def write_run_record(home: Path, run_id: str, record: dict[str, Any]) -> Path:
    runs = home / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / f"{run_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str))
    tmp.replace(path)
    return path


def read_run_records(home: Path, limit: int = 10) -> list[dict[str, Any]]:
    paths = sorted((home / "runs").glob("*.json"))[-limit:]
    return [json.loads(path.read_text()) for path in reversed(paths)]


def render_markdown(record: dict[str, Any]) -> str:
    lines = [f"# trainops run {record['run_id']} — {record['status']}", ""]
    lines.append(f"as of **{record['as_of']}**, config `{record['config']}`")
    if record.get("error"):
        lines += ["", f"**Error:** {record['error']}"]
    lines += [
        "",
        "## Sources",
        "",
        "| source | kind | new files | rows | parse rejects |",
        "|---|---|---|---|---|",
    ]
    for source in record.get("sources", []):
        rows = ", ".join(f"{entity}: {count}" for entity, count in source["rows"].items()) or "—"
        lines.append(
            f"| {source['source']} | {source['kind']} | {source['files']} | {rows} | {source['rejects']} |"
        )
    validation = record.get("validation")
    if validation:
        lines += [
            "",
            "## Validation",
            "",
            f"{validation['loads']} loads, {validation['rows']} rows validated, "
            f"{validation['quarantined_rows']} rows quarantined, {validation['warnings']} warnings.",
        ]
        lines += [f"- CRITICAL: {line}" for line in validation["critical"]]
    build = record.get("build")
    if build:
        counts = ", ".join(f"{status}: {n}" for status, n in sorted(build["counts"].items()))
        lines += ["", "## dbt build", "", f"{counts} in {build['seconds']:.1f} s"]
        lines += [f"- {failure}" for failure in build["failures"]]
    published = record.get("published")
    if published:
        lines += ["", "## Published marts", "", "| mart | rows |", "|---|---|"]
        lines += [f"| {name} | {rows} |" for name, rows in published["tables"].items()]
    figures = record.get("figures")
    if figures:
        lines += ["", "## Headline figures", ""]
        lines += [f"- {name}: {value}" for name, value in figures.items()]
    return "\n".join(lines) + "\n"
