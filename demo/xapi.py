"""xAPI 1.0.3 statements as an LRS returns them: compact JSON built as text (there are millions),
with the actor, verb, object, result and timestamp notations the connectors must accept
(docs/data-model.md).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from demo.organisation import Employee

SSO_HOME = "https://sso.acme.example"  # the homePage of account actors (their name is the employee id)

_VERB_IRI = "http://adlnet.gov/expapi/verbs/"
_CMI5_VERB_IRI = "https://w3id.org/xapi/adl/verbs/"  # cmi5's LMS-issued verbs: satisfied, waived
_VERBS = {
    verb: json.dumps({"id": _VERB_IRI + verb, "display": {"en-US": verb}}, separators=(",", ":"))
    for verb in ("completed", "passed", "failed", "attempted", "voided")
}
_VERBS.update(
    {
        verb: json.dumps({"id": _CMI5_VERB_IRI + verb, "display": {"en-US": verb}}, separators=(",", ":"))
        for verb in ("satisfied", "waived")
    }
)
_AUTHORITY = (
    '{"objectType":"Agent","name":"Acme LMS sync","account":{"homePage":"https://lrs.acme.example","name":"lms-sync"}}'
)
_CONTEXT = '{"platform":"Acme Learning Hub","language":"en-GB"}'


def render_ts(moment: datetime, style: int) -> str:
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


def activity(title: str, iri: str) -> str:
    """A course as a statement's object."""
    definition = {"name": {"en-US": title}, "type": "http://adlnet.gov/expapi/activities/course"}
    return json.dumps(
        {"objectType": "Activity", "id": iri, "definition": definition}, ensure_ascii=False, separators=(",", ":")
    )


def statement_ref(record_id: str) -> str:
    """The object of a voiding statement."""
    return f'{{"objectType":"StatementRef","id":"{record_id}"}}'


def agent(person: Employee | None, kind: str, email: str = "") -> str:
    """The actor: an employee by ``kind`` (``mbox``; ``mixed``: a mixed-case email; ``account``: the SSO
    account), or a bare email nobody in HR has (person None)."""
    if person is None:
        return json.dumps({"objectType": "Agent", "mbox": f"mailto:{email}"}, separators=(",", ":"))
    name = f"{person.given} {person.family}"
    actor: dict[str, Any] = {"objectType": "Agent", "name": name}
    if kind == "account":
        actor["account"] = {"homePage": SSO_HOME, "name": person.eid}
    elif kind == "mixed":
        local, domain = person.email.split("@")
        mixed = ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.capitalize()
        actor["mbox"] = f"mailto:{mixed}"
    else:
        actor["mbox"] = f"mailto:{person.email}"
    return json.dumps(actor, ensure_ascii=False, separators=(",", ":"))


class Statements:
    """Renders statements; the results' durations and scores are drawn from ``rng``."""

    def __init__(self, rng: random.Random) -> None:
        self._rand = rng.random

    def _between(self, low: int, high: int) -> int:  # rng.randint, without its per-call overhead
        return low + int(self._rand() * (high - low + 1))

    def _result(self, verb: str) -> str:
        if verb == "satisfied":  # cmi5: the LMS's course-level statement carries no result
            return ""
        if verb == "waived":  # cmi5: success and completion true, with the reason — still no completion
            return (
                ',"result":{"success":true,"completion":true,"extensions":'
                '{"https://w3id.org/xapi/cmi5/result/extensions/reason":"Tested Out"}}'
            )
        between = self._between
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

    def __call__(
        self, record_id: str, actor: str | None, verb: str, obj: str, moment: datetime, style: int, stored: datetime
    ) -> str:
        """One statement; ``actor`` None leaves it out (a malformed statement), ``style``: ``render_ts``."""
        who = f'"actor":{actor},' if actor is not None else ""
        extra = self._result(verb) if verb != "voided" else ""
        context = f',"context":{_CONTEXT}' if verb != "voided" else ""
        return (
            f'{{"id":"{record_id}",{who}"verb":{_VERBS[verb]},"object":{obj}{extra}{context},'
            f'"timestamp":"{render_ts(moment, style)}",'
            f'"stored":"{stored.isoformat(timespec="milliseconds")}Z","authority":{_AUTHORITY},'
            f'"version":"1.0.3"}}'
        )
