"""Sessions and bookings: the vendors' ILT/VILT sessions by start month (``drops/sessions``) and their
bookings (``drops/bookings``), the planted sessions the billing cases invoice (and a month of the
retainer vendor's self-paced licences), and the utilization ground truth of every valid session.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from demo.common import INVALID_NUMBER, NOT_IN_SET, OUT_OF_RANGE, Params, add_months, month_end, noon, ts, write_csv
from demo.organisation import Employee, Organisation
from demo.planted_people import Planted
from demo.reference import Catalogue, Vendor
from demo.truth import Truth

SESSION_COLUMNS = [
    "session_id", "course_ref", "vendor_id", "modality", "starts_at", "ends_at", "capacity", "location", "status",
]  # fmt: skip
BOOKING_COLUMNS = ["session_id", "learner_ref", "status", "booked_at", "updated_at"]

_LOCATIONS = {
    "GB": ["London – Holborn Training Centre", "Manchester – Spinningfields Suite", "Leeds – Wellington Place"],
    "US": ["New York – Midtown Conference Center", "Chicago – River North Studio"],
    "NL": ["Amsterdam – Zuidas Campus"],
}
_VIRTUAL = ["Microsoft Teams", "Zoom", "Webex"]
_GUEST = "j.smith@partner-consulting.example"  # a planted session's learner HR does not know


class Booking(NamedTuple):
    ref: str  # learner_ref as the file spells it: an email, mailto: email or employee id
    status: str
    booked: datetime
    updated: datetime
    employee: Employee | None  # None: a learner HR does not know
    email: str


@dataclass(eq=False)
class Session:
    course: str
    vendor: Vendor
    modality: str
    start: datetime
    minutes: int
    capacity: int
    location: str
    status: str
    planted: str = ""  # the planted case ("" = background)
    sid: str = ""
    order: int = 0  # the drawing order: ties of start and vendor keep it when numbering
    bookings: list[Booking] = field(default_factory=list)

    @property
    def day(self) -> date:
        return self.start.date()

    def learners(self, *statuses: str) -> list[str]:
        return [booking.email for booking in self.bookings if booking.status in statuses]


class _Pool:
    """The background population as ordinals, for drawing bookable learners fast."""

    def __init__(self, people: list[Employee]) -> None:
        self.people = people
        self.hire = [p.hire.toordinal() for p in people]
        self.term = [p.term.toordinal() - 1 if p.term else 10**7 for p in people]
        self.leave = [
            (p.leave_start.toordinal(), p.leave_end.toordinal() if p.leave_end else 10**7)
            if p.leave_start
            else (10**7, 0)
            for p in people
        ]


def build_sessions(params: Params, catalogue: Catalogue, org: Organisation) -> list[Session]:
    """Every vendor's sessions, month by month (the window and the month after it), with bookings."""
    rng = params.rng("sessions")
    sessions: list[Session] = []
    pool = _Pool(org.background)
    weights = {"per_learner": 3.0, "hybrid": 2.0, "retainer": 1.0}
    total = sum(weights[v.pricing] for v in catalogue.vendors)
    per_month = max(3.0, params.employees * 0.021)
    for month in [*params.month_starts, add_months(params.month_starts[-1], 1)]:
        for vendor in catalogue.vendors:
            mean = max(1.0, per_month * weights[vendor.pricing] / total)
            count = rng.randint(max(1, int(mean * 0.7)), max(1, round(mean * 1.3)))
            for _ in range(count):
                session = _draw_session(rng, params.as_of, catalogue, vendor, month, len(sessions))
                if session is not None:
                    _book(rng, params.as_of, session, pool)
                    sessions.append(session)
    return sessions


def _draw_session(
    rng: random.Random, as_of: date, catalogue: Catalogue, vendor: Vendor, month: date, order: int
) -> Session | None:
    """A session on a working day of ``month`` (None when the day runs past the month's end)."""
    last = month_end(month)
    day = month + timedelta(days=rng.randrange((last - month).days + 1))
    while day.weekday() >= 5 or day == as_of:
        day += timedelta(days=1)
    if day > last:
        return None
    course = vendor.courses[rng.randrange(len(vendor.courses))]
    modality, minutes = catalogue.courses[course].modality, catalogue.courses[course].minutes
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
    return Session(course, vendor, modality, start, minutes, capacity, location, status, order=order)


