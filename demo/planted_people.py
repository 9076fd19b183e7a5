"""The planted people: one employee per compliance case with exactly the records the case needs
(docs/semantics.md), and the learners of the planted billing sessions.

Each case is recorded in the ground truth as decided here. Planted employees get only the records
decided for them (the background population's records are drawn from everyone else), and every
planted event happens at 12:00 UTC, far from any day boundary in the business timezone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from demo.common import Params, add_months, month_end, nice, uuid4
from demo.organisation import Employee, Move, new_person
from demo.reference import Catalogue, Exemption
from demo.truth import ComplianceCase, Truth, was


class PlantedStatement(NamedTuple):
    day: date
    person: Employee
    actor: str  # how the statement names the learner: mbox, mixed (mixed-case email) or account
    verb: str
    target: str  # the course_ref, or the voided statement's id
    record_id: str
    backfill: bool  # in the older LRS export rather than a monthly file


class PlantedLegacy(NamedTuple):
    day: date
    person: Employee
    course: str
    verb: str
    record_id: str


@dataclass
class Planted:
    people: list[Employee] = field(default_factory=list)
    statements: list[PlantedStatement] = field(default_factory=list)
    legacy: list[PlantedLegacy] = field(default_factory=list)
    exemptions: list[Exemption] = field(default_factory=list)
    crew: list[Employee] = field(default_factory=list)  # the planted sessions' learners, all active
    leaver: Employee | None = None  # a planted session's learner who has left since


class _Planter:
    """Plants people and their records from one random stream, and records each case's expectation."""

    def __init__(self, params: Params, catalogue: Catalogue, truth: Truth) -> None:
        self.params, self.truth = params, truth
        self.as_of = params.as_of
        self.rng = params.rng("planted")
        self.planted = Planted()
        self.req = {r.rid: r for r in catalogue.requirements}

    def person(self, case: str, country: str, dept: str, job: str, hire: date, **kw: Any) -> Employee:
        person = new_person(self.rng, hire, country, dept, job, planted=case, **kw)
        self.planted.people.append(person)
        return person

    def canadian(self, case: str, hire: date | None = None, **kw: Any) -> Employee:
        """Canada, Finance: of the requirements only the all-staff Code of Conduct applies."""
        return self.person(case, "CA", "Finance", "FIN-AN", hire or self.long_ago(), **kw)

    def long_ago(self) -> date:
        """A hire date well before every requirement's effective_from (≥ 7.1 years ago)."""
        return nice(self.as_of - timedelta(days=self.rng.randint(2600, 3600)))

    def statement(
        self, day: date, person: Employee, verb: str, course: str, actor: str = "mbox", backfill: bool | None = None
    ) -> str:
        record_id = uuid4(self.rng)
        if backfill is None:
            backfill = day < self.params.window_start
        self.planted.statements.append(PlantedStatement(day, person, actor, verb, course, record_id, backfill))
        return record_id

    def expect(
        self,
        case: str,
        person: Employee,
        rid: str,
        status: str,
        due: date | None = None,
        evidence: str | None = None,
        source: str | None = None,
        history: list[dict[str, Any]] | None = None,
    ) -> None:
        """The case's row at as_of: ``due`` drives the status, ``evidence`` is the satisfying record's id."""
        overdue = (self.as_of - due).days if status == "overdue" and due else None
        source = (source or "xapi_files") if evidence else None
        self.truth.compliance.append(
            ComplianceCase(case, person, rid, status, due, evidence, source, overdue, history or None)
        )


def plant_people(params: Params, catalogue: Catalogue, truth: Truth) -> Planted:
    """The planted people and their records, in a fixed order: the draws of each case follow from it."""
    planter = _Planter(params, catalogue, truth)
    _plant_code_of_conduct(planter)
    _plant_united_states(planter)
    # Rehire, late completion and cmi5 verbs, from their own random stream (the draws above and
    # the billing learners' stay as they were).
    main_stream, planter.rng = planter.rng, params.rng("planted-history")
    _plant_later_cases(planter)
    planter.rng = main_stream
    _plant_billing_learners(planter)
    return planter.planted


