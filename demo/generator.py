"""The deterministic demo enterprise: file drops in the formats of docs/data-model.md, plus its ground truth.

``generate(out_dir, as_of=...)`` writes a fake company ("Acme", ``@acme.example``) under ``out_dir``::

    drops/hris/employees_YYYY-MM-DD.csv        monthly full roster snapshots ending at as_of (hris_csv)
    drops/xapi/statements_YYYY-MM.jsonl        xAPI 1.0.3 statements, one file per month (xapi_files)
    drops/xapi/statements_backfill.json        an older LRS export, {"statements": [...]}
    drops/lms/legacy_lms_export.csv            the legacy LMS: mostly history before the window (lms_csv)
    drops/sessions/sessions_YYYY-MM.csv        ILT/VILT sessions by start month (sessions_csv)
    drops/bookings/bookings_YYYY-MM.csv        their bookings (bookings_csv)
    drops/invoices_csv/<vendor>_YYYY-MM.csv    CSV vendors' invoice lines by issue month (invoices_csv)
    drops/invoices_xml/<vendor>_<number>.xml   UBL 2.1 Peppol BIS 3 Invoice / CreditNote (invoices_xml)
    reference/*.csv                            courses, equivalences, requirements, exemptions,
                                               vendors, vendor contracts (docs/data-model.md)
    ground_truth.json                          what was planted: what the marts must say at as_of

Same arguments → byte-identical files: every random choice comes from ``random.Random`` streams
seeded from ``seed`` (one per part, so the parts do not disturb each other), and every date derives
from ``as_of``; nothing reads the clock.

The parts, in the order ``generate`` runs them (each module says what it draws and plants):

    demo.reference         the catalogue: vendors and contracts, courses, requirements; reference/*.csv
    demo.planted_people    one employee per compliance case, with its records; the billing learners
    demo.organisation      the background population, ids and managers; the HR snapshots
    demo.sessions          sessions and bookings, the planted sessions; utilization
    demo.learning          xAPI statements (rendered by demo.xapi) and the legacy LMS export
    demo.invoices          monthly invoices, hybrid / retainer figures (UBL by demo.ubl)
    demo.planted_invoices  the planted billing cases
    demo.truth             the collected ground truth and ground_truth.json
    demo.common            parameters, calendar, random streams and small helpers
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from demo.common import MIN_EMPLOYEES, MIN_MONTHS, MIN_VENDORS, Params
from demo.foreign import to_foreign_layout
from demo.invoices import build_invoices, write_invoices
from demo.learning import write_learning
from demo.organisation import assign_ids, build_people, write_hris
from demo.planted_invoices import plant_invoices
from demo.planted_people import plant_people
from demo.reference import build_catalogue, write_reference
from demo.sessions import build_sessions, number_sessions, plant_sessions, write_sessions
from demo.truth import Truth, write_ground_truth

LAYOUTS = ("canonical", "foreign")
_FOLDERS = ("hris", "xapi", "lms", "sessions", "bookings", "invoices_csv", "invoices_xml")


def generate(
    out_dir: Path,
    *,
    as_of: date,
    seed: int = 7,
    employees: int = 300,
    months: int = 12,
    vendors: int = 4,
    layout: str = "canonical",
) -> dict[str, Any]:
    """Write the demo enterprise under ``out_dir`` and return its ground truth (also written to
    ``out_dir/ground_truth.json``).

    ``employees`` is the number of distinct people on the roster (terminated ones stay on it, so the
    last snapshot has exactly that many rows); ``months`` the number of monthly snapshots and months of
    learning and session history ending at ``as_of``; ``vendors`` the number of training vendors.
    A previous demo in ``out_dir`` (recognised by its ``ground_truth.json``) is replaced.

    The ground truth, at ``as_of`` under docs/semantics.md:

    - ``compliance``: planted employee × requirement rows. ``due_date`` is the date that drives the
      status (for ``compliant`` rows of a recurring requirement: the evidence's expiry, i.e. the next
      due date; null for once-only and ``exempt`` rows); ``days_overdue`` = as_of − due_date on
      ``overdue`` rows; ``evidence_record_id`` names the latest satisfying record (``evidence_source``:
      ``xapi_files`` or ``lms_csv``). ``history`` (some cases): the same facts on earlier month-ends
      (``on``) of the compliance history; ``status`` null there = the requirement did not apply.
    - ``terminated_at_as_of``: every employee terminated in the last snapshot (no compliance rows).
    - ``utilization``: every valid session (malformed rows excluded) with its seat counts.
    - ``billing``: planted lines with *all* the docs/semantics.md flags they should carry, the invoice
      ``currency`` and the line's ``variance`` (billed − expected; ``unitemised``: what the document
      claims beyond its readable lines); and, for every invoiced hybrid / retainer month, its fee line
      with ``period_start``, ``period_expected``, ``period_billed``, ``period_variance``,
      ``period_flags`` (and the hybrid's ``learners_served``). ``clean_lines``: every other line of the
      per-learner vendors, which must carry none; the other hybrid and retainer lines carry none either.
    - ``unresolved_learners``: learner refs no employee matches, lower-case, without ``mailto:``.
    - ``malformed``: one entry per defective row: folder, file name, 1-based line (CSV: header = 1;
      JSONL: line; JSON: index in ``statements``; XML: index of the InvoiceLine), column, defect, value.
    - ``counts``: raw rows per drop folder, malformed rows included.

    ``layout="foreign"`` writes the five CSV drops in another company's layout (``demo.foreign``: other
    headers, ``;``, day-first dates, decimal commas, other status words) and returns, besides the
    ground truth, ``mappings``: each of those sources' ``mapping:`` for trainops.yaml. The facts, and
    so the ground truth, are the same in both layouts.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
    if employees < MIN_EMPLOYEES:
        raise ValueError(f"employees must be at least {MIN_EMPLOYEES} (the planted cases need room)")
    if months < MIN_MONTHS:
        raise ValueError(f"months must be at least {MIN_MONTHS} (a planted transfer needs two snapshots)")
    if vendors < MIN_VENDORS:
        raise ValueError(f"vendors must be at least {MIN_VENDORS}")
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived rows beside a large live heap: the cyclic GC only costs time
    try:
        truth = _run(Params(Path(out_dir), as_of, seed, employees, months, vendors))
    finally:
        if collecting:
            gc.enable()
    if layout == "foreign":
        truth = {**truth, "mappings": to_foreign_layout(Path(out_dir))}
    return truth


