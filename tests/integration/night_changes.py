"""New files for a sequence of nights over a demo enterprise (the incremental-night equivalence
tests): a late statement and a voiding one, an HR snapshot with a rehire and a transfer, a booking
re-delivered with another status, a late LMS export changing a record."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path


def _statement(template: dict[str, object], statement_id: str, timestamp: str) -> dict[str, object]:
    return {**template, "id": statement_id, "timestamp": timestamp, "stored": "2026-12-02T08:00:00.000Z"}


def drop_late_and_voiding(xapi: Path) -> list[str]:
    """A new xAPI file: a late statement for an old date (September) and one voiding an October
    statement. Returns the lines of the October file it drew them from."""
    lines = (xapi / "statements_2026-10.jsonl").read_text().splitlines()
    template, voided = json.loads(lines[0]), json.loads(lines[1])
    late = _statement(template, "00000000-0000-4000-8000-00000000a001", "2026-09-15T10:00:00.000Z")
    voiding = _statement(template, "00000000-0000-4000-8000-00000000a002", "2026-12-01T10:00:00.000Z")
    voiding["verb"] = {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}}
    voiding["object"] = {"objectType": "StatementRef", "id": voided["id"]}
    (xapi / "statements_2026-12.jsonl").write_text(json.dumps(late) + "\n" + json.dumps(voiding) + "\n")
    return lines


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(rows)


def land_updates(drops: Path, day: date) -> dict[str, str]:
    """A new HR snapshot (a terminated employee rehired, an active one transferred), a booking file
    re-delivering a booking with another status, and a late LMS export changing a record."""
    fields, roster = _rows(sorted((drops / "hris").glob("employees_*.csv"))[-1])
    rehired = next(row for row in roster if row["status"] == "terminated")
    rehired.update(status="active", hire_date=str(day - timedelta(days=1)), termination_date="")
    moved = next(row for row in roster if row["status"] == "active" and row is not rehired)
    moved.update(department="Finance", cost_center="CC-FIN-GB", job_title=moved["job_title"] + " (transferred)")
    for row in (rehired, moved):
        row["updated_at"] = f"{day - timedelta(days=1)}T09:00:00Z"
    _write(drops / "hris" / f"employees_{day}.csv", fields, roster)
    fields, bookings = _rows(sorted((drops / "bookings").glob("bookings_*.csv"))[-2])
    booking = next(row for row in bookings if row["status"] != "cancelled")
    booking.update(status="cancelled", updated_at=f"{day - timedelta(days=1)}T10:00:00Z")
    _write(drops / "bookings" / f"bookings_{day}-update.csv", fields, [booking])
    fields, records = _rows(drops / "lms" / "legacy_lms_export.csv")
    record = records[0]
    record.update(success="false", score_scaled="0.4")
    _write(drops / "lms" / f"legacy_lms_export_{day}.csv", fields, [record])
    return {"rehired": rehired["employee_id"], "moved": moved["employee_id"], "session": booking["session_id"],
            "learner": booking["learner_ref"], "record": record["record_id"]}  # fmt: skip
