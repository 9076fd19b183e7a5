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

The ground truth records what was *decided* while planting (an employee hired on H with a 30-day
requirement and no record is overdue since H + 30), never a recomputation with the marts' logic.
Planted employees get only the records decided for them; the background population is drawn from
everyone else, and every planted event happens at 12:00 UTC, far from any day boundary in the
business timezone (Europe/London).

Vendor patterns (V01, V02, … cycle through them): per-learner rate billed per session in CSV;
per-learner rate billed per attendee in Peppol XML; a hybrid contract (monthly fee + overage) in
Peppol XML; a monthly retainer in CSV. Planted line cases live at the two per-learner vendors; the
hybrid and retainer vendors over-bill one month each, and every one of their invoiced months is
recorded with its expected figures. The retainer vendor also sells a month of self-paced licences.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import random
import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import escape

TIMEZONE = "Europe/London"
DOMAIN = "acme.example"
ACTIVITY_BASE = "https://lms.example.com/courses/"
SSO_HOME = "https://sso.acme.example"

HRIS_COLUMNS = [
    "employee_id", "email", "given_name", "family_name", "status", "hire_date", "termination_date",
    "job_code", "job_title", "department", "cost_center", "country", "region", "manager_id",
    "employment_type", "updated_at",
]  # fmt: skip
LMS_COLUMNS = ["record_id", "learner_ref", "course_ref", "verb", "occurred_at", "success", "score_scaled"]
SESSION_COLUMNS = [
    "session_id", "course_ref", "vendor_id", "modality", "starts_at", "ends_at", "capacity", "location", "status",
]  # fmt: skip
BOOKING_COLUMNS = ["session_id", "learner_ref", "status", "booked_at", "updated_at"]
INVOICE_COLUMNS = [
    "vendor_id", "invoice_number", "document_type", "issue_date", "currency", "period_start", "period_end",
    "line_id", "item_ref", "description", "quantity", "unit_price", "line_amount", "learner_refs",
]  # fmt: skip
REFERENCE_COLUMNS = {
    "courses.csv": ["course_ref", "title", "modality", "vendor_id", "duration_minutes", "activity_id"],
    "course_equivalences.csv": ["course_ref", "satisfies_course_ref"],
    "training_requirements.csv": [
        "requirement_id", "title", "course_refs", "applies_to_job_codes", "applies_to_departments",
        "applies_to_countries", "applies_to_regions", "due_within_days", "recurrence_months", "grace_days",
        "regime", "effective_from", "effective_to",
    ],
    "exemptions.csv": ["employee_id", "requirement_id", "reason", "approved_by", "valid_from", "valid_to"],
    "vendors.csv": ["vendor_id", "name", "identifiers"],
    "vendor_contracts.csv": [
        "contract_id", "vendor_id", "pricing_model", "currency", "per_learner_rate", "retainer_fee",
        "retainer_period", "included_learners", "overage_rate", "bills_no_shows", "valid_from", "valid_to",
        "sla_on_time_delivery_pct", "sla_reporting_days",
    ],
}  # fmt: skip

MIN_EMPLOYEES = 80
MIN_MONTHS = 3
MIN_VENDORS = 3

_CENT = Decimal("0.01")
_VERB_IRI = "http://adlnet.gov/expapi/verbs/"
_AUTHORITY = (
    '{"objectType":"Agent","name":"Acme LMS sync","account":{"homePage":"https://lrs.acme.example","name":"lms-sync"}}'
)
_CONTEXT = '{"platform":"Acme Learning Hub","language":"en-GB"}'
_VERBS = {
    verb: json.dumps({"id": _VERB_IRI + verb, "display": {"en-US": verb}}, separators=(",", ":"))
    for verb in ("completed", "passed", "failed", "attempted", "voided")
}
_CMI5_VERB_IRI = "https://w3id.org/xapi/adl/verbs/"  # cmi5's LMS-issued verbs: satisfied, waived
_VERBS.update(
    {
        verb: json.dumps({"id": _CMI5_VERB_IRI + verb, "display": {"en-US": verb}}, separators=(",", ":"))
        for verb in ("satisfied", "waived")
    }
)

# --- the organisation -------------------------------------------------------------------------------------

_REGION = {
    "GB": "EMEA",
    "DE": "EMEA",
    "FR": "EMEA",
    "NL": "EMEA",
    "US": "AMER",
    "CA": "AMER",
    "IN": "APAC",
    "SG": "APAC",
}

# department, code, weight, [(job_code, title, weight)], (manager job_code, title), country mix
_DEPARTMENTS: list[tuple[str, str, int, list[tuple[str, str, int]], tuple[str, str], list[tuple[str, int]]]] = [
    ("Sales", "SAL", 20, [("SAL-REP", "Account Executive", 6), ("SAL-SDR", "Sales Development Representative", 4)],
     ("SAL-MGR", "Sales Manager"), []),
    ("Engineering", "ENG", 20, [("ENG-SWE", "Software Engineer", 7), ("ENG-QA", "QA Engineer", 2)],
     ("ENG-MGR", "Engineering Manager"), []),
    ("Operations", "OPS", 18, [("OPS-WH1", "Warehouse Operative", 6), ("OPS-FLT", "Forklift Operator", 3)],
     ("OPS-MGR", "Warehouse Manager"), [("US", 7), ("GB", 2), ("DE", 1)]),
    ("Clinical Operations", "CLN", 12, [("CLN-NUR", "Registered Nurse", 5), ("CLN-COD", "Clinical Coder", 3)],
     ("CLN-MGR", "Clinical Services Manager"), [("US", 8), ("GB", 2)]),
    ("Customer Support", "CS", 12, [("CS-AGT", "Customer Support Agent", 1)],
     ("CS-MGR", "Customer Support Manager"), []),
    ("Finance", "FIN", 8, [("FIN-AN", "Financial Analyst", 2), ("FIN-ACC", "Accountant", 2)],
     ("FIN-MGR", "Finance Manager"), []),
    ("People", "HR", 6, [("HR-BP", "HR Business Partner", 1)], ("HR-MGR", "Head of People"), []),
    ("Legal", "LEG", 4, [("LEG-CNS", "Legal Counsel", 1)], ("LEG-MGR", "General Counsel"), []),
]  # fmt: skip
_DEFAULT_COUNTRIES = [("GB", 35), ("US", 30), ("DE", 10), ("FR", 5), ("CA", 8), ("IN", 7), ("SG", 5)]
_JOB_TITLES = {"EXE-CEO": "Chief Executive Officer"}
for _d in _DEPARTMENTS:
    _JOB_TITLES.update({code: title for code, title, _ in _d[3]})
    _JOB_TITLES[_d[4][0]] = _d[4][1]
_DEPT_CODE = {d[0]: d[1] for d in _DEPARTMENTS} | {"Executive": "EXE"}

_GIVEN = """
Oliver Amelia George Isla Harry Ava Noah Mia Jack Sophia Leo Grace Arthur Lily Muhammad Freya Oscar
Emily Charlie Ella James Olivia William Chloé Lucas Zoë Mateo Siobhán Łukasz José Priya Arjun Wei
Mei Hiroshi Yuki Fatima Omar Aisha Daniel Sarah Michael Emma David Laura Thomas Anna Maximilian Lena
Pierre Camille Sven Ingrid Kwame Ama Diego Lucía Rahul Ananya Ethan Hannah Samuel Renée
""".split()  # noqa: SIM905 — a paragraph of names reads better than 64 quoted strings
_FAMILY = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
    "O'Brien", "Smith-Jones", "Müller", "Schmidt", "Schneider", "Fischer", "Dubois", "Martin", "Bernard",
    "García", "Fernández", "Rossi", "Bianchi", "van der Berg", "de Vries", "Nguyen", "Kim", "Lee", "Chen",
    "Wang", "Singh", "Kumar", "Sharma", "Okafor", "Mensah", "Haddad", "Kowalski", "Nowak", "Johansson",
    "Andersson", "Murphy", "Kelly", "MacDonald", "Campbell", "Stewart", "Reid", "Morgan", "Hughes",
    "Edwards", "Price", "Lloyd", "Harris", "Clark", "Lewis", "Young", "King", "Scott", "Adams", "Baker",
]  # fmt: skip
_TRANSLIT = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O"})

# Self-paced catalogue: (course_ref, title, minutes, owner) — owner "content" is the retainer vendor's
# library when there is one, "" is in-house.
_SELF_PACED = [
    ("COC-101", "Code of Conduct", 45, ""),
    ("ETH-201", "Ethics and Code of Conduct Masterclass", 120, ""),
    ("AH-110", "Preventing Harassment in the Workplace", 60, "content"),
    ("HIP-200", "HIPAA Privacy and Security", 50, "content"),
    ("HIP-201", "HIPAA Annual Refresher", 30, "content"),
    ("OSH-300", "OSHA Workplace Safety (10-hour)", 600, ""),
    ("OSH-310", "OSHA Workplace Safety (30-hour)", 1800, ""),
    ("DP-120", "Data Protection Essentials (GDPR)", 40, "content"),
    ("CYB-105", "Cyber Security Awareness", 35, "content"),
    ("WRT-110", "Business Writing", 90, "content"),
    ("AGL-130", "Agile Fundamentals", 75, "content"),
    ("DEI-140", "Inclusive Leadership", 60, "content"),
    ("XL-101", "Excel Basics", 60, ""),
]
_ELECTIVES = ("CYB-105", "WRT-110", "AGL-130", "DEI-140", "XL-101")
_ASSESSED = {"OSH-300", "OSH-310", "HIP-200", "HIP-201"}  # passed/failed rather than completed
# One course's activity IRI is not under the LMS's course path: courses.csv maps it (docs/data-model.md).
_ODD_ACTIVITY = {"CYB-105": "https://content.northstar.example/xapi/activities/cyber-security-awareness-2024"}

# pricing, invoice format, currency, country, name, invoice prefix, (tax category, percent), courses
_VENDOR_PATTERNS = [
    ("per_learner", "csv", "GBP", "GB", "Brightpath Training Ltd", "BPT", ("S", 20),
     [("LDR-401", "Leadership Essentials", "ilt", 420), ("PRS-210", "Presentation Skills", "ilt", 240),
      ("FA-130", "First Aid at Work", "ilt", 360)]),
    ("per_learner", "xml", "EUR", "NL", "Kennis Academy B.V.", "KA", ("AE", 0),
     [("EXL-220", "Advanced Excel", "vilt", 180), ("PM-310", "Project Management Fundamentals", "vilt", 240),
      ("NEG-330", "Negotiation Skills", "vilt", 180)]),
    ("hybrid", "xml", "GBP", "GB", "Summit Coaching Ltd", "SCL", ("S", 20),
     [("CCH-501", "Executive Coaching Circle", "vilt", 90), ("MGR-410", "New Manager Bootcamp", "ilt", 420)]),
    ("retainer", "csv", "USD", "US", "Northstar Content Inc.", "NSC", ("O", 0),
     [("WEB-115", "Wellbeing at Work Webinar", "vilt", 60)]),
]  # fmt: skip
_EXTRA_VENDOR_NAMES = [
    "Clearview Learning Ltd", "Lernwerk Akademie GmbH", "Pinnacle Leadership Ltd", "Bluebird eLearning Inc.",
    "Apex Skills Ltd", "Formation Horizon SAS", "Keystone Coaching Ltd", "Meridian Training Inc.",
]  # fmt: skip
_LOCATIONS = {
    "GB": ["London – Holborn Training Centre", "Manchester – Spinningfields Suite", "Leeds – Wellington Place"],
    "US": ["New York – Midtown Conference Center", "Chicago – River North Studio"],
    "NL": ["Amsterdam – Zuidas Campus"],
}
_VIRTUAL = ["Microsoft Teams", "Zoom", "Webex"]

# Malformed rows: what each one breaks (the `defect` of the ground truth).
_INVALID_DATE, _INVALID_TS, _INVALID_NUMBER = "invalid_date", "invalid_timestamp", "invalid_number"
_NOT_IN_SET, _OUT_OF_RANGE, _MISSING = "not_in_set", "out_of_range", "missing_required"
_MALFORMED_JSON = "malformed_json"


# --- small helpers --------------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the end of a shorter month (Jan 31 + 1 → Feb 28)."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    first = date(year, month0 + 1, 1)
    return first.replace(day=min(day.day, _month_end(first).day))


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _nice(day: date) -> date:
    """A planted date whose month arithmetic is unambiguous (day 1–28: no clamping, no Feb 29)."""
    return day.replace(day=28) if day.day > 28 else day