def _plant_code_of_conduct(p: _Planter) -> None:
    """Canada, Finance: the Code of Conduct cases (no other requirement applies there)."""
    D, days, coc = p.as_of, timedelta, p.req["REQ-COC"]
    for case, ago, actor in (
        ("compliant", 95, "mbox"),
        ("compliant_mixed_case_email", 80, "mixed"),
        ("compliant_via_account", 70, "account"),
    ):
        person = p.canadian(case)
        done = nice(D - days(ago))
        sid = p.statement(done, person, "completed", "COC-101", actor=actor)
        p.expect(case, person, coc.rid, "compliant", add_months(done, 12), sid)

    person = p.canadian("compliant_latest_of_two")
    first, latest = nice(D - days(400)), nice(D - days(120))
    p.statement(first, person, "completed", "COC-101", backfill=True)
    sid = p.statement(latest, person, "completed", "COC-101")
    p.expect("compliant_latest_of_two", person, coc.rid, "compliant", add_months(latest, 12), sid)

    person = p.canadian("compliant_via_equivalent_course")
    done = nice(D - days(60))
    sid = p.statement(done, person, "completed", "ETH-201")
    p.expect("compliant_via_equivalent_course", person, coc.rid, "compliant", add_months(done, 12), sid)

    person = p.canadian("on_leave_compliant", leave_start=D - days(40))
    done = nice(D - days(300))
    sid = p.statement(done, person, "completed", "COC-101")
    p.expect("on_leave_compliant", person, coc.rid, "compliant", add_months(done, 12), sid)

    person = p.canadian("overdue", hire=D - days(100))
    p.expect("overdue", person, coc.rid, "overdue", D - days(100) + days(coc.due))

    person = p.canadian("due_soon", hire=D - days(15))
    p.expect("due_soon", person, coc.rid, "due_soon", D - days(15) + days(coc.due))

    # Point in time: compliant at the month-end three months ago, overdue since the expiry.
    person = p.canadian("expired_recurrence")
    done = nice(add_months(D, -14))
    sid = p.statement(done, person, "completed", "COC-101", backfill=True)
    then = was(month_end(add_months(D, -3)), "compliant", add_months(done, 12), sid)
    p.expect("expired_recurrence", person, coc.rid, "overdue", add_months(done, 12), history=[then])

    person = p.canadian("voided_only_completion")
    done = nice(D - days(50))
    sid = p.statement(done, person, "completed", "COC-101")
    p.statement(done + days(5), person, "voided", sid)
    p.truth.voided.append(sid)
    due = max(person.hire, coc.effective_from) + days(coc.due)
    p.expect("voided_only_completion", person, coc.rid, "overdue", due)

    # Terminated: no compliance row at as_of (the ground truth lists every terminated employee).
    person = p.canadian("terminated", term=D - days(75))
    p.statement(nice(D - days(200)), person, "completed", "COC-101")


def _plant_united_states(p: _Planter) -> None:
    """The scoped requirements: anti-harassment, OSHA and HIPAA in the US, GDPR in the UK."""
    D, days = p.as_of, timedelta
    ah, hipaa, osha, gdpr = (p.req[r] for r in ("REQ-AH-US", "REQ-HIPAA", "REQ-OSHA", "REQ-GDPR"))
    person = p.person("not_yet_due", "US", "Sales", "SAL-REP", D - days(20))
    p.expect("not_yet_due", person, ah.rid, "not_yet_due", D - days(20) + days(ah.due))

    person = p.person("compliant_via_legacy_lms", "US", "Sales", "SAL-REP", p.long_ago())
    record_id = "LMS-9000001"
    p.planted.legacy.append(PlantedLegacy(nice(D - days(240)), person, "AH-110", "completed", record_id))
    p.expect("compliant_via_legacy_lms", person, ah.rid, "compliant", None, record_id, "lms_csv")

    person = p.person("failed_then_passed", "US", "Operations", "OPS-WH1", p.long_ago())
    p.statement(nice(D - days(130)), person, "failed", "OSH-300")
    done = nice(D - days(120))
    sid = p.statement(done, person, "passed", "OSH-300")
    p.expect("failed_then_passed", person, osha.rid, "compliant", add_months(done, osha.recurrence or 0), sid)

    person = p.person("failed_only", "US", "Operations", "OPS-FLT", p.long_ago())
    p.statement(nice(D - days(100)), person, "failed", "OSH-300")
    p.expect("failed_only", person, osha.rid, "overdue", max(person.hire, osha.effective_from) + days(osha.due))

    person = p.person("exempt", "US", "Clinical Operations", "CLN-NUR", p.long_ago())
    reason = "Equivalent external certification on file"
    p.planted.exemptions.append(Exemption(person, hipaa.rid, reason, D - days(180), D + days(185)))
    p.expect("exempt", person, hipaa.rid, "exempt")

    person = p.person("exemption_expired", "US", "Clinical Operations", "CLN-COD", p.long_ago())
    p.planted.exemptions.append(Exemption(person, hipaa.rid, "Extended medical leave", D - days(500), D - days(135)))
    due = max(person.hire, hipaa.effective_from) + days(hipaa.due)
    p.expect("exemption_expired", person, hipaa.rid, "overdue", due)

    person = p.person("expired_within_grace", "US", "Clinical Operations", "CLN-NUR", p.long_ago())
    expiry = D - days(7)
    if expiry.month == 2 and expiry.day == 29:
        expiry -= days(1)
    p.statement(expiry.replace(year=expiry.year - 1), person, "passed", "HIP-200")
    p.expect("expired_within_grace", person, hipaa.rid, "due_soon", expiry)

    # Transferred from Finance into Clinical Operations (HIPAA's scope): the change first shows in
    # the snapshot a month before as_of, so the due clock starts on that snapshot's date, not at hire.
    person = p.person("transfer_into_scope", "US", "Finance", "FIN-ACC", p.long_ago())
    shown = p.params.snapshots[-2]
    person.moves.append(Move(shown - days(10), "Clinical Operations", "CLN-COD"))
    before = was(month_end(add_months(D, -2)), None)  # still in Finance: out of scope
    after = was(month_end(add_months(D, -1)), "not_yet_due", shown + days(hipaa.due))
    due = shown + days(hipaa.due)
    p.expect("transfer_into_scope", person, hipaa.rid, "not_yet_due", due, history=[before, after])

    # United Kingdom: GDPR became effective 150 days ago; the clock runs from effective_from.
    person = p.person("due_from_effective_date", "GB", "Legal", "LEG-CNS", p.long_ago())
    p.expect("due_from_effective_date", person, gdpr.rid, "overdue", gdpr.effective_from + days(gdpr.due))


