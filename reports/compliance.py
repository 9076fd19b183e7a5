"""`trainops compliance`: was employee E compliant on date D, and why — from the published marts.

Reads ``fct_compliance_history`` in the published marts (``marts.duckdb`` read-only, so it never
blocks or sees a half-published night; on the Postgres target, schema ``marts``) and explains each
requirement's status with the rule that decided it and the evidence chain an auditor follows:
learning record → landing load (Parquet + manifest) → the raw file and line it was read from. The same answer in SQL::

    select * from fct_compliance_history
    where employee_id = 'E000123' and as_of_date = date '2026-10-31'
    order by requirement_id
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

HISTORY_TABLE = "fct_compliance_history"
LANDED_ENTITY_FILE = "lms.learning_record.parquet"


class ComplianceLookupError(Exception):
    """The question cannot be answered from the published marts; the message says why."""


@dataclass
class ComplianceAnswer:
    employee_id: str
    on: date
    marts_db: Path | str
    rows: list[dict[str, Any]] = field(default_factory=list)
    requirement_id: str | None = None


@contextmanager
def _published(marts_db: Path | str) -> Iterator[Callable[..., Any]]:
    """``execute(sql, parameters)`` on the published marts, ``?`` placeholders on either target."""
    if str(marts_db).startswith("postgresql://"):
        from warehouse import postgres_target as postgres

        with postgres.connect() as con:
            con.execute("set search_path to marts")
            yield lambda sql, parameters=(): con.execute(sql.replace("?", "%s"), list(parameters))
        return
    if not Path(marts_db).exists():
        raise ComplianceLookupError(f"no published marts at {marts_db}: run `trainops run` first")
    with duckdb.connect(str(marts_db), read_only=True) as con:
        yield lambda sql, parameters=(): con.execute(sql, list(parameters))


def lookup(
    marts_db: Path | str, home: Path, employee_id: str, on: date, requirement_id: str | None = None
) -> ComplianceAnswer:
    """The history rows of one employee on one date (every requirement that applied, or one).
    ``marts_db`` is the DuckDB file, or the ``postgresql://…`` description of the Postgres target."""
    with _published(marts_db) as execute:
        tables = {
            row[0]
            for row in execute(
                "select table_name from information_schema.tables where table_schema = current_schema()"
            ).fetchall()
        }
        if HISTORY_TABLE not in tables:
            raise ComplianceLookupError(
                f"{marts_db} has no {HISTORY_TABLE} (published before the compliance history existed)"
            )
        known = execute(f"select count(*) from {HISTORY_TABLE} where as_of_date = ?", [on]).fetchone()
        if not known or not known[0]:
            first, last, dates = execute(
                f"select min(as_of_date), max(as_of_date), count(distinct as_of_date) from {HISTORY_TABLE}"
            ).fetchone() or (None, None, 0)
            before = execute(f"select max(as_of_date) from {HISTORY_TABLE} where as_of_date < ?", [on]).fetchone()
            hint = f"; the closest earlier date is {before[0]}" if before and before[0] else ""
            raise ComplianceLookupError(
                f"{on} is not a date of the published compliance history ({dates} dates, {first} … {last}: "
                f"month-ends and the as-of date){hint}. Any day can be computed with dbt var "
                f"compliance_history_grain: day, or by a run with --as-of {on}"
            )
        # the employee by HRIS id, or by the pseudonymous employee_key the BI marts carry
        sql = f"select * from {HISTORY_TABLE} where (employee_id = ? or employee_key = ?) and as_of_date = ?"
        parameters: list[Any] = [employee_id, employee_id, on]
        if requirement_id:
            sql += " and requirement_id = ?"
            parameters.append(requirement_id)
        cursor = execute(sql + " order by requirement_id", parameters)
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
        if not rows:
            raise ComplianceLookupError(_nothing_for(execute, employee_id, on, requirement_id))
    for row in rows:
        row["evidence_landing_file"] = (
            str(home / "landing" / row["evidence_source"] / row["evidence_load_id"] / LANDED_ENTITY_FILE)
            if row.get("evidence_load_id") and row.get("evidence_source")
            else None
        )
        row["explanation"] = explain(row)
    return ComplianceAnswer(employee_id, on, marts_db, rows, requirement_id)


