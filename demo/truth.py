"""The ground truth: what the parts planted, collected while they generate, and ``ground_truth.json``.

It records what was *decided* while planting (an employee hired on H with a 30-day requirement and no
record is overdue since H + 30), never a recomputation with the marts' logic. ``generate``'s docstring
describes every key; docs/semantics.md defines the statuses and flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from demo.common import TIMEZONE, Params

if TYPE_CHECKING:
    from demo.organisation import Employee


@dataclass
class ComplianceCase:
    """A planted employee × requirement row as the compliance mart must show it at as_of."""

    case: str
    employee: Employee  # its id is known only once everyone is numbered
    requirement_id: str
    status: str
    due_date: date | None
    evidence_record_id: str | None
    evidence_source: str | None  # xapi_files or lms_csv, when there is evidence
    days_overdue: int | None  # on overdue rows
    history: list[dict[str, Any]] | None  # the same facts on earlier month-ends (``was``)

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "case": self.case,
            "employee_id": self.employee.eid,
            "requirement_id": self.requirement_id,
            "status": self.status,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "evidence_record_id": self.evidence_record_id,
        }
        if self.days_overdue is not None:
            entry["days_overdue"] = self.days_overdue
        if self.evidence_source is not None:
            entry["evidence_source"] = self.evidence_source
        if self.history is not None:
            entry["history"] = self.history
        return entry


def was(on: date, status: str | None, due: date | None = None, evidence: str | None = None) -> dict[str, Any]:
    """A planted case's state on an earlier date ``on`` (a month-end of the compliance history);
    status None: the requirement did not apply that day (no row)."""
    fact: dict[str, Any] = {
        "on": on.isoformat(),
        "status": status,
        "due_date": due.isoformat() if due else None,
        "evidence_record_id": evidence,
    }
    if status == "overdue" and due:
        fact["days_overdue"] = (on - due).days
    return fact


@dataclass
class Truth:
    """The collector every part writes to; ``write_ground_truth`` turns it into the file."""

    counts: dict[str, int] = field(default_factory=dict)  # keyed in the order the parts write them
    compliance: list[ComplianceCase] = field(default_factory=list)
    utilization: list[dict[str, Any]] = field(default_factory=list)
    billing: list[dict[str, Any]] = field(default_factory=list)
    clean_lines: list[dict[str, str]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    voided: list[str] = field(default_factory=list)
    malformed: list[dict[str, Any]] = field(default_factory=list)

    def bad(self, folder: str, file: str, line: int, column: str | None, defect: str, value: str | None) -> None:
        """One defective row: 1-based ``line`` (CSV: header = 1; JSONL: line; JSON: index in
        ``statements``; XML: index of the InvoiceLine)."""
        self.malformed.append(
            {"folder": folder, "file": file, "line": line, "column": column, "defect": defect, "value": value}
        )


def write_ground_truth(params: Params, people: list[Employee], truth: Truth) -> dict[str, Any]:
    """``ground_truth.json`` under the output folder; returns what it wrote."""
    last = params.snapshots[-1]
    terminated = sorted(
        p.eid for p in people if p.term is not None and p.term < last and (p.rehire is None or p.rehire > last)
    )
    document = {
        "seed": params.seed,
        "as_of": params.as_of.isoformat(),
        "timezone": TIMEZONE,
        "params": {"employees": params.employees, "months": params.months, "vendors": params.vendors},
        "counts": truth.counts,
        "compliance": [case.as_json() for case in truth.compliance],
        "terminated_at_as_of": terminated,
        "utilization": truth.utilization,
        "billing": truth.billing,
        "clean_lines": truth.clean_lines,
        "unresolved_learners": sorted(truth.unresolved),
        "voided_record_ids": sorted(truth.voided),
        "malformed": truth.malformed,
    }
    (params.out / "ground_truth.json").write_text(
        json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return document