def _plant_later_cases(p: _Planter) -> None:
    """Rehire, late completion and the cmi5 verbs (drawn from their own stream)."""
    D, days, coc = p.as_of, timedelta, p.req["REQ-COC"]
    # Left (shown terminated in the snapshot a month ago) and rehired ten days ago (shown today):
    # the due clock restarts on the snapshot showing the rehire; the completion from the first
    # employment had expired, so it neither satisfies nor makes them overdue.
    person = p.canadian("rehired")
    person.term, person.rehire = p.params.snapshots[-2] - days(10), D - days(10)
    done = nice(add_months(D, -14))
    sid = p.statement(done, person, "completed", "COC-101")
    history = [
        was(month_end(add_months(D, -3)), "compliant", add_months(done, 12), sid),
        was(month_end(add_months(D, -1)), None),  # terminated that day: no row
    ]
    p.expect("rehired", person, coc.rid, "due_soon", D + days(coc.due), history=history)

    # Overdue at the month-end two months ago, compliant since completing late.
    person = p.canadian("completed_late", hire=D - days(120))
    done = nice(D - days(20))
    sid = p.statement(done, person, "completed", "COC-101")
    then = was(month_end(add_months(D, -2)), "overdue", D - days(120) + days(coc.due))
    p.expect("completed_late", person, coc.rid, "compliant", add_months(done, 12), sid, history=[then])

    # cmi5: the LMS's `satisfied` for the course counts; `waived` does not (waivers are exemptions).
    person = p.canadian("compliant_via_cmi5_satisfied")
    done = nice(D - days(45))
    sid = p.statement(done, person, "satisfied", "COC-101")
    p.expect("compliant_via_cmi5_satisfied", person, coc.rid, "compliant", add_months(done, 12), sid)

    person = p.canadian("cmi5_waived_is_no_completion")
    p.statement(nice(D - days(30)), person, "waived", "COC-101")
    due = max(person.hire, coc.effective_from) + days(coc.due)
    p.expect("cmi5_waived_is_no_completion", person, coc.rid, "overdue", due)


def _plant_billing_learners(p: _Planter) -> None:
    """Learners of the planted sessions: long-standing active staff, and one who has left."""
    p.planted.crew = [
        p.person(
            "billing",
            "GB" if i < 7 else "DE",
            "Sales" if i % 2 else "Engineering",
            "SAL-REP" if i % 2 else "ENG-SWE",
            p.long_ago(),
        )
        for i in range(10)
    ]
    p.planted.leaver = p.person("billing", "GB", "Sales", "SAL-REP", p.long_ago(), term=p.as_of - timedelta(days=120))