def _run(params: Params) -> dict[str, Any]:
    """The parts in order: later parts read what earlier ones built, and the ground truth's lists
    (and its counts' order) follow the order the parts write in."""
    _prepare(params.out)
    truth = Truth()
    catalogue = build_catalogue(params)
    planted = plant_people(params, catalogue, truth)
    org = assign_ids(params, build_people(params, planted.people))
    write_hris(params, org, truth)
    sessions = build_sessions(params, catalogue, org)
    planted_sessions = plant_sessions(params, catalogue, sessions, planted, truth)
    number_sessions(sessions)
    write_sessions(params, sessions, org, truth)
    write_learning(params, catalogue, org, planted.statements, planted.legacy, truth)
    invoices = build_invoices(params, catalogue, sessions, truth)
    invoices += plant_invoices(params, catalogue, planted_sessions, truth)
    write_invoices(params, invoices, truth)
    write_reference(params, catalogue, org, planted.exemptions, truth)
    return write_ground_truth(params, org.people, truth)


def _prepare(out: Path) -> None:
    """The output folders; a previous demo there (recognised by its ground_truth.json) is replaced."""
    if (out / "ground_truth.json").exists():
        for stale in ("drops", "reference"):
            shutil.rmtree(out / stale, ignore_errors=True)
    for folder in _FOLDERS:
        (out / "drops" / folder).mkdir(parents=True, exist_ok=True)
    (out / "reference").mkdir(parents=True, exist_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--vendors", type=int, default=4)
    parser.add_argument("--layout", choices=LAYOUTS, default="canonical", help="the CSV drops' file layout")
    args = parser.parse_args(argv)
    truth = generate(
        args.out_dir,
        as_of=args.as_of,
        seed=args.seed,
        employees=args.employees,
        months=args.months,
        vendors=args.vendors,
        layout=args.layout,
    )
    print(json.dumps(truth["counts"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
