"""The catalogue and the reference files: vendors and their contracts, courses, equivalences, training
requirements and exemptions (``reference/*.csv``, columns in docs/data-model.md).

Vendor patterns (V01, V02, … cycle through them): per-learner rate billed per session in CSV;
per-learner rate billed per attendee in Peppol XML; a hybrid contract (monthly fee + overage) in
Peppol XML; a monthly retainer in CSV. The first vendor raised its rate eight months before as_of (two
contracts). The retainer vendor also owns most of the self-paced library.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from demo.common import CENT, REGION, Params, add_months, gln, money, write_csv
from demo.truth import Truth

if TYPE_CHECKING:
    from demo.organisation import Employee, Organisation

_T = TypeVar("_T")

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

ACTIVITY_BASE = "https://lms.example.com/courses/"
# One course's activity IRI is not under the LMS's course path: courses.csv maps it (docs/data-model.md).
_ODD_ACTIVITY = {"CYB-105": "https://content.northstar.example/xapi/activities/cyber-security-awareness-2024"}

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


class Course(NamedTuple):
    title: str
    modality: str  # ilt, vilt or self_paced
    vendor_id: str  # "" = in-house
    minutes: int
    activity: str  # the xAPI activity IRI


@dataclass(frozen=True)
class Contract:
    """One row of vendor_contracts.csv (fields named as its columns)."""

    contract_id: str
    vendor_id: str
    pricing_model: str
    currency: str
    valid_from: date
    valid_to: date | None = None
    per_learner_rate: Decimal | None = None
    retainer_fee: Decimal | None = None
    retainer_period: str | None = None
    included_learners: int | None = None
    overage_rate: Decimal | None = None
    bills_no_shows: bool = False
    sla_on_time_delivery_pct: int = 95
    sla_reporting_days: int = 5

    # The terms its pricing model needs (docs/semantics.md), for the parts that bill by them.
    @property
    def rate(self) -> Decimal:
        return _term(self.per_learner_rate, self, "per_learner_rate")

    @property
    def fee(self) -> Decimal:
        return _term(self.retainer_fee, self, "retainer_fee")

    @property
    def included(self) -> int:
        return _term(self.included_learners, self, "included_learners")

    @property
    def overage(self) -> Decimal:
        return _term(self.overage_rate, self, "overage_rate")


def _term(value: _T | None, contract: Contract, name: str) -> _T:
    if value is None:  # pragma: no cover - the contracts above carry their model's terms
        raise ValueError(f"{contract.contract_id} ({contract.pricing_model}) has no {name}")
    return value


@dataclass
class Vendor:
    vid: str
    name: str
    pricing: str
    fmt: str  # the invoice format: csv or xml
    currency: str
    country: str
    prefix: str  # of invoice numbers
    tax: tuple[str, int]  # UBL tax category and percent
    courses: list[str]
    gln: str
    vat: str
    contracts: list[Contract] = field(default_factory=list)

    def contract_on(self, day: date) -> Contract:
        for contract in self.contracts:
            if contract.valid_from <= day and (contract.valid_to is None or day <= contract.valid_to):
                return contract
        raise ValueError(f"{self.vid}: no contract on {day}")  # pragma: no cover - contracts cover history


@dataclass(frozen=True)
class Requirement:
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
            and (not self.regions or REGION[country] in self.regions)
        )


class Exemption(NamedTuple):
    employee: Employee
    requirement_id: str
    reason: str
    valid_from: date
    valid_to: date | None


@dataclass
class Catalogue:
    vendors: list[Vendor]
    courses: dict[str, Course]
    equivalences: list[tuple[str, str]]  # (course_ref, satisfies_course_ref)
    requirements: list[Requirement]


def build_catalogue(params: Params) -> Catalogue:
    rng = params.rng("catalogue")
    courses: dict[str, Course] = {}
    vendors = []
    for index in range(params.vendors):
        vendor, offered = _vendor(rng, index, params)
        for ref, title, modality, minutes in offered:
            courses[ref] = _course(title, modality, vendor.vid, minutes, ref)
        vendors.append(vendor)
    content = next((v.vid for v in vendors if v.pricing == "retainer"), "")
    for ref, title, minutes, owner in _SELF_PACED:
        courses[ref] = _course(title, "self_paced", content if owner == "content" else "", minutes, ref)
    equivalences = [("ETH-201", "COC-101"), ("OSH-310", "OSH-300")]
    return Catalogue(vendors, courses, equivalences, _requirements(params.as_of))


def _course(title: str, modality: str, vendor_id: str, minutes: int, ref: str) -> Course:
    return Course(title, modality, vendor_id, minutes, _ODD_ACTIVITY.get(ref, ACTIVITY_BASE + ref))


def _vendor(rng: random.Random, index: int, params: Params) -> tuple[Vendor, list[tuple[str, str, str, int]]]:
    """The vendor ``V{index + 1:02d}`` with its contracts, and the courses it offers."""
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
    vendor = Vendor(
        vid=f"V{number:02d}",
        name=name,
        pricing=pricing,
        fmt=fmt,
        currency=currency,
        country=country,
        prefix=prefix,
        tax=tax,
        courses=[course[0] for course in courses],
        gln=gln(f"5{rng.randrange(10**10, 10**11):011d}"),
        vat=f"{country}{rng.randrange(10**8, 10**9)}" + ("B01" if country == "NL" else ""),
    )
    vendor.contracts = _contracts(vendor, index, params)
    return vendor, courses


def _contracts(vendor: Vendor, index: int, params: Params) -> list[Contract]:
    """One contract over the whole history; the first vendor raised its rate eight months before as_of."""
    history_start = date(params.window_start.year - 3, 1, 1)

    def contract(number: int, valid_from: date, **terms: Any) -> Contract:
        return Contract(f"C-{vendor.vid}-{number}", vendor.vid, vendor.pricing, vendor.currency, valid_from, **terms)

    if vendor.pricing == "hybrid":
        fee, overage = Decimal("2500.00"), Decimal("140.00")
        return [
            contract(
                1, history_start, retainer_fee=fee, retainer_period="monthly", included_learners=12,
                overage_rate=overage, bills_no_shows=True, sla_on_time_delivery_pct=90,
            )
        ]  # fmt: skip
    if vendor.pricing == "retainer":
        fee = Decimal("4200.00")
        return [
            contract(
                1, history_start, retainer_fee=fee, retainer_period="monthly", included_learners=30,
                sla_reporting_days=3,
            )
        ]  # fmt: skip
    rate = {"GBP": Decimal("450.00"), "EUR": Decimal("380.00")}.get(vendor.currency, Decimal("400.00"))
    if index >= 4:
        rate = Decimal(300 + 5 * (index + 1)).quantize(CENT)
    if index != 0:
        return [contract(1, history_start, per_learner_rate=rate)]
    switch = add_months(params.as_of.replace(day=1), -8)
    old_rate = Decimal("420.00")
    return [
        contract(1, history_start, valid_to=switch - timedelta(days=1), per_learner_rate=old_rate),
        contract(2, switch, per_learner_rate=rate),
    ]


def _requirements(as_of: date) -> list[Requirement]:
    eff = date(as_of.year - 6, 1, 1)  # effective_from of the long-standing requirements
    # id, title, courses, job codes, departments, countries, regions (empty: any), due within days,
    # recurrence months (None: once), grace days, regime, effective_from
    return [
        Requirement("REQ-COC", "Annual Code of Conduct", ("COC-101",), (), (), (), (), 30, 12, 0,
                    "Code of Conduct", eff),
        Requirement("REQ-AH-US", "Anti-harassment (US)", ("AH-110",), (), (), ("US",), (), 90, None, 0,
                    "anti-harassment", eff),
        Requirement("REQ-HIPAA", "HIPAA Privacy and Security", ("HIP-200", "HIP-201"), (), ("Clinical Operations",),
                    (), (), 90, 12, 14, "HIPAA", eff),
        Requirement("REQ-OSHA", "OSHA Workplace Safety", ("OSH-300",), ("OPS-WH1", "OPS-FLT"), (), ("US",), (),
                    60, 36, 30, "OSHA", eff),
        Requirement("REQ-GDPR", "Data Protection Essentials", ("DP-120",), (), (), (), ("EMEA",), 60, 24, 0,
                    "GDPR", as_of - timedelta(days=150)),
    ]  # fmt: skip


# --- the files ----------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return money(value)
    return value.isoformat() if isinstance(value, date) else str(value)


def write_reference(
    params: Params, catalogue: Catalogue, org: Organisation, planted: Sequence[Exemption], truth: Truth
) -> None:
    """``reference/*.csv``; exemptions: the planted ones and a few drawn for the background."""
    folder = params.out / "reference"
    write_csv(
        folder / "courses.csv",
        REFERENCE_COLUMNS["courses.csv"],
        [
            [ref, c.title, c.modality, c.vendor_id, str(c.minutes), c.activity]
            for ref, c in sorted(catalogue.courses.items())
        ],
    )
    write_csv(
        folder / "course_equivalences.csv",
        REFERENCE_COLUMNS["course_equivalences.csv"],
        [list(pair) for pair in catalogue.equivalences],
    )
    write_csv(
        folder / "training_requirements.csv",
        REFERENCE_COLUMNS["training_requirements.csv"],
        [
            [
                r.rid, r.title, ";".join(r.courses), ";".join(r.jobs), ";".join(r.depts), ";".join(r.countries),
                ";".join(r.regions), str(r.due), _text(r.recurrence), str(r.grace), r.regime,
                r.effective_from.isoformat(), "",
            ]
            for r in catalogue.requirements
        ],
    )  # fmt: skip
    rows = _exemption_rows(params, catalogue, org, planted)
    write_csv(folder / "exemptions.csv", REFERENCE_COLUMNS["exemptions.csv"], rows)
    write_csv(
        folder / "vendors.csv",
        REFERENCE_COLUMNS["vendors.csv"],
        [[v.vid, v.name, f"0088:{v.gln};{v.vat}"] for v in catalogue.vendors],
    )
    columns = REFERENCE_COLUMNS["vendor_contracts.csv"]
    write_csv(
        folder / "vendor_contracts.csv",
        columns,
        [
            [_text(getattr(contract, column)) for column in columns]
            for v in catalogue.vendors
            for contract in v.contracts
        ],
    )
    truth.counts["exemptions"] = len(rows)


def _exemption_rows(
    params: Params, catalogue: Catalogue, org: Organisation, planted: Sequence[Exemption]
) -> list[list[str]]:
    rng = params.rng("exemptions")
    rows = [
        [e.employee.eid, e.requirement_id, e.reason, org.hr_manager, e.valid_from.isoformat(), _text(e.valid_to)]
        for e in planted
    ]
    for person in org.background:
        if person.term is None and rng.random() < 0.004:
            rows.append(_background_exemption(rng, params, catalogue, org, person))
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def _background_exemption(
    rng: random.Random, params: Params, catalogue: Catalogue, org: Organisation, person: Employee
) -> list[str]:
    scoped = [r for r in catalogue.requirements if r.in_scope(person.dept, person.job, person.country)]
    requirement = scoped[rng.randrange(len(scoped))]
    start = params.window_start + timedelta(days=rng.randrange(60))
    end = start + timedelta(days=rng.randint(90, 365))
    return [person.eid, requirement.rid, "Long-term leave", org.hr_manager, start.isoformat(), end.isoformat()]