def _book(rng: random.Random, as_of: date, session: Session, pool: _Pool) -> None:
    """Bookings by learners employed and not on leave on the day: attended, no-shows, cancellations."""
    day = session.day.toordinal()
    as_of_o = as_of.toordinal()
    if session.status.startswith("cancelled"):
        wanted, cancels = 0, rng.randint(max(1, session.capacity // 3), session.capacity)
    else:
        wanted = round(session.capacity * rng.uniform(0.55, 1.0))
        cancels = rng.randint(0, max(1, session.capacity // 6))
    taken: set[int] = set()
    for index in range(wanted + cancels):
        chosen = -1
        for _ in range(40):
            candidate = rng.randrange(len(pool.people))
            if candidate in taken or pool.hire[candidate] > day - 7 or day >= pool.term[candidate]:
                continue
            if pool.leave[candidate][0] <= day < pool.leave[candidate][1]:
                continue
            chosen = candidate
            break
        if chosen < 0:
            break
        taken.add(chosen)
        person = pool.people[chosen]
        booked_o = min(day - rng.randint(3, 40), as_of_o - rng.randint(1, 5))
        booked_o = max(booked_o, pool.hire[chosen])
        booked = datetime.fromordinal(booked_o) + timedelta(seconds=rng.randint(8 * 3600, 18 * 3600))
        if index < wanted:
            status, updated = _attendance(rng, session, as_of_o, booked)
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
        session.bookings.append(Booking(ref, status, booked, updated, person, person.email))


def _attendance(rng: random.Random, session: Session, as_of_o: int, booked: datetime) -> tuple[str, datetime]:
    """A kept booking's status and last update: attended or no-show once past, booked before."""
    if session.day.toordinal() >= as_of_o:
        return "booked", booked
    status = "attended" if rng.random() < 0.88 else "no_show"
    end = session.start + timedelta(minutes=session.minutes)
    return status, min(end + timedelta(hours=rng.randint(1, 20)), datetime.fromordinal(as_of_o))


# --- the planted sessions -----------------------------------------------------------------------------


def plant_sessions(
    params: Params, catalogue: Catalogue, sessions: list[Session], planted: Planted, truth: Truth
) -> dict[str, Session]:
    """The sessions the planted billing cases invoice (by case key), added to ``sessions``."""
    c, leaver = planted.crew, planted.leaver
    assert leaver is not None
    v1, v2 = catalogue.vendors[0], catalogue.vendors[1]
    found: dict[str, Session] = {}

    def plant(
        key: str,
        vendor: Vendor,
        course: str,
        days_ago: int,
        capacity: int,
        attended: Sequence[Employee | str],  # an email: a learner HR does not know
        no_show: Sequence[Employee] = (),
        cancelled: Sequence[Employee] = (),
    ) -> None:
        day = params.as_of - timedelta(days=days_ago)
        session = _planted_session(catalogue, key, vendor, course, day, capacity)
        _planted_bookings(session, attended, no_show, cancelled)
        found[key] = session

    plant("unknown", v1, v1.courses[0], 100, 12, [c[0], c[1], c[2], _GUEST], cancelled=[c[3]])
    plant("terminated", v1, v1.courses[1], 90, 10, [c[3], c[4], leaver], no_show=[c[5]])
    plant("no_show", v1, v1.courses[0], 80, 12, [c[0], c[5]], no_show=[c[6]])
    plant("over_quantity", v1, v1.courses[2], 70, 12, [c[1], c[2], c[3]])
    plant("original_a", v1, v1.courses[0], 150, 12, [c[4], c[6]])
    plant("original_b", v1, v1.courses[1], 145, 10, [c[0], c[7]], no_show=[c[1]])
    plant("malformed_csv", v1, v1.courses[1], 55, 10, [c[2], c[4]])
    plant("rate", v2, v2.courses[0], 95, 20, [c[7], c[8], c[9]])
    plant("credited", v2, v2.courses[1], 130, 20, [c[8], c[9]])
    plant("unmatched", v2, v2.courses[2], 110, 20, [c[7], c[9]])
    plant("malformed_xml", v2, v2.courses[0], 115, 20, [c[8], c[9]])
    plant("currency", v1, v1.courses[2], 65, 12, [c[6], c[7]])
    sessions += found.values()
    retainer = next((v for v in catalogue.vendors if v.pricing == "retainer"), None)
    if retainer is not None:  # a month of licences for the retainer vendor's self-paced library
        month = params.month_starts[-2]
        minutes = ((month_end(month) - month).days + 1) * 1440 - 1
        start = datetime(month.year, month.month, 1)
        licences = max(20, round(params.employees * 0.4))
        found["licences"] = Session(
            "CYB-105",
            retainer,
            "self_paced",
            start,
            minutes,
            licences,
            "Content library",
            "delivered",
            "licences",
            order=-1,
        )
        sessions.append(found["licences"])
    truth.unresolved.append(_GUEST)
    return found


def _planted_session(catalogue: Catalogue, key: str, vendor: Vendor, course: str, day: date, capacity: int) -> Session:
    modality, minutes = catalogue.courses[course].modality, catalogue.courses[course].minutes
    location = _LOCATIONS.get(vendor.country, _LOCATIONS["GB"])[0] if modality == "ilt" else _VIRTUAL[0]
    start = datetime(day.year, day.month, day.day, 9)
    return Session(course, vendor, modality, start, minutes, capacity, location, "delivered", planted=key, order=-1)


def _planted_bookings(
    session: Session,
    attended: Sequence[Employee | str],
    no_show: Sequence[Employee],
    cancelled: Sequence[Employee],
) -> None:
    """Booked three weeks before; attendance settled two hours after the end, cancellations a week before."""
    day = session.day
    end = session.start + timedelta(minutes=session.minutes)
    booked = noon(day - timedelta(days=21))
    for status, people in (("attended", attended), ("no_show", no_show), ("cancelled", cancelled)):
        for person in people:
            email = person if isinstance(person, str) else person.email
            employee = None if isinstance(person, str) else person
            updated = noon(day - timedelta(days=7)) if status == "cancelled" else end + timedelta(hours=2)
            session.bookings.append(Booking(email, status, booked, updated, employee, email))


def number_sessions(sessions: list[Session]) -> None:
    """Session ids in start order (vendor, then drawing order, on ties)."""
    sessions.sort(key=lambda s: (s.start, s.vendor.vid, s.order))
    for number, session in enumerate(sessions, start=1):
        session.sid = f"S{number:06d}"


# --- the files ----------------------------------------------------------------------------------------


def write_sessions(params: Params, sessions: list[Session], org: Organisation, truth: Truth) -> None:
    """One sessions and one bookings file per start month; the middle month's carry three broken rows."""
    by_month: dict[str, list[Session]] = {}
    for session in sessions:
        by_month.setdefault(session.start.strftime("%Y-%m"), []).append(session)
    broken_month = params.month_starts[len(params.month_starts) // 2].strftime("%Y-%m")
    if broken_month not in by_month:  # pragma: no cover - every month has sessions
        broken_month = sorted(by_month)[0]
    n_sessions = n_bookings = 0
    for month, in_month in by_month.items():
        session_rows = [
            [
                s.sid, s.course, s.vendor.vid, s.modality, ts(s.start), ts(s.start + timedelta(minutes=s.minutes)),
                str(s.capacity), s.location, s.status,
            ]
            for s in in_month
        ]  # fmt: skip
        booking_rows = [[s.sid, b.ref, b.status, ts(b.booked), ts(b.updated)] for s in in_month for b in s.bookings]
        if month == broken_month:
            _break_sessions(month, in_month, session_rows, booking_rows, org, truth)
        write_csv(params.out / "drops" / "sessions" / f"sessions_{month}.csv", SESSION_COLUMNS, session_rows)
        write_csv(params.out / "drops" / "bookings" / f"bookings_{month}.csv", BOOKING_COLUMNS, booking_rows)
        n_sessions += len(session_rows)
        n_bookings += len(booking_rows)
    truth.utilization += [_utilization(s) for s in sessions]
    truth.counts["sessions"] = n_sessions
    truth.counts["bookings"] = n_bookings


def _utilization(session: Session) -> dict[str, Any]:
    statuses = [b.status for b in session.bookings]
    attended, no_show = statuses.count("attended"), statuses.count("no_show")
    return {
        "session_id": session.sid,
        "capacity": session.capacity,
        "booked": attended + no_show + statuses.count("booked"),
        "attended": attended,
        "no_show": no_show,
        "cancelled": statuses.count("cancelled"),
    }


def _break_sessions(
    month: str,
    sessions: list[Session],
    session_rows: list[list[str]],
    booking_rows: list[list[str]],
    org: Organisation,
    truth: Truth,
) -> None:
    """Two sessions with a bad capacity (no bookings) and one booking with an unknown status."""
    name = f"sessions_{month}.csv"
    template = session_rows[0]
    at = len(session_rows) // 3
    for offset, (sid, capacity, defect) in enumerate(
        (("S900001", "-5", OUT_OF_RANGE), ("S900002", "ten", INVALID_NUMBER))
    ):
        session_rows.insert(at + offset, [sid, *template[1:6], capacity, template[7], "delivered"])
        truth.bad("sessions", name, at + offset + 2, "capacity", defect, capacity)
    target = next((s for s in sessions if s.status == "delivered" and not s.planted), sessions[0])
    booked = {b.employee.eid for b in target.bookings if b.employee is not None}
    stranger = next(p for p in org.background if p.eid not in booked and p.hire < target.day)
    stamp = ts(noon(target.day - timedelta(days=10)))
    at = sum(len(s.bookings) for s in sessions[: sessions.index(target) + 1])
    booking_rows.insert(at, [target.sid, stranger.email, "confirmed", stamp, stamp])
    truth.bad("bookings", f"bookings_{month}.csv", at + 2, "status", NOT_IN_SET, "confirmed")