def _money(amount: Decimal) -> str:
    return str(amount.quantize(_CENT, rounding=ROUND_HALF_UP))


def _ts(moment: datetime) -> str:
    """A naive UTC datetime as ISO 8601 with ``Z`` (seconds precision)."""
    return moment.isoformat(timespec="seconds") + "Z"


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12)


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def _uuid(rng: random.Random) -> str:
    """A version-4 UUID from the seeded stream: ``str(uuid.UUID(int=bits, version=4))``, spelled out
    because millions of statements need one each."""
    text = f"{(rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _gln(base12: str) -> str:
    """A 13-digit GLN (Peppol scheme 0088) with its GS1 check digit."""
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(base12)))
    return base12 + str((10 - total % 10) % 10)


def _render_ts(moment: datetime, style: int) -> str:
    """The same instant in one of the notations LRSs produce (Z, milliseconds, offsets)."""
    if style == 0:
        return moment.isoformat(timespec="seconds") + "Z"
    if style == 1:
        return moment.isoformat(timespec="milliseconds") + "Z"
    if style == 2:
        return (moment + timedelta(hours=2)).isoformat(timespec="seconds") + "+02:00"
    if style == 3:
        return (moment - timedelta(hours=5)).isoformat(timespec="milliseconds") + "-05:00"
    return (moment + timedelta(hours=1)).isoformat(timespec="seconds") + "+01:00"


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# --- model ------------------------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Employee:
    given: str
    family: str
    hire: date
    country: str
    etype: str
    moves: list[list[Any]]  # [change date, department, job_code, manager_id]; the first one at hire
    term: date | None = None  # termination_date (the last day employed)
    leave_start: date | None = None
    leave_end: date | None = None  # first day back; None = still on leave
    rehire: date | None = None  # hire_date of a new employment after term (a rehire)
    is_manager: bool = False
    planted: str = ""  # the planted case this employee belongs to ("" = background)
    eid: str = ""
    email: str = ""
    tiebreak: float = 0.0

    @property
    def dept(self) -> str:
        return self.moves[-1][1]

    @property
    def job(self) -> str:
        return self.moves[-1][2]

    @property
    def region(self) -> str:
        return _REGION[self.country]


@dataclass(frozen=True)
class _Requirement:
    rid: str
    title: str
    courses: tuple[str, ...]
    jobs: tuple[str, ...]
    depts: tuple[str, ...]
    countries: tuple[str, ...]
    regions: tuple[str, ...]
    due: int
    recurrence: int | None
    grace: int
    regime: str
    effective_from: date

    def in_scope(self, dept: str, job: str, country: str) -> bool:
        return (
            (not self.jobs or job in self.jobs)
            and (not self.depts or dept in self.depts)
            and (not self.countries or country in self.countries)
            and (not self.regions or _REGION[country] in self.regions)
        )


@dataclass
class _Vendor:
    vid: str
    name: str
    pricing: str
    fmt: str
    currency: str
    country: str
    prefix: str
    tax: tuple[str, int]
    courses: list[str]
    gln: str
    vat: str
    contracts: list[dict[str, Any]] = field(default_factory=list)

    def contract_on(self, day: date) -> dict[str, Any]:
        for contract in self.contracts:
            if contract["valid_from"] <= day and (contract["valid_to"] is None or day <= contract["valid_to"]):
                return contract
        raise ValueError(f"{self.vid}: no contract on {day}")  # pragma: no cover - contracts cover history


@dataclass(eq=False)
class _Session:
    course: str
    vendor: _Vendor
    modality: str
    start: datetime
    minutes: int
    capacity: int
    location: str
    status: str
    planted: str = ""
    sid: str = ""
    order: int = 0
    # [learner_ref, status, booked_at, updated_at, employee or None, email]
    bookings: list[list[Any]] = field(default_factory=list)

    @property
    def day(self) -> date:
        return self.start.date()

    def learners(self, *statuses: str) -> list[str]:
        return [booking[5] for booking in self.bookings if booking[1] in statuses]


@dataclass
class _Line:
    item_ref: str
    description: str
    quantity: int
    unit_price: Decimal
    learners: list[str]
    service: tuple[date, date]
    quantity_text: str | None = None  # set to plant a malformed value
    price_text: str | None = None
    line_id: str = ""

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass
class _Invoice:
    vendor: _Vendor
    number: str
    issue: date
    period: tuple[date, date]
    lines: list[_Line]
    doc_type: str = "invoice"
    preceding: str | None = None
    note: str | None = None
    currency: str | None = None  # the document currency when not the vendor's (a planted case)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


# --- the generator --------------------------------------------------------------------------------------


