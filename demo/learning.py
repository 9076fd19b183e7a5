"""Learning records: xAPI statements (``drops/xapi``: one JSONL file per month and an older LRS export,
``statements_backfill.json``) and the legacy LMS export (``drops/lms``), streamed to disk.

The background population takes electives month by month and completes its required training cycle
by cycle (completions before the window go to the legacy LMS); the planted people's statements come
from ``demo.planted_people``. A few learners HR does not know, and a few broken rows, are mixed in.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from typing import TextIO

from demo.common import INVALID_TS, MALFORMED_JSON, MISSING, NOT_IN_SET, Params, add_months, month_end, noon, ts, uuid4
from demo.organisation import Employee, Organisation
from demo.planted_people import PlantedLegacy, PlantedStatement
from demo.reference import Catalogue, Requirement
from demo.truth import Truth
from demo.xapi import Statements, activity, agent, render_ts, statement_ref

LMS_COLUMNS = ["record_id", "learner_ref", "course_ref", "verb", "occurred_at", "success", "score_scaled"]

_ELECTIVES = ("CYB-105", "WRT-110", "AGL-130", "DEI-140", "XL-101")
_ELECTIVE_COUNTS = (0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6)  # a month's elective statements (mean ≈ 2.8)
_ASSESSED = {"OSH-300", "OSH-310", "HIP-200", "HIP-201"}  # passed/failed rather than completed
_OUTSIDERS = ("sam.taylor@brightpath-training.example", "contractor.lee@temp-staffing.example")
_AGENCY_TEMP = "temp.worker.17@agency.example"  # in the legacy LMS only


def write_learning(
    params: Params,
    catalogue: Catalogue,
    org: Organisation,
    statements: list[PlantedStatement],
    legacy: list[PlantedLegacy],
    truth: Truth,
) -> None:
    """xAPI statements (monthly JSONL + a JSON backfill) and the legacy LMS export, streamed."""
    records = _Records(params, catalogue, org, truth)
    try:
        half = len(org.background) // 2
        for position, person in enumerate(org.background):
            if position == half:
                records.break_xapi()
                records.break_legacy()
            records.background_person(person)
        records.outsiders()
        records.planted(statements)
        records.write_backfill()
        records.legacy_tail(legacy)
    finally:
        records.close()
    truth.counts["xapi_statements"] = sum(records.lines) + len(records.backfill)  # broken lines included
    truth.counts["xapi_files"] = len(records.handles) + 1
    truth.counts["lms_records"] = records.legacy_lines - 1


class _Records:
    """The open files and the ``learning`` random stream while the records are drawn and written."""

    def __init__(self, params: Params, catalogue: Catalogue, org: Organisation, truth: Truth) -> None:
        self.params, self.requirements, self.org, self.truth = params, catalogue.requirements, org, truth
        self.rng = params.rng("learning")
        self.rand = self.rng.random
        self.statement = Statements(self.rng)
        self.ws = params.window_start
        self.last_day = params.as_of - timedelta(days=1)  # background events happen before as_of
        self.before_window = add_months(self.ws, -1)
        self.stored_limit = datetime(params.as_of.year, params.as_of.month, params.as_of.day, 3)
        self.month_index0 = self.ws.year * 12 + self.ws.month - 1
        self.month_bounds = [(m.toordinal(), month_end(m).toordinal()) for m in params.month_starts]
        self.objects = {ref: activity(course.title, course.activity) for ref, course in catalogue.courses.items()}
        self.scope_cache: dict[tuple[str, str, str], list[Requirement]] = {}
        folder = params.out / "drops"
        self.handles: list[TextIO] = [
            open(folder / "xapi" / f"statements_{month.strftime('%Y-%m')}.jsonl", "w", encoding="utf-8")  # noqa: SIM115
            for month in params.month_starts
        ]
        self.lines = [0] * len(params.month_starts)
        self.backfill: list[str] = []
        self.legacy_handle = open(folder / "lms" / "legacy_lms_export.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.legacy = csv.writer(self.legacy_handle, lineterminator="\n")
        self.legacy.writerow(LMS_COLUMNS)
        self.legacy_lines = 1
        self.legacy_number = 0

    def close(self) -> None:
        for handle in [*self.handles, self.legacy_handle]:
            handle.close()

    # --- drawing helpers (each draws from the learning stream) ---

    def between(self, low: int, high: int) -> int:  # rng.randint, without its per-call overhead
        return low + int(self.rand() * (high - low + 1))

    def office_time(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day) + timedelta(seconds=self.between(7 * 3600, 18 * 3600))

    def style(self) -> int:
        """A timestamp notation for ``render_ts``."""
        r = self.rand()
        return 0 if r < 0.55 else 1 if r < 0.75 else 2 if r < 0.85 else 3 if r < 0.93 else 4

    def stored_after(self, moment: datetime) -> datetime:
        """When the LRS stored a statement: seconds after it, a few days when late, never after as_of 03:00."""
        late = self.rand() < 0.03
        delta = timedelta(days=self.between(1, 4)) if late else timedelta(seconds=self.between(2, 900))
        stored = moment + delta + timedelta(milliseconds=int(self.rand() * 1000))
        return stored if stored < self.stored_limit else moment + timedelta(seconds=30)

    def emit(self, day: date, text: str) -> None:
        """A statement into its month's file."""
        index = day.year * 12 + day.month - 1 - self.month_index0
        self.handles[index].write(text + "\n")
        self.lines[index] += 1

    def drawn(self, actor: str, verb: str, course: str, moment: datetime, record_id: str = "") -> str:
        """A background statement on ``moment`` with a drawn notation, stored time and (unless given) id."""
        record_id = record_id or uuid4(self.rng)
        return self.statement(
            record_id, actor, verb, self.objects[course], moment, self.style(), self.stored_after(moment)
        )

    # --- the background population ---

    def background_person(self, person: Employee) -> None:
        rng = self.rng
        start = max(person.hire, self.ws).toordinal()
        end = min(person.term - timedelta(days=1), self.last_day) if person.term else self.last_day
        leave_lo = person.leave_start.toordinal() if person.leave_start else 10**7
        leave_hi = person.leave_end.toordinal() if person.leave_end else 10**7
        r = rng.random()
        actor = agent(person, "account" if r < 0.04 else "mixed" if r < 0.10 else "mbox")
        self.electives(actor, start, end.toordinal(), leave_lo, leave_hi)
        if person.hire < self.before_window and rng.random() < 0.03:  # an elective in the older LRS export
            day = self.before_window + timedelta(days=rng.randrange(28))
            moment = self.office_time(day)
            course = _ELECTIVES[int(self.rand() * len(_ELECTIVES))]
            self.backfill.append(self.drawn(actor, "completed", course, moment))
        key = (person.dept, person.job, person.country)
        if key not in self.scope_cache:
            self.scope_cache[key] = [q for q in self.requirements if q.in_scope(*key)]
        diligence = 0.04 if rng.random() < 0.8 else 0.35  # the chance of skipping a cycle
        for requirement in self.scope_cache[key]:
            self.required(person, actor, requirement, end, diligence)

    def electives(self, actor: str, start: int, end: int, leave_lo: int, leave_hi: int) -> None:
        """Month by month between the ordinals ``start`` and ``end``, none while on leave."""
        rand, between, emit, drawn, office_time = self.rand, self.between, self.emit, self.drawn, self.office_time
        for low, high in self.month_bounds:
            low, high = max(low, start), min(high, end)
            if low > high:
                continue
            for _ in range(_ELECTIVE_COUNTS[int(rand() * len(_ELECTIVE_COUNTS))]):
                day_o = between(low, high)
                if leave_lo <= day_o < leave_hi:
                    continue
                day = date.fromordinal(day_o)
                r = rand()
                verb = "attempted" if r < 0.35 else "completed" if r < 0.75 else "passed" if r < 0.9 else "failed"
                course = _ELECTIVES[int(rand() * len(_ELECTIVES))]
                emit(day, drawn(actor, verb, course, office_time(day)))

    def required(self, person: Employee, actor: str, requirement: Requirement, end: date, diligence: float) -> None:
        """Cycle by cycle from entering the scope; before the window into the legacy LMS."""
        rng = self.rng
        anchor = max(_entered_scope(person, requirement), requirement.effective_from)
        done = anchor + timedelta(days=rng.randint(1, requirement.due + (40 if rng.random() < 0.1 else 0)))
        cutoff = add_months(self.ws, -(requirement.recurrence or 1200))
        while done <= end:
            if rng.random() >= diligence and done >= cutoff:
                course = requirement.courses[0]
                if len(requirement.courses) > 1 and done > anchor + timedelta(days=400):
                    course = requirement.courses[1]
                if course == "COC-101" and rng.random() < 0.03:
                    course = "ETH-201"
                verb = "passed" if course in _ASSESSED else "completed"
                if done < self.ws:
                    self.legacy_record(person, course, verb, done)
                else:
                    self.completion(actor, course, verb, done, end)
            if requirement.recurrence is None:
                break
            done = add_months(done, requirement.recurrence) - timedelta(days=rng.randint(0, 45))

    def legacy_record(self, person: Employee, course: str, verb: str, done: date) -> None:
        """A completion before the window, as the legacy LMS exported it."""
        self.legacy_number += 1
        occurred = ts(self.office_time(done))
        score = f"{self.rng.randint(80, 100) / 100}" if verb == "passed" else ""
        self.legacy.writerow([f"LMS-{self.legacy_number:07d}", person.eid, course, verb, occurred, "true", score])
        self.legacy_lines += 1

    def completion(self, actor: str, course: str, verb: str, done: date, end: date) -> None:
        """A required completion: sometimes after a failed attempt, rarely voided days later."""
        rng = self.rng
        if verb == "passed" and rng.random() < 0.15 and done - timedelta(days=3) >= self.ws:
            earlier = done - timedelta(days=rng.randint(1, 3))
            self.emit(earlier, self.drawn(actor, "failed", course, self.office_time(earlier)))
        moment = self.office_time(done)
        record_id = uuid4(rng)
        self.emit(done, self.drawn(actor, verb, course, moment, record_id))
        voided_on = done + timedelta(days=rng.randint(1, 3))
        if rng.random() < 0.004 and voided_on <= end:
            moment = self.office_time(voided_on)
            voiding = self.statement(
                uuid4(rng), actor, "voided", statement_ref(record_id), moment, 0, self.stored_after(moment)
            )
            self.emit(voided_on, voiding)
            self.truth.voided.append(record_id)

    # --- the others ---

    def outsiders(self) -> None:
        """Learners HR does not know: a vendor's trainer and an agency temp take electives."""
        rng = self.rng
        for email in _OUTSIDERS:
            actor = agent(None, "mbox", email)
            for _ in range(3):
                day = self.ws + timedelta(days=rng.randrange((self.last_day - self.ws).days + 1))
                moment = self.office_time(day)
                course = _ELECTIVES[int(self.rand() * len(_ELECTIVES))]
                self.emit(day, self.drawn(actor, "completed", course, moment))
            self.truth.unresolved.append(email)

    def planted(self, statements: list[PlantedStatement]) -> None:
        """The planted statements: 12:00 UTC, in assorted notations."""
        for number, s in enumerate(statements):
            moment = noon(s.day)
            stored = moment + timedelta(minutes=3 + number % 7, microseconds=(number * 137 % 1000) * 1000)
            obj = statement_ref(s.target) if s.verb == "voided" else self.objects[s.target]
            text = self.statement(s.record_id, agent(s.person, s.actor), s.verb, obj, moment, number % 5, stored)
            if s.backfill:
                self.backfill.append(text)
            else:
                self.emit(s.day, text)

    def write_backfill(self) -> None:
        """The older LRS export, with one statement whose timestamp is not a date."""
        bad_at = len(self.backfill) // 2
        moment = noon(self.before_window)
        bad_ts = f"{self.before_window.year}-13-45T25:00:00Z"
        person = self.org.background[1]
        line = self.statement(
            uuid4(self.rng), agent(person, "mbox"), "completed", self.objects["XL-101"], moment, 0, moment
        )
        line = line.replace(f'"timestamp":"{render_ts(moment, 0)}"', f'"timestamp":"{bad_ts}"')
        self.backfill.insert(bad_at, line)
        (self.params.out / "drops" / "xapi" / "statements_backfill.json").write_text(
            '{"statements": [\n' + ",\n".join(self.backfill) + "\n]}\n", encoding="utf-8"
        )
        self.truth.bad("xapi", "statements_backfill.json", bad_at + 1, "timestamp", INVALID_TS, bad_ts)

    def legacy_tail(self, planted: list[PlantedLegacy]) -> None:
        """The planted legacy records and one learner HR does not know."""
        for day, person, course, verb, record_id in planted:
            self.legacy.writerow([record_id, person.eid, course, verb, ts(noon(day)), "true", ""])
            self.legacy_lines += 1
        temp_day = noon(self.ws - timedelta(days=20))
        self.legacy.writerow(["LMS-9000002", _AGENCY_TEMP, "XL-101", "completed", ts(temp_day), "true", ""])
        self.legacy_lines += 1
        self.truth.unresolved.append(_AGENCY_TEMP)

    def break_xapi(self) -> None:
        """A line that is not JSON and a statement without an actor, mid-file."""
        rng = self.params.rng("broken-xapi")  # the ids; the results still draw from the learning stream
        month = self.params.month_starts[len(self.params.month_starts) // 2]
        index = month.year * 12 + month.month - 1 - self.month_index0
        name = f"statements_{month.strftime('%Y-%m')}.jsonl"
        moment = datetime(month.year, month.month, 10, 12)
        person = self.org.background[2]
        whole = self.statement(
            uuid4(rng), agent(person, "mbox"), "completed", self.objects["XL-101"], moment, 0, moment
        )
        self.emit(moment.date(), whole[: len(whole) // 2])
        self.truth.bad("xapi", name, self.lines[index], None, MALFORMED_JSON, None)
        self.emit(
            moment.date(), self.statement(uuid4(rng), None, "completed", self.objects["WRT-110"], moment, 1, moment)
        )
        self.truth.bad("xapi", name, self.lines[index], "actor", MISSING, None)

    def break_legacy(self) -> None:
        """An unknown verb and a timestamp in the wrong notation."""
        person = self.org.background[3]
        day = self.ws - timedelta(days=45)
        self.legacy.writerow(["LMS-9000101", person.eid, "XL-101", "finished", ts(noon(day)), "true", ""])
        self.legacy_lines += 1
        self.truth.bad("lms", "legacy_lms_export.csv", self.legacy_lines, "verb", NOT_IN_SET, "finished")
        stamp = day.strftime("%d/%m/%Y")
        self.legacy.writerow(["LMS-9000102", person.eid, "WRT-110", "completed", stamp, "true", ""])
        self.legacy_lines += 1
        self.truth.bad("lms", "legacy_lms_export.csv", self.legacy_lines, "occurred_at", INVALID_TS, stamp)


def _entered_scope(person: Employee, requirement: Requirement) -> date:
    """The hire date, or the date of the latest move that brought the person into the scope."""
    entry = person.hire
    for index, move in enumerate(person.moves[1:], start=1):
        if not requirement.in_scope(move.dept, move.job, person.country):
            continue
        before = person.moves[index - 1]
        if not requirement.in_scope(before.dept, before.job, person.country):
            entry = move.day
    return entry
