"""The organisation: people, departments and managers, and the monthly HR snapshots (``drops/hris``).

The background population is drawn here: hires inside and before the window, leavers, leave,
transfers between departments. Planted people (``demo.planted_people``) join it before everyone is
numbered in hire order. One snapshot in the middle carries three ghost rows, each with one defect.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from demo.common import DOMAIN, INVALID_DATE, MISSING, NOT_IN_SET, REGION, Params, slug, write_csv
from demo.truth import Truth

HRIS_COLUMNS = [
    "employee_id", "email", "given_name", "family_name", "status", "hire_date", "termination_date",
    "job_code", "job_title", "department", "cost_center", "country", "region", "manager_id",
    "employment_type", "updated_at",
]  # fmt: skip

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


@dataclass(slots=True)
class Move:
    """A position from ``day`` on; the first one starts at hire."""

    day: date
    dept: str
    job: str
    manager: str = ""  # manager_id, assigned once everyone is numbered


@dataclass(eq=False, slots=True)
class Employee:
    given: str
    family: str
    hire: date
    country: str
    etype: str
    moves: list[Move]
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
        return self.moves[-1].dept

    @property
    def job(self) -> str:
        return self.moves[-1].job

    @property
    def region(self) -> str:
        return REGION[self.country]


@dataclass
class Organisation:
    people: list[Employee]  # in employee-id order, the CEO first
    background: list[Employee]  # everyone not planted
    hr_manager: str  # the employee id that approves exemptions


def new_person(rng: random.Random, hire: date, country: str, dept: str, job: str, **kw: Any) -> Employee:
    """A person with a drawn name; ``kw``: the other ``Employee`` fields (``etype`` defaults to full-time)."""
    etype = kw.pop("etype", "full_time")
    return Employee(
        given=rng.choice(_GIVEN),
        family=rng.choice(_FAMILY),
        hire=hire,
        country=country,
        etype=etype,
        moves=[Move(hire, dept, job)],
        tiebreak=rng.random(),
        **kw,
    )


def build_people(params: Params, planted: list[Employee]) -> list[Employee]:
    """The CEO, the planted people, and a background population up to ``params.employees``."""
    rng = params.rng("people")
    as_of, ws = params.as_of, params.window_start
    ceo = new_person(rng, as_of - timedelta(days=4800), "GB", "Executive", "EXE-CEO", is_manager=True)
    people = [ceo, *planted]
    dept_cum = _cumulative([d[2] for d in _DEPARTMENTS])
    in_window = min(0.35, 0.12 * params.months / 12 + 0.02)
    span = (as_of - ws).days
    for _ in range(params.employees - len(people)):
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
        person = new_person(rng, hire, country, name, job, etype=etype, is_manager=manager)
        people.append(person)
        if not manager:
            _life_events(rng, params, person)
    return people


def _life_events(rng: random.Random, params: Params, person: Employee) -> None:
    """Perhaps a termination (in or before the window), a leave or a transfer to another department."""
    as_of, ws, hire = params.as_of, params.window_start, person.hire
    attrition = 0.11 * params.months / 12
    span = (as_of - ws).days
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
        other = [d for d in _DEPARTMENTS if d[0] != person.dept]
        target = other[rng.randrange(len(other))]
        new_job = target[3][_pick(rng, _cumulative([w for *_, w in target[3]]))][0]
        person.moves.append(Move(changed, target[0], new_job))


def assign_ids(params: Params, people: list[Employee]) -> Organisation:
    """Ids in hire order (the CEO first), emails from names, managers within the department."""
    ceo = people[0]
    people = [ceo, *sorted(people[1:], key=lambda e: (e.hire, e.tiebreak))]
    for number, person in enumerate(people, start=1):
        person.eid = f"E{number:06d}"
        person.email = f"{slug(person.given)}.{slug(person.family)}.{number}@{DOMAIN}"
    rng = params.rng("managers")
    managers: dict[str, list[str]] = {}
    for person in people[1:]:
        if person.is_manager:
            managers.setdefault(person.dept, []).append(person.eid)
    for person in people[1:]:
        for move in person.moves:
            pool = managers.get(move.dept) if not person.is_manager else None
            move.manager = pool[rng.randrange(len(pool))] if pool else ceo.eid
    background = [p for p in people if not p.planted]
    return Organisation(people, background, (managers.get("People") or [ceo.eid])[0])


# --- the HR snapshots ---------------------------------------------------------------------------------


def write_hris(params: Params, org: Organisation, truth: Truth) -> None:
    """One full roster per snapshot date; the middle one (never the last: months ≥ 3) has ghost rows."""
    folder = params.out / "drops" / "hris"
    broken_at = len(params.snapshots) // 2
    rows_total = 0
    for index, snapshot in enumerate(params.snapshots):
        rows = [_hris_row(p, snapshot) for p in org.people if p.hire <= snapshot]
        name = f"employees_{snapshot.isoformat()}.csv"
        if index == broken_at:
            at = len(rows) // 3
            for offset, (row, column, defect) in enumerate(_ghost_rows(org.people[0].eid, snapshot)):
                rows.insert(at + offset, row)
                truth.bad("hris", name, at + offset + 2, column, defect, row[HRIS_COLUMNS.index(column)])
        write_csv(folder / name, HRIS_COLUMNS, rows)
        rows_total += len(rows)
        if index == len(params.snapshots) - 1:
            truth.counts["employees_in_last_snapshot"] = len(rows)
    truth.counts["hris_snapshots"] = len(params.snapshots)
    truth.counts["hris_rows"] = rows_total


def _hris_row(person: Employee, snapshot: date) -> list[str]:
    move = person.moves[0]
    changed = person.hire
    for later in person.moves[1:]:
        if later.day <= snapshot:
            move = later
            changed = later.day
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
    return [
        person.eid, person.email, person.given, person.family, status, hire.isoformat(), term, move.job,
        _JOB_TITLES[move.job], move.dept, f"CC-{_DEPT_CODE[move.dept]}-{person.country}", person.country,
        person.region, move.manager, person.etype, updated,
    ]  # fmt: skip


def _ghost_rows(ceo: str, snapshot: date) -> list[tuple[list[str], str, str]]:
    """Rows of people on no other row, each with one defect: (row, column, defect)."""

    def row(eid: str, given: str, family: str, status: str, hire: str) -> list[str]:
        email = f"{given.lower()}.{family.lower()}.{eid[1:] or 'x'}@{DOMAIN}"
        return [
            eid, email, given, family, status, hire, "", "SAL-REP", "Account Executive", "Sales", "CC-SAL-GB",
            "GB", "EMEA", ceo, "full_time", f"{snapshot.isoformat()}T07:00:00Z",
        ]  # fmt: skip

    return [
        (row("E990001", "Ghost", "Hire", "active", "2023-02-30"), "hire_date", INVALID_DATE),
        (row("E990002", "Ghost", "Retiree", "retired", "2015-06-01"), "status", NOT_IN_SET),
        (row("", "Ghost", "Nobody", "active", "2019-04-15"), "employee_id", MISSING),
    ]


def _cumulative(weights: list[int]) -> list[int]:
    total, out = 0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _pick(rng: random.Random, cumulative: list[int]) -> int:
    """An index drawn with the weights whose running totals are ``cumulative``."""
    target = rng.randrange(cumulative[-1])
    for index, bound in enumerate(cumulative):
        if target < bound:
            return index
    return len(cumulative) - 1  # pragma: no cover