def generate(
    out_dir: Path, *, as_of: date, seed: int = 7, employees: int = 300, months: int = 12, vendors: int = 4
) -> dict:
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
    """
    if employees < MIN_EMPLOYEES:
        raise ValueError(f"employees must be at least {MIN_EMPLOYEES} (the planted cases need room)")
    if months < MIN_MONTHS:
        raise ValueError(f"months must be at least {MIN_MONTHS} (a planted transfer needs two snapshots)")
    if vendors < MIN_VENDORS:
        raise ValueError(f"vendors must be at least {MIN_VENDORS}")
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived rows beside a large live heap: the cyclic GC only costs time
    try:
        return _Demo(Path(out_dir), as_of, seed, employees, months, vendors).run()
    finally:
        if collecting:
            gc.enable()


class _Demo:
    def __init__(self, out: Path, as_of: date, seed: int, employees: int, months: int, vendors: int) -> None:
        self.out, self.as_of, self.seed = out, as_of, seed
        self.n_employees, self.n_months, self.n_vendors = employees, months, vendors
        self.snapshots = [_add_months(as_of, -k) for k in range(months - 1, -1, -1)]
        self.window_start = _add_months(as_of.replace(day=1), -(months - 1))
        self.month_starts = [_add_months(self.window_start, k) for k in range(months)]
        self.last_day = as_of - timedelta(days=1)  # background events happen before as_of
        self.eff = date(as_of.year - 6, 1, 1)  # effective_from of the long-standing requirements
        self.malformed: list[dict[str, Any]] = []
        self.counts: dict[str, int] = {}
        self.compliance: list[dict[str, Any]] = []
        self.billing: list[dict[str, Any]] = []
        self.clean_lines: list[tuple[_Invoice, _Line]] = []
        self.voided: list[str] = []
        self.unresolved: list[str] = []
        self.exemptions: list[tuple[_Employee, str, str, date, date | None]] = []
        # planted learning records: (day, employee, actor kind, verb, course_ref or target id, id, backfill)
        self.planted_statements: list[tuple[date, _Employee, str, str, str, str, bool]] = []
        self.planted_legacy: list[tuple[date, _Employee, str, str, str]] = []  # day, who, course, verb, id
        self.people: list[_Employee] = []  # planted first; build_people adds the CEO and everyone else
        self.courses: dict[str, tuple[str, str, str, int, str]] = {}  # ref → title, modality, vendor, min, IRI

    def rng(self, part: str) -> random.Random:
        return random.Random(f"trainops-demo/{self.seed}/{part}")

    def run(self) -> dict:
        if (self.out / "ground_truth.json").exists():
            for stale in ("drops", "reference"):
                shutil.rmtree(self.out / stale, ignore_errors=True)
        for folder in ("hris", "xapi", "lms", "sessions", "bookings", "invoices_csv", "invoices_xml"):
            (self.out / "drops" / folder).mkdir(parents=True, exist_ok=True)
        (self.out / "reference").mkdir(parents=True, exist_ok=True)

        self.build_catalogue()
        self.plant_compliance()
        self.plant_billing_people()
        self.build_people()
        self.assign_ids()
        self.write_hris()
        self.build_sessions()
        self.plant_sessions()
        self.number_sessions()
        self.write_sessions()
        self.write_learning()
        self.build_invoices()
        self.write_invoices()
        self.write_reference()
        return self.write_ground_truth()

    # --- catalogue: vendors, courses, requirements ------------------------------------------------------

    def build_catalogue(self) -> None:
        rng = self.rng("catalogue")
        self.vendors: list[_Vendor] = []
        history_start = date(self.window_start.year - 3, 1, 1)
        switch = _add_months(self.as_of.replace(day=1), -8)  # V01's rate rise
        for index in range(self.n_vendors):
            number = index + 1
            pricing, fmt, currency, country, name, prefix, tax, courses = _VENDOR_PATTERNS[index % 4]
            if index >= 4:
                name = _EXTRA_VENDOR_NAMES[(index - 4) % len(_EXTRA_VENDOR_NAMES)]
                if index >= 4 + len(_EXTRA_VENDOR_NAMES):
                    name = f"{name} ({number})"
                prefix = f"V{number:02d}"
                courses = [
                    (f"TRN-{number}01", f"Specialist Workshop {number}-A", "ilt", 360),
                    (f"TRN-{number}02", f"Specialist Webinar {number}-B", "vilt", 120),
                ]
            vendor = _Vendor(
                vid=f"V{number:02d}",
                name=name,
                pricing=pricing,
                fmt=fmt,
                currency=currency,
                country=country,
                prefix=prefix,
                tax=tax,
                courses=[course[0] for course in courses],
                gln=_gln(f"5{rng.randrange(10**10, 10**11):011d}"),
                vat=f"{country}{rng.randrange(10**8, 10**9)}" + ("B01" if country == "NL" else ""),
            )
            for ref, title, modality, minutes in courses:
                self.add_course(ref, title, modality, vendor.vid, minutes)
            self.vendors.append(vendor)
            base = {
                "vendor_id": vendor.vid,
                "currency": currency,
                "per_learner_rate": None,
                "retainer_fee": None,
                "retainer_period": None,
                "included_learners": None,
                "overage_rate": None,
                "bills_no_shows": False,
                "valid_from": history_start,
                "valid_to": None,
                "sla_on_time_delivery_pct": 95,
                "sla_reporting_days": 5,
            }
            if pricing == "per_learner":
                rate = {"GBP": Decimal("450.00"), "EUR": Decimal("380.00")}.get(currency, Decimal("400.00"))
                if index >= 4:
                    rate = Decimal(300 + 5 * number).quantize(_CENT)
                if index == 0:  # the first vendor raised its rate: two contracts, one on each side
                    old = dict(
                        base,
                        contract_id=f"C-{vendor.vid}-1",
                        pricing_model=pricing,
                        per_learner_rate=Decimal("420.00"),
                        valid_to=switch - timedelta(days=1),
                    )
                    vendor.contracts.append(old)
                    base = dict(base, valid_from=switch)
                vendor.contracts.append(
                    dict(
                        base,
                        contract_id=f"C-{vendor.vid}-{len(vendor.contracts) + 1}",
                        pricing_model=pricing,
                        per_learner_rate=rate,
                    )
                )
            elif pricing == "hybrid":
                vendor.contracts.append(
                    dict(
                        base,
                        contract_id=f"C-{vendor.vid}-1",
                        pricing_model=pricing,
                        retainer_fee=Decimal("2500.00"),
                        retainer_period="monthly",
                        included_learners=12,
                        overage_rate=Decimal("140.00"),
                        bills_no_shows=True,
                        sla_on_time_delivery_pct=90,
                    )
                )
            else:
                vendor.contracts.append(
                    dict(
                        base,
                        contract_id=f"C-{vendor.vid}-1",
                        pricing_model=pricing,
                        retainer_fee=Decimal("4200.00"),
                        retainer_period="monthly",
                        included_learners=30,
                        sla_reporting_days=3,
                    )
                )
        content = next((v.vid for v in self.vendors if v.pricing == "retainer"), "")
        for ref, title, minutes, owner in _SELF_PACED:
            self.add_course(ref, title, "self_paced", content if owner == "content" else "", minutes)
        self.equivalences = [("ETH-201", "COC-101"), ("OSH-310", "OSH-300")]
        eff, as_of = self.eff, self.as_of
        self.requirements = [
            _Requirement(
                "REQ-COC", "Annual Code of Conduct", ("COC-101",), (), (), (), (), 30, 12, 0, "Code of Conduct", eff
            ),
            _Requirement(
                "REQ-AH-US",
                "Anti-harassment (US)",
                ("AH-110",),
                (),
                (),
                ("US",),
                (),
                90,
                None,
                0,
                "anti-harassment",
                eff,
            ),
            _Requirement(
                "REQ-HIPAA",
                "HIPAA Privacy and Security",
                ("HIP-200", "HIP-201"),
                (),
                ("Clinical Operations",),
                (),
                (),
                90,
                12,
                14,
                "HIPAA",
                eff,
            ),
            _Requirement(
                "REQ-OSHA",
                "OSHA Workplace Safety",
                ("OSH-300",),
                ("OPS-WH1", "OPS-FLT"),
                (),
                ("US",),
                (),
                60,
                36,
                30,
                "OSHA",
                eff,
            ),
            _Requirement(
                "REQ-GDPR",
                "Data Protection Essentials",
                ("DP-120",),
                (),
                (),
                (),
                ("EMEA",),
                60,
                24,
                0,
                "GDPR",
                as_of - timedelta(days=150),
            ),
        ]
        self.req = {r.rid: r for r in self.requirements}

    def add_course(self, ref: str, title: str, modality: str, vendor_id: str, minutes: int) -> None:
        activity = _ODD_ACTIVITY.get(ref, ACTIVITY_BASE + ref)
        self.courses[ref] = (title, modality, vendor_id, minutes, activity)

    # --- people -----------------------------------------------------------------------------------------

    def new_person(self, rng: random.Random, hire: date, country: str, dept: str, job: str, **kw: Any) -> _Employee:
        etype = kw.pop("etype", "full_time")
        return _Employee(
            given=rng.choice(_GIVEN),
            family=rng.choice(_FAMILY),
            hire=hire,
            country=country,
            etype=etype,
            moves=[[hire, dept, job, ""]],
            tiebreak=rng.random(),
            **kw,
        )

    def build_people(self) -> None:
        """The background population: the CEO and everyone not planted."""
        rng = self.rng("people")
        as_of, ws = self.as_of, self.window_start
        planted = self.people
        ceo = self.new_person(rng, as_of - timedelta(days=4800), "GB", "Executive", "EXE-CEO", is_manager=True)
        self.people = [ceo, *planted]
        n = self.n_employees - len(self.people)
        dept_cum = _cumulative([d[2] for d in _DEPARTMENTS])
        in_window = min(0.35, 0.12 * self.n_months / 12 + 0.02)
        attrition = 0.11 * self.n_months / 12
        span = (as_of - ws).days
        for _ in range(n):
            name, _code, _w, jobs, manager_job, mix = _DEPARTMENTS[_pick(rng, dept_cum)]
            mix = mix or _DEFAULT_COUNTRIES
            country = mix[_pick(rng, _cumulative([w for _, w in mix]))][0]
            manager = rng.random() < 0.08
            job = manager_job[0] if manager else jobs[_pick(rng, _cumulative([w for *_, w in jobs]))][0]
            if not manager and rng.random() < in_window:
                hire = ws + timedelta(days=rng.randrange(span))
            else:
                hire = ws - timedelta(days=rng.randint(30, 11 * 365))
            r = rng.random()
            etype = "full_time" if r < 0.85 else "part_time" if r < 0.95 else "contractor"
            person = self.new_person(rng, hire, country, name, job, etype=etype, is_manager=manager)
            self.people.append(person)
            if manager:
                continue
            r = rng.random()
            if r < attrition:
                low = max(hire + timedelta(days=45), ws)
                high = as_of - timedelta(days=5)
                if low < high:
                    person.term = low + timedelta(days=rng.randrange((high - low).days))
            elif r < attrition + 0.03 and hire < ws - timedelta(days=90):
                person.term = hire + timedelta(days=rng.randint(60, (ws - hire).days - 1))
            elif r < attrition + 0.06 and hire < ws and span > 60:
                person.leave_start = ws + timedelta(days=rng.randrange(span - 10))
                end = person.leave_start + timedelta(days=rng.randint(45, 200))
                person.leave_end = end if end < as_of else None
            elif r < attrition + 0.09 and hire < ws and span > 40:
                changed = ws + timedelta(days=rng.randint(10, span - 10))
                other = [d for d in _DEPARTMENTS if d[0] != name]
                target = other[rng.randrange(len(other))]
                new_job = target[3][_pick(rng, _cumulative([w for *_, w in target[3]]))][0]
                person.moves.append([changed, target[0], new_job, ""])

    def plant_person(self, case: str, country: str, dept: str, job: str, hire: date, **kw: Any) -> _Employee:
        person = self.new_person(self.r_plant, hire, country, dept, job, planted=case, **kw)
        self.people.append(person)
        return person

    def long_ago(self) -> date:
        """A hire date well before every requirement's effective_from (≥ 7.1 years ago)."""
        return _nice(self.as_of - timedelta(days=self.r_plant.randint(2600, 3600)))

    def statement(
        self, day: date, person: _Employee, verb: str, course: str, actor: str = "mbox", backfill: bool | None = None
    ) -> str:
        record_id = _uuid(self.r_plant)
        if backfill is None:
            backfill = day < self.window_start
        self.planted_statements.append((day, person, actor, verb, course, record_id, backfill))
        return record_id

    def expect(
        self,
        case: str,
        person: _Employee,
        rid: str,
        status: str,
        due: date | None = None,
        evidence: str | None = None,
        source: str | None = None,
        history: list[dict[str, Any]] | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "case": case,
            "employee": person,
            "requirement_id": rid,
            "status": status,
            "due_date": due.isoformat() if due else None,
            "evidence_record_id": evidence,
        }
        if status == "overdue" and due:
            entry["days_overdue"] = (self.as_of - due).days
        if evidence:
            entry["evidence_source"] = source or "xapi_files"
        if history:
            entry["history"] = history
        self.compliance.append(entry)

    @staticmethod
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

    def plant_compliance(self) -> None:
        """One employee per compliance case, with exactly the records the case needs (docs/semantics.md)."""
        self.r_plant = self.rng("planted")
        D = self.as_of
        days = timedelta
        coc, ah, hipaa, osha, gdpr = (
            self.req[r] for r in ("REQ-COC", "REQ-AH-US", "REQ-HIPAA", "REQ-OSHA", "REQ-GDPR")
        )

        # Canada, Finance: of the requirements only the all-staff Code of Conduct applies.
        def canadian(case: str, hire: date | None = None, **kw: Any) -> _Employee:
            return self.plant_person(case, "CA", "Finance", "FIN-AN", hire or self.long_ago(), **kw)

        p = canadian("compliant")
        done = _nice(D - days(95))
        sid = self.statement(done, p, "completed", "COC-101")
        self.expect("compliant", p, coc.rid, "compliant", _add_months(done, 12), sid)

        p = canadian("compliant_mixed_case_email")
        done = _nice(D - days(80))
        sid = self.statement(done, p, "completed", "COC-101", actor="mixed")
        self.expect("compliant_mixed_case_email", p, coc.rid, "compliant", _add_months(done, 12), sid)

        p = canadian("compliant_via_account")
        done = _nice(D - days(70))
        sid = self.statement(done, p, "completed", "COC-101", actor="account")
        self.expect("compliant_via_account", p, coc.rid, "compliant", _add_months(done, 12), sid)

        p = canadian("compliant_latest_of_two")
        first, latest = _nice(D - days(400)), _nice(D - days(120))
        self.statement(first, p, "completed", "COC-101", backfill=True)
        sid = self.statement(latest, p, "completed", "COC-101")
        self.expect("compliant_latest_of_two", p, coc.rid, "compliant", _add_months(latest, 12), sid)

        p = canadian("compliant_via_equivalent_course")
        done = _nice(D - days(60))
        sid = self.statement(done, p, "completed", "ETH-201")
        self.expect("compliant_via_equivalent_course", p, coc.rid, "compliant", _add_months(done, 12), sid)

        p = canadian("on_leave_compliant", leave_start=D - days(40))
        done = _nice(D - days(300))
        sid = self.statement(done, p, "completed", "COC-101")
        self.expect("on_leave_compliant", p, coc.rid, "compliant", _add_months(done, 12), sid)

        p = canadian("overdue", hire=D - days(100))
        self.expect("overdue", p, coc.rid, "overdue", D - days(100) + days(coc.due))

        p = canadian("due_soon", hire=D - days(15))
        self.expect("due_soon", p, coc.rid, "due_soon", D - days(15) + days(coc.due))

        # Point in time: compliant at the month-end three months ago, overdue since the expiry.
        p = canadian("expired_recurrence")
        done = _nice(_add_months(D, -14))
        sid = self.statement(done, p, "completed", "COC-101", backfill=True)
        then = self.was(_month_end(_add_months(D, -3)), "compliant", _add_months(done, 12), sid)
        self.expect("expired_recurrence", p, coc.rid, "overdue", _add_months(done, 12), history=[then])

        p = canadian("voided_only_completion")
        done = _nice(D - days(50))
        sid = self.statement(done, p, "completed", "COC-101")
        self.statement(done + days(5), p, "voided", sid)
        self.voided.append(sid)
        self.expect("voided_only_completion", p, coc.rid, "overdue", max(p.hire, coc.effective_from) + days(coc.due))

        p = canadian("terminated", term=D - days(75))
        self.statement(_nice(D - days(200)), p, "completed", "COC-101")
        self.terminated_planted = p

        # United States.
        p = self.plant_person("not_yet_due", "US", "Sales", "SAL-REP", D - days(20))
        self.expect("not_yet_due", p, ah.rid, "not_yet_due", D - days(20) + days(ah.due))

        p = self.plant_person("compliant_via_legacy_lms", "US", "Sales", "SAL-REP", self.long_ago())
        record_id = f"LMS-{9_000_001}"
        self.planted_legacy.append((_nice(D - days(240)), p, "AH-110", "completed", record_id))
        self.expect("compliant_via_legacy_lms", p, ah.rid, "compliant", None, record_id, "lms_csv")

        p = self.plant_person("failed_then_passed", "US", "Operations", "OPS-WH1", self.long_ago())
        self.statement(_nice(D - days(130)), p, "failed", "OSH-300")
        done = _nice(D - days(120))
        sid = self.statement(done, p, "passed", "OSH-300")
        self.expect("failed_then_passed", p, osha.rid, "compliant", _add_months(done, osha.recurrence or 0), sid)

        p = self.plant_person("failed_only", "US", "Operations", "OPS-FLT", self.long_ago())
        self.statement(_nice(D - days(100)), p, "failed", "OSH-300")
        self.expect("failed_only", p, osha.rid, "overdue", max(p.hire, osha.effective_from) + days(osha.due))

        p = self.plant_person("exempt", "US", "Clinical Operations", "CLN-NUR", self.long_ago())
        self.exemptions.append(
            (p, hipaa.rid, "Equivalent external certification on file", D - days(180), D + days(185))
        )
        self.expect("exempt", p, hipaa.rid, "exempt")

        p = self.plant_person("exemption_expired", "US", "Clinical Operations", "CLN-COD", self.long_ago())
        self.exemptions.append((p, hipaa.rid, "Extended medical leave", D - days(500), D - days(135)))
        self.expect("exemption_expired", p, hipaa.rid, "overdue", max(p.hire, hipaa.effective_from) + days(hipaa.due))

        p = self.plant_person("expired_within_grace", "US", "Clinical Operations", "CLN-NUR", self.long_ago())
        expiry = D - days(7)
        if expiry.month == 2 and expiry.day == 29:
            expiry -= days(1)
        done = expiry.replace(year=expiry.year - 1)
        sid = self.statement(done, p, "passed", "HIP-200")
        self.expect("expired_within_grace", p, hipaa.rid, "due_soon", expiry)

        # Transferred from Finance into Clinical Operations (HIPAA's scope): the change first shows in
        # the snapshot a month before as_of, so the due clock starts on that snapshot's date, not at hire.
        p = self.plant_person("transfer_into_scope", "US", "Finance", "FIN-ACC", self.long_ago())
        shown = self.snapshots[-2]
        p.moves.append([shown - days(10), "Clinical Operations", "CLN-COD", ""])
        before = self.was(_month_end(_add_months(D, -2)), None)  # still in Finance: out of scope
        after = self.was(_month_end(_add_months(D, -1)), "not_yet_due", shown + days(hipaa.due))
        self.expect(
            "transfer_into_scope", p, hipaa.rid, "not_yet_due", shown + days(hipaa.due), history=[before, after]
        )

        # United Kingdom: GDPR became effective 150 days ago; the clock runs from effective_from.
        p = self.plant_person("due_from_effective_date", "GB", "Legal", "LEG-CNS", self.long_ago())
        self.expect("due_from_effective_date", p, gdpr.rid, "overdue", gdpr.effective_from + days(gdpr.due))

        # Rehire, late completion and cmi5 verbs, from their own random stream (the draws above and
        # the billing learners' stay as they were).
        main_stream, self.r_plant = self.r_plant, self.rng("planted-history")

        # Left (shown terminated in the snapshot a month ago) and rehired ten days ago (shown today):
        # the due clock restarts on the snapshot showing the rehire; the completion from the first
        # employment had expired, so it neither satisfies nor makes them overdue.
        p = canadian("rehired")
        p.term, p.rehire = self.snapshots[-2] - days(10), D - days(10)
        done = _nice(_add_months(D, -14))
        sid = self.statement(done, p, "completed", "COC-101")
        history = [
            self.was(_month_end(_add_months(D, -3)), "compliant", _add_months(done, 12), sid),
            self.was(_month_end(_add_months(D, -1)), None),  # terminated that day: no row
        ]
        self.expect("rehired", p, coc.rid, "due_soon", D + days(coc.due), history=history)

        # Overdue at the month-end two months ago, compliant since completing late.
        p = canadian("completed_late", hire=D - days(120))
        done = _nice(D - days(20))
        sid = self.statement(done, p, "completed", "COC-101")
        then = self.was(_month_end(_add_months(D, -2)), "overdue", D - days(120) + days(coc.due))
        self.expect("completed_late", p, coc.rid, "compliant", _add_months(done, 12), sid, history=[then])

        # cmi5: the LMS's `satisfied` for the course counts; `waived` does not (waivers are exemptions).
        p = canadian("compliant_via_cmi5_satisfied")
        done = _nice(D - days(45))
        sid = self.statement(done, p, "satisfied", "COC-101")
        self.expect("compliant_via_cmi5_satisfied", p, coc.rid, "compliant", _add_months(done, 12), sid)

        p = canadian("cmi5_waived_is_no_completion")
        self.statement(_nice(D - days(30)), p, "waived", "COC-101")
        due = max(p.hire, coc.effective_from) + days(coc.due)
        self.expect("cmi5_waived_is_no_completion", p, coc.rid, "overdue", due)

        self.r_plant = main_stream

    def plant_billing_people(self) -> None:
        """Learners of the planted sessions: long-standing active staff, and one who has left."""
        D = self.as_of
        self.crew = [
            self.plant_person(
                "billing",
                "GB" if i < 7 else "DE",
                "Sales" if i % 2 else "Engineering",
                "SAL-REP" if i % 2 else "ENG-SWE",
                self.long_ago(),
            )
            for i in range(10)
        ]
        self.leaver = self.plant_person("billing", "GB", "Sales", "SAL-REP", self.long_ago(), term=D - timedelta(120))

    def assign_ids(self) -> None:
        """Ids in hire order (the CEO first), emails from names, managers within the department."""
        ceo = self.people[0]
        rest = sorted(self.people[1:], key=lambda e: (e.hire, e.tiebreak))
        self.people = [ceo] + rest
        for number, person in enumerate(self.people, start=1):
            person.eid = f"E{number:06d}"
            person.email = f"{_slug(person.given)}.{_slug(person.family)}.{number}@{DOMAIN}"
        rng = self.rng("managers")
        managers: dict[str, list[str]] = {}
        for person in self.people[1:]:
            if person.is_manager:
                managers.setdefault(person.dept, []).append(person.eid)
        for person in self.people[1:]:
            for move in person.moves:
                pool = managers.get(move[1]) if not person.is_manager else None
                move[3] = pool[rng.randrange(len(pool))] if pool else ceo.eid
        self.background = [p for p in self.people if not p.planted]
        self.hr_manager = (managers.get("People") or [ceo.eid])[0]
        for entry in self.compliance:
            entry["employee_id"] = entry.pop("employee").eid

    # --- HRIS -----------------------------------------------------------------------------------------

    def hris_row(self, person: _Employee, snapshot: date) -> list[str]:
        move = person.moves[0]
        changed = person.hire
        for later in person.moves[1:]:
            if later[0] <= snapshot:
                move = later
                changed = later[0]
        status, term, hire = "active", "", person.hire
        if person.rehire is not None and person.rehire <= snapshot:
            hire = changed = person.rehire  # a new employment: hired again, no termination date
        elif person.term is not None and person.term < snapshot:
            status, term, changed = "terminated", person.term.isoformat(), person.term
        elif person.leave_start is not None and person.leave_start <= snapshot:
            if person.leave_end is None or snapshot < person.leave_end:
                status, changed = "leave", person.leave_start
            else:
                changed = max(changed, person.leave_end)
        number = int(person.eid[1:])
        updated = f"{changed.isoformat()}T{8 + number % 9:02d}:{number % 60:02d}:00Z"
        dept, job = move[1], move[2]
        return [
            person.eid,
            person.email,
            person.given,
            person.family,
            status,
            hire.isoformat(),
            term,
            job,
            _JOB_TITLES[job],
            dept,
            f"CC-{_DEPT_CODE[dept]}-{person.country}",
            person.country,
            person.region,
            move[3],
            person.etype,
            updated,
        ]

    def write_hris(self) -> None:
        folder = self.out / "drops" / "hris"
        broken_at = len(self.snapshots) // 2  # never the last snapshot (months ≥ 3)
        rows_total = 0
        for index, snapshot in enumerate(self.snapshots):
            rows = [self.hris_row(p, snapshot) for p in self.people if p.hire <= snapshot]
            name = f"employees_{snapshot.isoformat()}.csv"
            if index == broken_at:
                at = len(rows) // 3
                bad = self.ghost_rows(snapshot)
                for offset, (row, column, defect) in enumerate(bad):
                    rows.insert(at + offset, row)
                    value = row[HRIS_COLUMNS.index(column)]
                    self.bad("hris", name, at + offset + 2, column, defect, value)
            _write_csv(folder / name, HRIS_COLUMNS, rows)
            rows_total += len(rows)
            if index == len(self.snapshots) - 1:
                self.counts["employees_in_last_snapshot"] = len(rows)
        self.counts["hris_snapshots"] = len(self.snapshots)
        self.counts["hris_rows"] = rows_total

    def ghost_rows(self, snapshot: date) -> list[tuple[list[str], str, str]]:
        """Rows of people on no other row, each with one defect."""
        ceo = self.people[0].eid

        def row(eid: str, given: str, family: str, status: str, hire: str) -> list[str]:
            email = f"{given.lower()}.{family.lower()}.{eid[1:] or 'x'}@{DOMAIN}"
            return [
                eid,
                email,
                given,
                family,
                status,
                hire,
                "",
                "SAL-REP",
                "Account Executive",
                "Sales",
                "CC-SAL-GB",
                "GB",
                "EMEA",
                ceo,
                "full_time",
                f"{snapshot.isoformat()}T07:00:00Z",
            ]

        return [
            (row("E990001", "Ghost", "Hire", "active", "2023-02-30"), "hire_date", _INVALID_DATE),
            (row("E990002", "Ghost", "Retiree", "retired", "2015-06-01"), "status", _NOT_IN_SET),
            (row("", "Ghost", "Nobody", "active", "2019-04-15"), "employee_id", _MISSING),
        ]

    def bad(self, folder: str, file: str, line: int, column: str | None, defect: str, value: str | None) -> None:
        self.malformed.append(
            {"folder": folder, "file": file, "line": line, "column": column, "defect": defect, "value": value}
        )

    # --- sessions and bookings ------------------------------------------------------------------------

    def build_sessions(self) -> None:
        rng = self.rng("sessions")
        as_of = self.as_of
        self.sessions: list[_Session] = []
        pool = self.background
        hire_o = [p.hire.toordinal() for p in pool]
        term_o = [p.term.toordinal() - 1 if p.term else 10**7 for p in pool]
        leave = [
            (p.leave_start.toordinal(), p.leave_end.toordinal() if p.leave_end else 10**7)
            if p.leave_start
            else (10**7, 0)
            for p in pool
        ]
        weights = {"per_learner": 3.0, "hybrid": 2.0, "retainer": 1.0}
        total = sum(weights[v.pricing] for v in self.vendors)
        per_month = max(3.0, self.n_employees * 0.021)
        months = [*self.month_starts, _add_months(self.month_starts[-1], 1)]
        order = 0
        for month in months:
            last = _month_end(month)
            for vendor in self.vendors:
                mean = max(1.0, per_month * weights[vendor.pricing] / total)
                count = rng.randint(max(1, int(mean * 0.7)), max(1, round(mean * 1.3)))
                for _ in range(count):
                    day = month + timedelta(days=rng.randrange((last - month).days + 1))
                    while day.weekday() >= 5 or day == as_of:
                        day += timedelta(days=1)
                    if day > last:
                        continue
                    course = vendor.courses[rng.randrange(len(vendor.courses))]
                    title, modality, _vid, minutes, _activity = self.courses[course]
                    hour = 8 if modality == "ilt" else rng.randint(8, 13)
                    start = datetime(day.year, day.month, day.day, hour, rng.choice((0, 30)))
                    if modality == "ilt":
                        capacity = rng.randint(8, 16)
                        locations = _LOCATIONS.get(vendor.country, _LOCATIONS["GB"])
                        location = locations[rng.randrange(len(locations))]
                    else:
                        capacity = rng.randint(12, 30)
                        location = _VIRTUAL[rng.randrange(len(_VIRTUAL))]
                    r = rng.random() * (1.0 if day < as_of else 5 / 3)  # fewer cancellations in the future
                    status = "cancelled_by_vendor" if r < 0.05 else "cancelled_by_client" if r < 0.1 else "delivered"
                    if status == "delivered" and day > as_of:
                        status = "scheduled"
                    session = _Session(
                        course, vendor, modality, start, minutes, capacity, location, status, order=order
                    )
                    order += 1
                    self.book(rng, session, pool, hire_o, term_o, leave)
                    self.sessions.append(session)

    def book(
        self,
        rng: random.Random,
        session: _Session,
        pool: list[_Employee],
        hire_o: list[int],
        term_o: list[int],
        leave: list[tuple[int, int]],
    ) -> None:
        day = session.day.toordinal()
        as_of_o = self.as_of.toordinal()
        cancelled_session = session.status.startswith("cancelled")
        if cancelled_session:
            wanted, cancels = 0, rng.randint(max(1, session.capacity // 3), session.capacity)
        else:
            wanted = round(session.capacity * rng.uniform(0.55, 1.0))
            cancels = rng.randint(0, max(1, session.capacity // 6))
        taken: set[int] = set()
        for index in range(wanted + cancels):
            chosen = -1
            for _ in range(40):
                candidate = rng.randrange(len(pool))
                if candidate in taken or hire_o[candidate] > day - 7 or day >= term_o[candidate]:
                    continue
                if leave[candidate][0] <= day < leave[candidate][1]:
                    continue
                chosen = candidate
                break
            if chosen < 0:
                break
            taken.add(chosen)
            person = pool[chosen]
            booked_o = min(day - rng.randint(3, 40), as_of_o - rng.randint(1, 5))
            booked_o = max(booked_o, hire_o[chosen])
            booked = datetime.fromordinal(booked_o) + timedelta(seconds=rng.randint(8 * 3600, 18 * 3600))
            if index < wanted:
                if session.day < self.as_of:
                    status = "attended" if rng.random() < 0.88 else "no_show"
                    end = session.start + timedelta(minutes=session.minutes)
                    updated = min(end + timedelta(hours=rng.randint(1, 20)), datetime.fromordinal(as_of_o))
                else:
                    status, updated = "booked", booked
            else:
                status = "cancelled"
                latest = min(day - 1, as_of_o - 1)
                cancel_o = rng.randint(booked_o, latest) if latest > booked_o else booked_o
                updated = max(
                    datetime.fromordinal(cancel_o) + timedelta(seconds=rng.randint(8 * 3600, 18 * 3600)),
                    booked + timedelta(minutes=5),
                )
            r = rng.random()
            ref = person.eid if r < 0.06 else f"mailto:{person.email}" if r < 0.09 else person.email
            session.bookings.append([ref, status, booked, updated, person, person.email])

    def plant_session(
        self,
        key: str,
        vendor: _Vendor,
        course: str,
        days_ago: int,
        capacity: int,
        attended: Sequence[_Employee | str],  # an email: a learner HR does not know
        no_show: Sequence[_Employee] = (),
        cancelled: Sequence[_Employee] = (),
    ) -> _Session:
        day = self.as_of - timedelta(days=days_ago)
        title, modality, _vid, minutes, _activity = self.courses[course]
        location = _LOCATIONS.get(vendor.country, _LOCATIONS["GB"])[0] if modality == "ilt" else _VIRTUAL[0]
        session = _Session(
            course,
            vendor,
            modality,
            datetime(day.year, day.month, day.day, 9),
            minutes,
            capacity,
            location,
            "delivered",
            planted=key,
            order=-1,
        )
        end = session.start + timedelta(minutes=minutes)
        booked = _noon(day - timedelta(days=21))
        for status, people in (("attended", attended), ("no_show", no_show), ("cancelled", cancelled)):
            for person in people:
                email = person if isinstance(person, str) else person.email
                employee = None if isinstance(person, str) else person
                updated = _noon(day - timedelta(days=7)) if status == "cancelled" else end + timedelta(hours=2)
                session.bookings.append([email, status, booked, updated, employee, email])
        self.sessions.append(session)
        self.planted_sessions[key] = session
        return session

    def plant_sessions(self) -> None:
        c = self.crew
        self.guest = "j.smith@partner-consulting.example"
        self.planted_sessions: dict[str, _Session] = {}
        v1, v2 = self.vendors[0], self.vendors[1]
        self.plant_session("unknown", v1, v1.courses[0], 100, 12, [c[0], c[1], c[2], self.guest], cancelled=[c[3]])
        self.plant_session("terminated", v1, v1.courses[1], 90, 10, [c[3], c[4], self.leaver], no_show=[c[5]])
        self.plant_session("no_show", v1, v1.courses[0], 80, 12, [c[0], c[5]], no_show=[c[6]])
        self.plant_session("over_quantity", v1, v1.courses[2], 70, 12, [c[1], c[2], c[3]])
        self.plant_session("original_a", v1, v1.courses[0], 150, 12, [c[4], c[6]])
        self.plant_session("original_b", v1, v1.courses[1], 145, 10, [c[0], c[7]], no_show=[c[1]])
        self.plant_session("malformed_csv", v1, v1.courses[1], 55, 10, [c[2], c[4]])
        self.plant_session("rate", v2, v2.courses[0], 95, 20, [c[7], c[8], c[9]])
        self.plant_session("credited", v2, v2.courses[1], 130, 20, [c[8], c[9]])
        self.plant_session("unmatched", v2, v2.courses[2], 110, 20, [c[7], c[9]])
        self.plant_session("malformed_xml", v2, v2.courses[0], 115, 20, [c[8], c[9]])
        self.plant_session("currency", v1, v1.courses[2], 65, 12, [c[6], c[7]])
        retainer = next((v for v in self.vendors if v.pricing == "retainer"), None)
        if retainer is not None:  # a month of licences for the retainer vendor's self-paced library
            month = self.month_starts[-2]
            minutes = ((_month_end(month) - month).days + 1) * 1440 - 1
            start = datetime(month.year, month.month, 1)
            licences = max(20, round(self.n_employees * 0.4))
            pool = _Session("CYB-105", retainer, "self_paced", start, minutes, licences, "Content library", "delivered")
            pool.planted, pool.order = "licences", -1
            self.sessions.append(pool)
            self.planted_sessions["licences"] = pool
        self.unresolved.append(self.guest)

    def number_sessions(self) -> None:
        self.sessions.sort(key=lambda s: (s.start, s.vendor.vid, s.order))
        for number, session in enumerate(self.sessions, start=1):
            session.sid = f"S{number:06d}"

    def write_sessions(self) -> None:
        by_month: dict[str, list[_Session]] = {}
        for session in self.sessions:
            by_month.setdefault(session.start.strftime("%Y-%m"), []).append(session)
        broken_month = self.month_starts[len(self.month_starts) // 2].strftime("%Y-%m")
        if broken_month not in by_month:  # pragma: no cover - every month has sessions
            broken_month = sorted(by_month)[0]
        self.utilization: list[dict[str, Any]] = []
        n_sessions = n_bookings = 0
        for month, sessions in by_month.items():
            session_rows = [
                [
                    s.sid,
                    s.course,
                    s.vendor.vid,
                    s.modality,
                    _ts(s.start),
                    _ts(s.start + timedelta(minutes=s.minutes)),
                    str(s.capacity),
                    s.location,
                    s.status,
                ]
                for s in sessions
            ]
            booking_rows = [[s.sid, b[0], b[1], _ts(b[2]), _ts(b[3])] for s in sessions for b in s.bookings]
            if month == broken_month:
                self.break_sessions(month, sessions, session_rows, booking_rows)
            _write_csv(self.out / "drops" / "sessions" / f"sessions_{month}.csv", SESSION_COLUMNS, session_rows)
            _write_csv(self.out / "drops" / "bookings" / f"bookings_{month}.csv", BOOKING_COLUMNS, booking_rows)
            n_sessions += len(session_rows)
            n_bookings += len(booking_rows)
        for s in self.sessions:
            statuses = [b[1] for b in s.bookings]
            attended, no_show = statuses.count("attended"), statuses.count("no_show")
            self.utilization.append(
                {
                    "session_id": s.sid,
                    "capacity": s.capacity,
                    "booked": attended + no_show + statuses.count("booked"),
                    "attended": attended,
                    "no_show": no_show,
                    "cancelled": statuses.count("cancelled"),
                }
            )
        self.counts["sessions"] = n_sessions
        self.counts["bookings"] = n_bookings

    def break_sessions(
        self, month: str, sessions: list[_Session], session_rows: list[list[str]], booking_rows: list[list[str]]
    ) -> None:
        """Two sessions with a bad capacity (no bookings) and one booking with an unknown status."""
        name = f"sessions_{month}.csv"
        template = session_rows[0]
        at = len(session_rows) // 3
        for offset, (sid, capacity, defect) in enumerate(
            (("S900001", "-5", _OUT_OF_RANGE), ("S900002", "ten", _INVALID_NUMBER))
        ):
            session_rows.insert(at + offset, [sid, *template[1:6], capacity, template[7], "delivered"])
            self.bad("sessions", name, at + offset + 2, "capacity", defect, capacity)
        target = next((s for s in sessions if s.status == "delivered" and not s.planted), sessions[0])
        booked = {b[4].eid for b in target.bookings if b[4] is not None}
        stranger = next(p for p in self.background if p.eid not in booked and p.hire < target.day)
        row = [
            target.sid,
            stranger.email,
            "confirmed",
            _ts(_noon(target.day - timedelta(days=10))),
            _ts(_noon(target.day - timedelta(days=10))),
        ]
        at = sum(len(s.bookings) for s in sessions[: sessions.index(target) + 1])
        booking_rows.insert(at, row)
        self.bad("bookings", f"bookings_{month}.csv", at + 2, "status", _NOT_IN_SET, "confirmed")

    # --- learning records -----------------------------------------------------------------------------

    def write_learning(self) -> None:
        """xAPI statements (monthly JSONL + a JSON backfill) and the legacy LMS export, streamed."""
        rng = self.rng("learning")
        rand = rng.random

        def between(low: int, high: int) -> int:  # rng.randint, without its per-call overhead
            return low + int(rand() * (high - low + 1))

        folder = self.out / "drops" / "xapi"
        ws, last_day = self.window_start, self.last_day
        month_index0 = ws.year * 12 + ws.month - 1
        handles: list[TextIO] = []
        lines = [0] * len(self.month_starts)
        for month in self.month_starts:
            handles.append(open(folder / f"statements_{month.strftime('%Y-%m')}.jsonl", "w", encoding="utf-8"))  # noqa: SIM115
        backfill: list[str] = []
        legacy_handle = open(self.out / "drops" / "lms" / "legacy_lms_export.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
        legacy = csv.writer(legacy_handle, lineterminator="\n")
        legacy.writerow(LMS_COLUMNS)
        legacy_lines = 1
        legacy_number = 0
        objects = {
            ref: json.dumps(
                {
                    "objectType": "Activity",
                    "id": course[4],
                    "definition": {"name": {"en-US": course[0]}, "type": "http://adlnet.gov/expapi/activities/course"},
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for ref, course in self.courses.items()
        }

        def result(verb: str) -> str:
            if verb == "satisfied":  # cmi5: the LMS's course-level statement carries no result
                return ""
            if verb == "waived":  # cmi5: success and completion true, with the reason — still no completion
                return (
                    ',"result":{"success":true,"completion":true,"extensions":'
                    '{"https://w3id.org/xapi/cmi5/result/extensions/reason":"Tested Out"}}'
                )
            duration = f"PT{between(5, 95)}M{between(0, 59)}S"
            if verb == "completed":
                return f',"result":{{"completion":true,"success":true,"duration":"{duration}"}}'
            if verb in ("passed", "failed"):
                passed = verb == "passed"
                score = between(80, 100) / 100 if passed else between(30, 69) / 100
                return (
                    f',"result":{{"score":{{"scaled":{score}}},"success":{"true" if passed else "false"},'
                    f'"completion":true,"duration":"{duration}"}}'
                )
            return f',"result":{{"completion":false,"duration":"{duration}"}}'

        def line(
            record_id: str,
            actor: str | None,
            verb: str,
            obj: str,
            moment: datetime,
            style: int,
            stored: datetime,
        ) -> str:
            """One statement as an LRS returns it (compact JSON, built as text: millions of them)."""
            who = f'"actor":{actor},' if actor is not None else ""
            extra = result(verb) if verb != "voided" else ""
            context = f',"context":{_CONTEXT}' if verb != "voided" else ""
            return (
                f'{{"id":"{record_id}",{who}"verb":{_VERBS[verb]},"object":{obj}{extra}{context},'
                f'"timestamp":"{_render_ts(moment, style)}",'
                f'"stored":"{stored.isoformat(timespec="milliseconds")}Z","authority":{_AUTHORITY},'
                f'"version":"1.0.3"}}'
            )

        def emit(day: date, text: str) -> None:
            index = day.year * 12 + day.month - 1 - month_index0
            handles[index].write(text + "\n")
            lines[index] += 1

        def actor_json(person: _Employee | None, kind: str, email: str = "") -> str:
            if person is None:
                return json.dumps({"objectType": "Agent", "mbox": f"mailto:{email}"}, separators=(",", ":"))
            name = f"{person.given} {person.family}"
            agent: dict[str, Any] = {"objectType": "Agent", "name": name}
            if kind == "account":
                agent["account"] = {"homePage": SSO_HOME, "name": person.eid}
            elif kind == "mixed":
                local, domain = person.email.split("@")
                mixed = ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.capitalize()
                agent["mbox"] = f"mailto:{mixed}"
            else:
                agent["mbox"] = f"mailto:{person.email}"
            return json.dumps(agent, ensure_ascii=False, separators=(",", ":"))

        def stored_after(moment: datetime) -> datetime:
            late = rng.random() < 0.03
            delta = timedelta(days=between(1, 4)) if late else timedelta(seconds=between(2, 900))
            stored = moment + delta + timedelta(milliseconds=int(rand() * 1000))
            limit = datetime(self.as_of.year, self.as_of.month, self.as_of.day, 3)
            return stored if stored < limit else moment + timedelta(seconds=30)

        def office_time(day: date) -> datetime:
            return datetime(day.year, day.month, day.day) + timedelta(seconds=between(7 * 3600, 18 * 3600))

        def style() -> int:
            r = rng.random()
            return 0 if r < 0.55 else 1 if r < 0.75 else 2 if r < 0.85 else 3 if r < 0.93 else 4

        n_statements = 0
        background = self.background
        half = len(background) // 2
        elective_counts = (0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6)  # a month's elective statements (mean ≈ 2.8)
        month_bounds = [(m.toordinal(), _month_end(m).toordinal()) for m in self.month_starts]
        before_window = _add_months(ws, -1)
        scope_cache: dict[tuple[str, str, str], list[_Requirement]] = {}

        for position, person in enumerate(background):
            if position == half:
                n_statements += self.break_xapi(handles, lines, month_index0, objects, line, actor_json)
                legacy_lines = self.break_legacy(legacy, legacy_lines)
            start = max(person.hire, ws).toordinal()
            end = min(person.term - timedelta(days=1), last_day) if person.term else last_day
            end_o = end.toordinal()
            leave_lo = person.leave_start.toordinal() if person.leave_start else 10**7
            leave_hi = person.leave_end.toordinal() if person.leave_end else 10**7
            r = rng.random()
            kind = "account" if r < 0.04 else "mixed" if r < 0.10 else "mbox"
            actor = actor_json(person, kind)
            # electives, month by month
            for low, high in month_bounds:
                low, high = max(low, start), min(high, end_o)
                if low > high:
                    continue
                for _ in range(elective_counts[int(rand() * len(elective_counts))]):
                    day_o = between(low, high)
                    if leave_lo <= day_o < leave_hi:
                        continue
                    day = date.fromordinal(day_o)
                    r = rng.random()
                    verb = "attempted" if r < 0.35 else "completed" if r < 0.75 else "passed" if r < 0.9 else "failed"
                    course = _ELECTIVES[int(rand() * len(_ELECTIVES))]
                    moment = office_time(day)
                    emit(day, line(_uuid(rng), actor, verb, objects[course], moment, style(), stored_after(moment)))
                    n_statements += 1
            if person.hire < before_window and rng.random() < 0.03:
                day = before_window + timedelta(days=rng.randrange(28))
                moment = office_time(day)
                course = _ELECTIVES[int(rand() * len(_ELECTIVES))]
                backfill.append(
                    line(_uuid(rng), actor, "completed", objects[course], moment, style(), stored_after(moment))
                )
            # required training, cycle by cycle
            key = (person.dept, person.job, person.country)
            if key not in scope_cache:
                scope_cache[key] = [q for q in self.requirements if q.in_scope(*key)]
            diligence = 0.04 if rng.random() < 0.8 else 0.35  # the chance of skipping a cycle
            for requirement in scope_cache[key]:
                entry = person.hire
                for move in person.moves[1:]:
                    if not requirement.in_scope(move[1], move[2], person.country):
                        continue
                    before = person.moves[person.moves.index(move) - 1]
                    if not requirement.in_scope(before[1], before[2], person.country):
                        entry = move[0]
                anchor = max(entry, requirement.effective_from)
                done = anchor + timedelta(days=rng.randint(1, requirement.due + (40 if rng.random() < 0.1 else 0)))
                cutoff = _add_months(ws, -(requirement.recurrence or 1200))
                while done <= end:
                    if rng.random() >= diligence and done >= cutoff:
                        course = requirement.courses[0]
                        if len(requirement.courses) > 1 and done > anchor + timedelta(days=400):
                            course = requirement.courses[1]
                        if course == "COC-101" and rng.random() < 0.03:
                            course = "ETH-201"
                        verb = "passed" if course in _ASSESSED else "completed"
                        if done < ws:
                            legacy_number += 1
                            legacy.writerow(
                                [
                                    f"LMS-{legacy_number:07d}",
                                    person.eid,
                                    course,
                                    verb,
                                    _ts(office_time(done)),
                                    "true",
                                    f"{rng.randint(80, 100) / 100}" if verb == "passed" else "",
                                ]
                            )
                            legacy_lines += 1
                        else:
                            if verb == "passed" and rng.random() < 0.15 and done - timedelta(days=3) >= ws:
                                earlier = done - timedelta(days=rng.randint(1, 3))
                                moment = office_time(earlier)
                                emit(
                                    earlier,
                                    line(
                                        _uuid(rng),
                                        actor,
                                        "failed",
                                        objects[course],
                                        moment,
                                        style(),
                                        stored_after(moment),
                                    ),
                                )
                                n_statements += 1
                            moment = office_time(done)
                            record_id = _uuid(rng)
                            emit(
                                done,
                                line(record_id, actor, verb, objects[course], moment, style(), stored_after(moment)),
                            )
                            n_statements += 1
                            voided_on = done + timedelta(days=rng.randint(1, 3))
                            if rng.random() < 0.004 and voided_on <= end:
                                ref = f'{{"objectType":"StatementRef","id":"{record_id}"}}'
                                moment = office_time(voided_on)
                                emit(voided_on, line(_uuid(rng), actor, "voided", ref, moment, 0, stored_after(moment)))
                                n_statements += 1
                                self.voided.append(record_id)
                    if requirement.recurrence is None:
                        break
                    done = _add_months(done, requirement.recurrence) - timedelta(days=rng.randint(0, 45))

        # learners HR does not know: a vendor's trainer and an agency temp take electives
        for email in ("sam.taylor@brightpath-training.example", "contractor.lee@temp-staffing.example"):
            actor = actor_json(None, "mbox", email)
            for _ in range(3):
                day = ws + timedelta(days=rng.randrange((last_day - ws).days + 1))
                moment = office_time(day)
                course = _ELECTIVES[int(rand() * len(_ELECTIVES))]
                emit(day, line(_uuid(rng), actor, "completed", objects[course], moment, style(), stored_after(moment)))
                n_statements += 1
            self.unresolved.append(email)

        # planted statements: 12:00 UTC, in assorted notations
        for number, (day, person, kind, verb, target, record_id, to_backfill) in enumerate(self.planted_statements):
            moment = _noon(day)
            stored = moment + timedelta(minutes=3 + number % 7, microseconds=(number * 137 % 1000) * 1000)
            obj = f'{{"objectType":"StatementRef","id":"{target}"}}' if verb == "voided" else objects[target]
            text = line(record_id, actor_json(person, kind), verb, obj, moment, number % 5, stored)
            if to_backfill:
                backfill.append(text)  # counted with the backfill file below
            else:
                emit(day, text)
                n_statements += 1

        for handle in handles:
            handle.close()

        # the backfill export, with one statement whose timestamp is not a date
        bad_at = len(backfill) // 2
        moment = _noon(before_window)
        bad_ts = f"{before_window.year}-13-45T25:00:00Z"
        bad_line = line(
            _uuid(rng), actor_json(background[1], "mbox"), "completed", objects["XL-101"], moment, 0, moment
        )
        bad_line = bad_line.replace(f'"timestamp":"{_render_ts(moment, 0)}"', f'"timestamp":"{bad_ts}"')
        backfill.insert(bad_at, bad_line)
        (folder / "statements_backfill.json").write_text(
            '{"statements": [\n' + ",\n".join(backfill) + "\n]}\n", encoding="utf-8"
        )
        self.bad("xapi", "statements_backfill.json", bad_at + 1, "timestamp", _INVALID_TS, bad_ts)
        n_statements += len(backfill)

        # the legacy LMS: the planted record and one learner HR does not know
        for day, person, course, verb, record_id in self.planted_legacy:
            legacy.writerow([record_id, person.eid, course, verb, _ts(_noon(day)), "true", ""])
            legacy_lines += 1
        temp = "temp.worker.17@agency.example"
        legacy.writerow(
            [f"LMS-{9_000_002}", temp, "XL-101", "completed", _ts(_noon(ws - timedelta(days=20))), "true", ""]
        )
        legacy_lines += 1
        self.unresolved.append(temp)
        legacy_handle.close()
        self.counts["xapi_statements"] = n_statements
        self.counts["xapi_files"] = len(handles) + 1
        self.counts["lms_records"] = legacy_lines - 1

    def break_xapi(
        self,
        handles: list[TextIO],
        lines: list[int],
        month_index0: int,
        objects: dict[str, str],
        line: Any,
        actor_json: Any,
    ) -> int:
        """A line that is not JSON and a statement without an actor, mid-file."""
        rng = self.rng("broken-xapi")
        month = self.month_starts[len(self.month_starts) // 2]
        index = month.year * 12 + month.month - 1 - month_index0
        name = f"statements_{month.strftime('%Y-%m')}.jsonl"
        moment = datetime(month.year, month.month, 10, 12)
        person = self.background[2]
        whole = line(_uuid(rng), actor_json(person, "mbox"), "completed", objects["XL-101"], moment, 0, moment)
        handles[index].write(whole[: len(whole) // 2] + "\n")
        lines[index] += 1
        self.bad("xapi", name, lines[index], None, _MALFORMED_JSON, None)
        handles[index].write(line(_uuid(rng), None, "completed", objects["WRT-110"], moment, 1, moment) + "\n")
        lines[index] += 1
        self.bad("xapi", name, lines[index], "actor", _MISSING, None)
        return 2

    def break_legacy(self, legacy: Any, legacy_lines: int) -> int:
        """An unknown verb and a timestamp in the wrong notation."""
        person = self.background[3]
        day = self.window_start - timedelta(days=45)
        legacy.writerow(["LMS-9000101", person.eid, "XL-101", "finished", _ts(_noon(day)), "true", ""])
        legacy_lines += 1
        self.bad("lms", "legacy_lms_export.csv", legacy_lines, "verb", _NOT_IN_SET, "finished")
        stamp = day.strftime("%d/%m/%Y")
        legacy.writerow(["LMS-9000102", person.eid, "WRT-110", "completed", stamp, "true", ""])
        legacy_lines += 1
        self.bad("lms", "legacy_lms_export.csv", legacy_lines, "occurred_at", _INVALID_TS, stamp)
        return legacy_lines

    # --- invoices -------------------------------------------------------------------------------------

    def build_invoices(self) -> None:
        self.invoices: list[_Invoice] = []
        sequence = dict.fromkeys((v.vid for v in self.vendors), 100)
        by_vendor_month: dict[tuple[str, date], list[_Session]] = {}
        for session in self.sessions:
            if session.status == "delivered" and not session.planted:
                key = (session.vendor.vid, session.day.replace(day=1))
                by_vendor_month.setdefault(key, []).append(session)
        invoiced = [m for m in self.month_starts if _month_end(m) + timedelta(days=5) < self.as_of]
        over_billed = {}  # vendor → the month its retainer / hybrid invoice over-bills (planted)
        for vendor in self.vendors:
            if vendor.pricing == "retainer" and invoiced:
                over_billed[vendor.vid] = invoiced[-2] if len(invoiced) > 1 else invoiced[-1]
            elif vendor.pricing == "hybrid":
                included = vendor.contract_on(self.as_of)["included_learners"]
                full = [
                    m for m in invoiced if self.served(vendor, by_vendor_month.get((vendor.vid, m), []), m) >= included
                ]
                if full:
                    over_billed[vendor.vid] = full[-1]
        for month in self.month_starts:
            period = (month, _month_end(month))
            issue = period[1] + timedelta(days=5)
            if issue >= self.as_of:
                continue
            for vendor in self.vendors:
                sessions = by_vendor_month.get((vendor.vid, month), [])
                planted = over_billed.get(vendor.vid) == month
                contract = vendor.contract_on(month)
                if planted and vendor.pricing == "hybrid":  # overage counted from 2 learners too early
                    lines = self.background_lines(vendor, sessions, period, contract["included_learners"] - 2)
                else:
                    lines = self.background_lines(vendor, sessions, period)
                if planted and vendor.pricing == "retainer":  # an uplift the contract does not have
                    lines[0].unit_price = contract["retainer_fee"] + Decimal("420.00")
                if not lines:
                    continue
                sequence[vendor.vid] += 1
                number = f"{vendor.prefix}-{issue.year}-{sequence[vendor.vid]:04d}"
                invoice = _Invoice(vendor, number, issue, period, lines)
                self.number_lines(invoice)
                self.invoices.append(invoice)
                if vendor.pricing == "per_learner":
                    self.clean_lines += [(invoice, line) for line in lines]
                    continue
                # docs/semantics.md: retainer = fee per period; hybrid = fee + max(0, served − included) × overage
                served = self.served(vendor, sessions, month)
                expected = contract["retainer_fee"]
                if vendor.pricing == "hybrid":
                    expected += max(0, served - contract["included_learners"]) * contract["overage_rate"]
                case = f"{vendor.pricing}_period"
                flags = []
                if planted:
                    case = f"{vendor.pricing}_over_billed"
                    flags = ["rate_mismatch"] if vendor.pricing == "retainer" else []
                figures = {"learners_served": served} if vendor.pricing == "hybrid" else {}
                self.record_billing(
                    case,
                    invoice,
                    lines[0],
                    flags,
                    period_start=month.isoformat(),
                    period_expected=_money(expected),
                    period_billed=_money(invoice.total),
                    period_variance=_money(invoice.total - expected),
                    period_flags=["over_billed"] if invoice.total > expected else [],
                    **figures,
                )
        self.plant_invoices()

    @staticmethod
    def served(vendor: _Vendor, sessions: list[_Session], month: date) -> int:
        """Learners served in a month: attendances, plus no-shows where the contract bills them."""
        statuses = ("attended", "no_show") if vendor.contract_on(month)["bills_no_shows"] else ("attended",)
        return sum(len(s.learners(*statuses)) for s in sessions)

    def record_billing(self, case: str, doc: _Invoice, line: _Line, flags: list[str], **extra: Any) -> None:
        self.billing.append(
            {
                "case": case,
                "vendor_id": doc.vendor.vid,
                "invoice_number": doc.number,
                "line_id": line.line_id,
                "flags": flags,
                "currency": doc.currency or doc.vendor.currency,
                **extra,
            }
        )

    def background_lines(
        self, vendor: _Vendor, sessions: list[_Session], period: tuple[date, date], included: int | None = None
    ) -> list[_Line]:
        """A month's lines; ``included`` overrides the hybrid contract's included learners (a planted error)."""
        lines: list[_Line] = []
        if vendor.pricing == "per_learner":
            for s in sessions:
                attended = s.learners("attended")
                if not attended:
                    continue
                rate = vendor.contract_on(s.day)["per_learner_rate"]
                title = self.courses[s.course][0]
                if vendor.fmt == "csv":
                    lines.append(
                        _Line(s.sid, f"{title} – {s.day.isoformat()}", len(attended), rate, attended, (s.day, s.day))
                    )
                else:
                    lines += [
                        _Line(s.sid, f"{title} – {s.day.isoformat()}", 1, rate, [email], (s.day, s.day))
                        for email in attended
                    ]
        elif vendor.pricing == "retainer":
            contract = vendor.contract_on(period[0])
            lines.append(
                _Line(
                    f"RETAINER-{period[0].strftime('%Y-%m')}",
                    f"Learning content library – {period[0].strftime('%B %Y')}",
                    1,
                    contract["retainer_fee"],
                    [],
                    period,
                )
            )
        else:  # hybrid: the monthly fee, then overage per session once the included learners are used up
            contract = vendor.contract_on(period[0])
            lines.append(
                _Line(
                    f"PLATFORM-FEE-{period[0].strftime('%Y-%m')}",
                    f"Coaching programme fee – {period[0].strftime('%B %Y')}",
                    1,
                    contract["retainer_fee"],
                    [],
                    period,
                )
            )
            served_so_far = 0
            included = contract["included_learners"] if included is None else included
            for s in sessions:
                served = s.learners("attended", "no_show") if contract["bills_no_shows"] else s.learners("attended")
                before = max(0, served_so_far - included)
                served_so_far += len(served)
                extra = max(0, served_so_far - included) - before
                if extra:
                    title = self.courses[s.course][0]
                    lines.append(
                        _Line(
                            s.sid,
                            f"{title} – {s.day.isoformat()} (overage)",
                            extra,
                            contract["overage_rate"],
                            served[-extra:],
                            (s.day, s.day),
                        )
                    )
        return lines

    @staticmethod
    def number_lines(invoice: _Invoice) -> None:
        for number, line in enumerate(invoice.lines, start=1):
            line.line_id = str(number)

    def plant_invoices(self) -> None:
        """The planted billing cases (docs/semantics.md line flags), at the two per-learner vendors. Each names
        the line's variance (billed − expected, in the invoice currency)."""
        D = self.as_of
        v1, v2 = self.vendors[0], self.vendors[1]
        ps = self.planted_sessions
        serial = {v1.vid: 9000, v2.vid: 9000}

        def session_line(
            key: str, learners: list[str] | None = None, quantity: int | None = None, price: Decimal | None = None
        ) -> _Line:
            s = ps[key]
            billed = learners if learners is not None else s.learners("attended")
            rate = s.vendor.contract_on(s.day)["per_learner_rate"]
            return _Line(
                s.sid,
                f"{self.courses[s.course][0]} – {s.day.isoformat()}",
                len(billed) if quantity is None else quantity,
                rate if price is None else price,
                billed,
                (s.day, s.day),
            )

        def invoice(vendor: _Vendor, days_ago: int, lines: list[_Line], **kw: Any) -> _Invoice:
            issue = D - timedelta(days=days_ago)
            serial[vendor.vid] += 1
            number = kw.pop("number", None) or f"{vendor.prefix}-{issue.year}-{serial[vendor.vid]:04d}"
            days = [line.service[0] for line in lines]
            period = (min(days).replace(day=1), _month_end(max(days)))
            doc = _Invoice(vendor, number, issue, period, lines, **kw)
            self.number_lines(doc)
            self.invoices.append(doc)
            return doc

        def expect(case: str, doc: _Invoice, line: _Line, flags: list[str], variance: Decimal, **extra: Any) -> None:
            self.record_billing(case, doc, line, flags, variance=_money(variance), **extra)

        no_show = ps["no_show"]
        flagged = invoice(
            v1,
            60,
            [
                session_line("unknown"),
                session_line("terminated"),
                session_line("no_show", no_show.learners("attended") + no_show.learners("no_show")),
                session_line("over_quantity", quantity=4),
            ],
        )
        zero = Decimal("0.00")  # the unknown and the terminated learner did attend: billed as served
        expect("unknown_learner", flagged, flagged.lines[0], ["unknown_learner"], zero)
        expect("terminated_learner", flagged, flagged.lines[1], ["terminated_learner"], zero)
        line = flagged.lines[2]  # one billed no-show
        expect("no_show_billed", flagged, line, ["no_show_billed", "over_quantity"], line.unit_price)
        line = flagged.lines[3]  # quantity 4 for 3 attendees
        expect("over_quantity", flagged, line, ["over_quantity"], line.unit_price)

        original = invoice(v1, 140, [session_line("original_a"), session_line("original_b")])
        self.clean_lines += [(original, line) for line in original.lines]
        copy = invoice(v1, 120, [session_line("original_a"), session_line("original_b")])
        for line in copy.lines:
            expect("duplicate_invoice", copy, line, ["duplicate_invoice"], line.amount, duplicate_of=original.number)

        rate = v2.contract_on(ps["rate"].day)["per_learner_rate"]
        mismatch = invoice(v2, 85, [session_line("rate", price=rate + Decimal("15.00"))])
        line = mismatch.lines[0]
        expect("rate_mismatch", mismatch, line, ["rate_mismatch"], line.amount - rate * line.quantity)

        credited = invoice(v2, 125, [session_line("credited")])
        self.clean_lines += [(credited, line) for line in credited.lines]
        first_learner = ps["credited"].learners("attended")[:1]
        credit = invoice(
            v2,
            100,
            [session_line("credited", first_learner)],
            doc_type="credit_note",
            preceding=credited.number,
            note="Goodwill credit: the session started late",
        )
        line = credit.lines[0]
        expect(
            "credit_note",
            credit,
            line,
            [],
            -line.amount,
            document_type="credit_note",
            preceding_invoice=credited.number,
        )

        orphan_ref = f"{v2.prefix}-{(D - timedelta(days=200)).year}-0042"  # never issued
        orphan = invoice(
            v2,
            105,
            [session_line("unmatched", ps["unmatched"].learners("attended")[:1])],
            doc_type="credit_note",
            preceding=orphan_ref,
            note="Credit for a cancelled seat",
        )
        expect(
            "credit_note_unmatched",
            orphan,
            orphan.lines[0],
            ["credit_note_unmatched"],
            -orphan.lines[0].amount,
            document_type="credit_note",
            preceding_invoice=orphan_ref,
        )

        learners = ps["malformed_xml"].learners("attended")
        broken_xml = invoice(
            v2, 110, [session_line("malformed_xml", learners[:1]), session_line("malformed_xml", learners[1:2])]
        )
        broken_xml.lines[1].price_text = "38O.00"
        self.broken_xml = broken_xml
        # the document claims the unreadable line's amount without a line to check it against
        expect(
            "unreadable_line", broken_xml, broken_xml.lines[0], [], zero, unitemised=_money(broken_xml.lines[1].amount)
        )
        broken_csv = invoice(v1, 50, [session_line("malformed_csv")])
        broken_csv.lines[0].quantity_text = "abc"
        self.broken_csv = broken_csv

        # billed in another currency than the contract's: nothing is contracted in it
        other = "EUR" if v1.currency != "EUR" else "GBP"
        foreign = invoice(v1, 58, [session_line("currency")], currency=other)
        expect("currency_mismatch", foreign, foreign.lines[0], ["currency_mismatch"], foreign.lines[0].amount)

        # a workshop from before the vendor's first contract: no contract is valid on its date
        month = _add_months(min(c["valid_from"] for c in v2.contracts).replace(day=1), -1)
        workshop = _Line(
            "NA-WORKSHOP",
            f"Training needs analysis – {month.strftime('%B %Y')}",
            1,
            v2.contracts[0]["per_learner_rate"],
            [],
            (month, _month_end(month)),
        )
        uncontracted = invoice(v2, 75, [workshop])
        expect("no_contract", uncontracted, workshop, ["no_contract"], workshop.amount)

    def write_invoices(self) -> None:
        csv_files: dict[str, list[_Invoice]] = {}
        n_csv = n_xml = xml_files = 0
        for doc in self.invoices:
            if doc.vendor.fmt == "csv":
                csv_files.setdefault(f"{doc.vendor.vid}_{doc.issue.strftime('%Y-%m')}.csv", []).append(doc)
            else:
                name = f"{doc.vendor.vid}_{doc.number}.xml"
                (self.out / "drops" / "invoices_xml" / name).write_text(self.ubl(doc), encoding="utf-8")
                xml_files += 1
                n_xml += len(doc.lines)
                if doc is self.broken_xml:
                    self.bad("invoices_xml", name, 2, "PriceAmount", _INVALID_NUMBER, "38O.00")
        for name, docs in sorted(csv_files.items()):
            rows: list[list[str]] = []
            for doc in sorted(docs, key=lambda d: (d.issue, d.number)):
                for line in doc.lines:
                    rows.append(
                        [
                            doc.vendor.vid,
                            doc.number,
                            doc.doc_type,
                            doc.issue.isoformat(),
                            doc.currency or doc.vendor.currency,
                            doc.period[0].isoformat(),
                            doc.period[1].isoformat(),
                            line.line_id,
                            line.item_ref,
                            line.description,
                            line.quantity_text or str(line.quantity),
                            _money(line.unit_price),
                            _money(line.amount),
                            ";".join(line.learners),
                        ]
                    )
                    if line.quantity_text:
                        self.bad("invoices_csv", name, len(rows) + 1, "quantity", _INVALID_NUMBER, line.quantity_text)
            _write_csv(self.out / "drops" / "invoices_csv" / name, INVOICE_COLUMNS, rows)
            n_csv += len(rows)
        self.counts["invoices"] = len(self.invoices)
        self.counts["invoice_lines"] = n_csv + n_xml
        self.counts["invoices_csv_rows"] = n_csv
        self.counts["invoices_xml_lines"] = n_xml
        self.counts["invoices_xml_files"] = xml_files

    def ubl(self, doc: _Invoice) -> str:
        """A Peppol BIS Billing 3.0 (UBL 2.1) Invoice or CreditNote."""
        credit = doc.doc_type == "credit_note"
        root = "CreditNote" if credit else "Invoice"
        vendor, cur = doc.vendor, doc.currency or doc.vendor.currency
        cat, pct = vendor.tax
        net = doc.total
        tax = (net * pct / 100).quantize(_CENT, rounding=ROUND_HALF_UP)

        def amount(tag: str, value: Decimal, indent: int) -> str:
            return f'{" " * indent}<cbc:{tag} currencyID="{cur}">{_money(value)}</cbc:{tag}>'

        def tax_category(tag: str, indent: int, reason: bool) -> list[str]:
            pad = " " * indent
            out = [f"{pad}<cac:{tag}>", f"{pad}  <cbc:ID>{cat}</cbc:ID>", f"{pad}  <cbc:Percent>{pct}</cbc:Percent>"]
            if reason and cat == "AE":
                out += [
                    f"{pad}  <cbc:TaxExemptionReasonCode>vatex-eu-ae</cbc:TaxExemptionReasonCode>",
                    f"{pad}  <cbc:TaxExemptionReason>Reverse charge</cbc:TaxExemptionReason>",
                ]
            elif reason and cat == "O":
                out += [
                    f"{pad}  <cbc:TaxExemptionReasonCode>vatex-eu-o</cbc:TaxExemptionReasonCode>",
                    f"{pad}  <cbc:TaxExemptionReason>Not subject to VAT</cbc:TaxExemptionReason>",
                ]
            out += [
                f"{pad}  <cac:TaxScheme>",
                f"{pad}    <cbc:ID>VAT</cbc:ID>",
                f"{pad}  </cac:TaxScheme>",
                f"{pad}</cac:{tag}>",
            ]
            return out

        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"',
            '    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"',
            '    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">',
            "  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
            "</cbc:CustomizationID>",
            "  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>",
            f"  <cbc:ID>{escape(doc.number)}</cbc:ID>",
            f"  <cbc:IssueDate>{doc.issue.isoformat()}</cbc:IssueDate>",
        ]
        if not credit:
            out.append(f"  <cbc:DueDate>{(doc.issue + timedelta(days=30)).isoformat()}</cbc:DueDate>")
        out.append(f"  <cbc:{root}TypeCode>{381 if credit else 380}</cbc:{root}TypeCode>")
        if doc.note:
            out.append(f"  <cbc:Note>{escape(doc.note)}</cbc:Note>")
        out += [
            f"  <cbc:DocumentCurrencyCode>{cur}</cbc:DocumentCurrencyCode>",
            "  <cbc:BuyerReference>ACME-L&amp;D</cbc:BuyerReference>",
            "  <cac:InvoicePeriod>",
            f"    <cbc:StartDate>{doc.period[0].isoformat()}</cbc:StartDate>",
            f"    <cbc:EndDate>{doc.period[1].isoformat()}</cbc:EndDate>",
            "  </cac:InvoicePeriod>",
            "  <cac:OrderReference>",
            f"    <cbc:ID>PO-ACME-{vendor.vid}-{doc.period[0].year}</cbc:ID>",
            "  </cac:OrderReference>",
        ]
        if doc.preceding:
            out += [
                "  <cac:BillingReference>",
                "    <cac:InvoiceDocumentReference>",
                f"      <cbc:ID>{escape(doc.preceding)}</cbc:ID>",
                "    </cac:InvoiceDocumentReference>",
                "  </cac:BillingReference>",
            ]
        city = {"GB": "London", "NL": "Amsterdam", "US": "New York"}.get(vendor.country, "London")
        out += [
            "  <cac:AccountingSupplierParty>",
            "    <cac:Party>",
            f'      <cbc:EndpointID schemeID="0088">{vendor.gln}</cbc:EndpointID>',
            "      <cac:PartyName>",
            f"        <cbc:Name>{escape(vendor.name)}</cbc:Name>",
            "      </cac:PartyName>",
            "      <cac:PostalAddress>",
            f"        <cbc:StreetName>{10 + int(vendor.vid[1:])} Learning Lane</cbc:StreetName>",
            f"        <cbc:CityName>{city}</cbc:CityName>",
            "        <cac:Country>",
            f"          <cbc:IdentificationCode>{vendor.country}</cbc:IdentificationCode>",
            "        </cac:Country>",
            "      </cac:PostalAddress>",
            "      <cac:PartyTaxScheme>",
            f"        <cbc:CompanyID>{vendor.vat}</cbc:CompanyID>",
            "        <cac:TaxScheme>",
            "          <cbc:ID>VAT</cbc:ID>",
            "        </cac:TaxScheme>",
            "      </cac:PartyTaxScheme>",
            "      <cac:PartyLegalEntity>",
            f"        <cbc:RegistrationName>{escape(vendor.name)}</cbc:RegistrationName>",
            "      </cac:PartyLegalEntity>",
            "    </cac:Party>",
            "  </cac:AccountingSupplierParty>",
            "  <cac:AccountingCustomerParty>",
            "    <cac:Party>",
            '      <cbc:EndpointID schemeID="0088">5060012340004</cbc:EndpointID>',
            "      <cac:PartyName>",
            "        <cbc:Name>Acme Corporation Ltd</cbc:Name>",
            "      </cac:PartyName>",
            "      <cac:PostalAddress>",
            "        <cbc:StreetName>1 Acme Square</cbc:StreetName>",
            "        <cbc:CityName>London</cbc:CityName>",
            "        <cbc:PostalZone>EC1A 1AA</cbc:PostalZone>",
            "        <cac:Country>",
            "          <cbc:IdentificationCode>GB</cbc:IdentificationCode>",
            "        </cac:Country>",
            "      </cac:PostalAddress>",
            "      <cac:PartyTaxScheme>",
            "        <cbc:CompanyID>GB123456789</cbc:CompanyID>",
            "        <cac:TaxScheme>",
            "          <cbc:ID>VAT</cbc:ID>",
            "        </cac:TaxScheme>",
            "      </cac:PartyTaxScheme>",
            "      <cac:PartyLegalEntity>",
            "        <cbc:RegistrationName>Acme Corporation Ltd</cbc:RegistrationName>",
            "      </cac:PartyLegalEntity>",
            "    </cac:Party>",
            "  </cac:AccountingCustomerParty>",
        ]
        if not credit:
            out += [
                "  <cac:PaymentMeans>",
                '    <cbc:PaymentMeansCode name="Credit transfer">30</cbc:PaymentMeansCode>',
                f"    <cbc:PaymentID>{escape(doc.number)}</cbc:PaymentID>",
                "  </cac:PaymentMeans>",
            ]
        out += [
            "  <cac:TaxTotal>",
            amount("TaxAmount", tax, 4),
            "    <cac:TaxSubtotal>",
            amount("TaxableAmount", net, 6),
            amount("TaxAmount", tax, 6),
            *tax_category("TaxCategory", 6, reason=True),
            "    </cac:TaxSubtotal>",
            "  </cac:TaxTotal>",
            "  <cac:LegalMonetaryTotal>",
            amount("LineExtensionAmount", net, 4),
            amount("TaxExclusiveAmount", net, 4),
            amount("TaxInclusiveAmount", net + tax, 4),
            amount("PayableAmount", net + tax, 4),
            "  </cac:LegalMonetaryTotal>",
        ]
        line_tag, quantity_tag = ("InvoiceLine", "InvoicedQuantity")
        if credit:
            line_tag, quantity_tag = ("CreditNoteLine", "CreditedQuantity")
        for line in doc.lines:
            unit = "MON" if line.item_ref.startswith(("RETAINER", "PLATFORM-FEE")) else "C62"
            title = line.description.split(" – ")[0]
            out += [
                f"  <cac:{line_tag}>",
                f"    <cbc:ID>{line.line_id}</cbc:ID>",
                f'    <cbc:{quantity_tag} unitCode="{unit}">{line.quantity}</cbc:{quantity_tag}>',
                amount("LineExtensionAmount", line.amount, 4),
                "    <cac:InvoicePeriod>",
                f"      <cbc:StartDate>{line.service[0].isoformat()}</cbc:StartDate>",
                f"      <cbc:EndDate>{line.service[1].isoformat()}</cbc:EndDate>",
                "    </cac:InvoicePeriod>",
                "    <cac:Item>",
                f"      <cbc:Description>{escape(line.description)}</cbc:Description>",
                f"      <cbc:Name>{escape(title)}</cbc:Name>",
                "      <cac:SellersItemIdentification>",
                f"        <cbc:ID>{escape(line.item_ref)}</cbc:ID>",
                "      </cac:SellersItemIdentification>",
                *tax_category("ClassifiedTaxCategory", 6, reason=False),
            ]
            for learner in line.learners:
                out += [
                    "      <cac:AdditionalItemProperty>",
                    "        <cbc:Name>learner</cbc:Name>",
                    f"        <cbc:Value>{escape(learner)}</cbc:Value>",
                    "      </cac:AdditionalItemProperty>",
                ]
            price = line.price_text or _money(line.unit_price)
            out += [
                "    </cac:Item>",
                "    <cac:Price>",
                f'      <cbc:PriceAmount currencyID="{cur}">{price}</cbc:PriceAmount>',
                "    </cac:Price>",
                f"  </cac:{line_tag}>",
            ]
        out.append(f"</{root}>")
        return "\n".join(out) + "\n"

    # --- reference data ---------------------------------------------------------------------------------

    def write_reference(self) -> None:
        folder = self.out / "reference"

        def text(value: Any) -> str:
            if value is None:
                return ""
            if isinstance(value, bool):
                return "true" if value else "false"
            if isinstance(value, Decimal):
                return _money(value)
            return value.isoformat() if isinstance(value, date) else str(value)

        _write_csv(
            folder / "courses.csv",
            REFERENCE_COLUMNS["courses.csv"],
            [[ref, c[0], c[1], c[2], str(c[3]), c[4]] for ref, c in sorted(self.courses.items())],
        )
        _write_csv(
            folder / "course_equivalences.csv",
            REFERENCE_COLUMNS["course_equivalences.csv"],
            [list(pair) for pair in self.equivalences],
        )
        _write_csv(
            folder / "training_requirements.csv",
            REFERENCE_COLUMNS["training_requirements.csv"],
            [
                [
                    r.rid,
                    r.title,
                    ";".join(r.courses),
                    ";".join(r.jobs),
                    ";".join(r.depts),
                    ";".join(r.countries),
                    ";".join(r.regions),
                    str(r.due),
                    text(r.recurrence),
                    str(r.grace),
                    r.regime,
                    r.effective_from.isoformat(),
                    "",
                ]
                for r in self.requirements
            ],
        )
        rng = self.rng("exemptions")
        rows = [
            [p.eid, rid, reason, self.hr_manager, start.isoformat(), text(end)]
            for p, rid, reason, start, end in self.exemptions
        ]
        for person in self.background:
            if person.term is None and rng.random() < 0.004:
                scoped = [r for r in self.requirements if r.in_scope(person.dept, person.job, person.country)]
                requirement = scoped[rng.randrange(len(scoped))]
                start = self.window_start + timedelta(days=rng.randrange(60))
                rows.append(
                    [
                        person.eid,
                        requirement.rid,
                        "Long-term leave",
                        self.hr_manager,
                        start.isoformat(),
                        (start + timedelta(days=rng.randint(90, 365))).isoformat(),
                    ]
                )
        rows.sort(key=lambda row: (row[0], row[1]))
        _write_csv(folder / "exemptions.csv", REFERENCE_COLUMNS["exemptions.csv"], rows)
        _write_csv(
            folder / "vendors.csv",
            REFERENCE_COLUMNS["vendors.csv"],
            [[v.vid, v.name, f"0088:{v.gln};{v.vat}"] for v in self.vendors],
        )
        columns = REFERENCE_COLUMNS["vendor_contracts.csv"]
        _write_csv(
            folder / "vendor_contracts.csv",
            columns,
            [[text(contract[column]) for column in columns] for v in self.vendors for contract in v.contracts],
        )
        self.counts["exemptions"] = len(rows)

    # --- ground truth ---------------------------------------------------------------------------------

    def write_ground_truth(self) -> dict:
        last = self.snapshots[-1]
        terminated = sorted(
            p.eid for p in self.people if p.term is not None and p.term < last and (p.rehire is None or p.rehire > last)
        )
        truth = {
            "seed": self.seed,
            "as_of": self.as_of.isoformat(),
            "timezone": TIMEZONE,
            "params": {"employees": self.n_employees, "months": self.n_months, "vendors": self.n_vendors},
            "counts": self.counts,
            "compliance": [
                {
                    key: entry[key]
                    for key in (
                        "case",
                        "employee_id",
                        "requirement_id",
                        "status",
                        "due_date",
                        "evidence_record_id",
                        "days_overdue",
                        "evidence_source",
                        "history",
                    )
                    if key in entry
                }
                for entry in self.compliance
            ],
            "terminated_at_as_of": terminated,
            "utilization": self.utilization,
            "billing": self.billing,
            "clean_lines": [
                {"vendor_id": doc.vendor.vid, "invoice_number": doc.number, "line_id": line.line_id}
                for doc, line in self.clean_lines
            ],
            "unresolved_learners": sorted(self.unresolved),
            "voided_record_ids": sorted(self.voided),
            "malformed": self.malformed,
        }
        (self.out / "ground_truth.json").write_text(
            json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return truth


def _cumulative(weights: list[int]) -> list[int]:
    total, out = 0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _pick(rng: random.Random, cumulative: list[int]) -> int:
    target = rng.randrange(cumulative[-1])
    for index, bound in enumerate(cumulative):
        if target < bound:
            return index
    return len(cumulative) - 1  # pragma: no cover


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--vendors", type=int, default=4)
    args = parser.parse_args(argv)
    truth = generate(
        args.out_dir,
        as_of=args.as_of,
        seed=args.seed,
        employees=args.employees,
        months=args.months,
        vendors=args.vendors,
    )
    print(json.dumps(truth["counts"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