def _nothing_for(execute: Callable[..., Any], employee_id: str, on: date, requirement_id: str | None) -> str:
    """Why the history has no row for the question: an unknown employee, or none on that date."""
    known = execute(
        f"select count(*) from {HISTORY_TABLE} where employee_id = ? or employee_key = ?", [employee_id, employee_id]
    ).fetchone()
    if not known or not known[0]:
        return f"no employee {employee_id!r} in the published compliance history (an employee_id or employee_key)"
    if requirement_id:
        return f"employee {employee_id!r} has no requirement {requirement_id!r} on {on}"
    return f"no requirement applied to employee {employee_id!r} on {on} (not employed, or not in scope)"


def explain(row: dict[str, Any]) -> str:
    """The rule that decided the status (docs/semantics.md), in one sentence."""
    status = row["status"]
    completed = (
        f"last completion {row['last_completed_date']}"
        + (f", expired {row['expires_on']}" if row["expires_on"] else "")
        if row["last_completed_date"]
        else "no qualifying completion on or before this date"
    )
    if status == "exempt":
        window = f"{row['exemption_valid_from'] or '…'} – {row['exemption_valid_to'] or '…'}"
        approver = f", approved by {row['exemption_approved_by']}" if row["exemption_approved_by"] else ""
        return f"exempt: {row['exemption_reason']}{approver}, valid {window}"
    if status == "compliant":
        expiry = f", expires {row['expires_on']}" if row["expires_on"] else ", never expires"
        return (
            f"compliant: {row['evidence_course_ref']} completed {row['last_completed_date']} "
            f"(record {row['evidence_record_id']}){expiry}"
        )
    if status == "overdue":
        return (
            f"overdue: due {row['due_date']}, {row['days_overdue']} days overdue "
            f"(grace ended {row['grace_until']}); {completed}"
        )
    if status == "due_soon":
        return f"due soon: due {row['due_date']} (overdue after {row['grace_until']}); {completed}"
    return f"not yet due: due {row['due_date']}; {completed}"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def render(answer: ComplianceAnswer, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(
            {
                "employee_id": answer.employee_id,
                "on": answer.on.isoformat(),
                "marts_db": str(answer.marts_db),
                "requirements": [{key: _plain(value) for key, value in row.items()} for row in answer.rows],
            },
            indent=1,
            ensure_ascii=False,
        )
    if not answer.rows:
        what = f"requirement {answer.requirement_id}" if answer.requirement_id else "no requirement"
        return (
            f"{answer.employee_id} on {answer.on}: {what} applied "
            "(not on the roster that day, terminated, out of the rule's scope or the rule not effective)"
        )
    lines = [f"{answer.employee_id} on {answer.on} (published marts {answer.marts_db}):"]
    for row in answer.rows:
        lines += [
            "",
            f"{row['requirement_id']}  {row['requirement_title']} ({row['regime']}): {row['status'].upper()}",
            f"  why:      {row['explanation']}",
            f"  applies:  {row['employment_status']}, {row['department']} / {row['job_code']} / {row['country']};"
            f" in scope since {row['scope_entry_date']}, first due {row['first_due_date']}",
        ]
        if row["is_before_first_snapshot"]:
            lines.append("  note:     before the first roster snapshot: the roster state that day is inferred")
        if row["evidence_record_id"]:
            lines += [
                f"  evidence: record {row['evidence_record_id']} from {row['evidence_source_system']}",
                f"            source {row['evidence_source']} ({row['evidence_source_kind']}),"
                f" load {row['evidence_load_id']}; learner matched by {row.get('evidence_resolution_method')}",
                f"            raw {row['evidence_source_file']} line {row['evidence_source_line']}",
                f"            landed {row['evidence_landing_file']}",
            ]
    return "\n".join(lines)
