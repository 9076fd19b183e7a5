"""`xapi_files`: xAPI 1.0.3 / 2.0 statements dropped as files (DESIGN §3).

`*.json` holds one statement, an array of statements or an LRS response `{"statements": [...]}`;
`*.jsonl` holds one statement per line and is streamed, so a file of millions of lines never sits in
memory as text. `raw` keeps the whole source statement as compact JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.base import ParseContext, ParseResult, SourceError
from connectors.parsing import (
    FieldError,
    compact_json,
    empty_record,
    parse_timestamp,
    reject_from,
)

ENTITY = "lms.learning_record"

_DURATION_RE = re.compile(
    r"^P(?!$)(?:(?P<w>\d+(?:[.,]\d+)?)W)?(?:(?P<d>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<h>\d+(?:[.,]\d+)?)H)?(?:(?P<m>\d+(?:[.,]\d+)?)M)?(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?$"
)
_DURATION_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def duration_seconds(text: str, column: str | None = "result.duration") -> float:
    """An ISO 8601 duration (``PT1H2M3.5S``, ``P1DT2H``, ``P2W``) → seconds.

    Years and months have no fixed length, so a duration using them is refused rather than guessed.
    """
    match = _DURATION_RE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise FieldError(
            "parse.invalid_duration",
            column,
            text,
            f"{column}: {text!r} is not an ISO 8601 duration in weeks, days, hours, minutes, seconds (e.g. PT1H30M)",
        )
    return sum(
        float(value.replace(",", ".")) * _DURATION_SECONDS[unit]
        for unit, value in match.groupdict().items()
        if value is not None
    )


def last_segment(iri: str) -> str:
    """The last path segment of an IRI, without query, fragment or trailing slash; an opaque IRI
    (`urn:…`, `tag:…`) has no path segments and is kept whole (less query and fragment)."""
    bare = iri.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    path = urlsplit(bare).path
    if "/" not in path:
        return bare or iri
    return path.rsplit("/", 1)[-1] or bare


def verb_name(iri: str) -> str:
    """`http://adlnet.gov/expapi/verbs/completed` → `completed`; a fragment names the verb if present
    (`http://example.com/xapi/verbs#sent-a-statement` → `sent-a-statement`)."""
    fragment = urlsplit(iri).fragment
    return (fragment or last_segment(iri)).lower()


def agent_ref(agent: Any) -> str | None:
    """An xAPI Agent/Group's inverse functional identifier as a learner_ref (DESIGN §3)."""
    if not isinstance(agent, dict):
        return None
    mbox = agent.get("mbox")
    if isinstance(mbox, str) and mbox.strip():
        value = mbox.strip()
        if value.lower().startswith("mailto:"):
            value = value[len("mailto:") :]
        return value.lower()
    sha1 = agent.get("mbox_sha1sum")
    if isinstance(sha1, str) and sha1.strip():
        return f"sha1:{sha1.strip().lower()}"
    account = agent.get("account")
    if isinstance(account, dict):
        home, name = account.get("homePage"), account.get("name")
        if isinstance(home, str) and isinstance(name, str) and name:
            return f"account:{home}|{name}"
    openid = agent.get("openid")
    if isinstance(openid, str) and openid.strip():
        return openid.strip()
    return None


def authority_ref(stmt: dict[str, Any]) -> str | None:
    """Who vouches for the statement: the authority agent, or for an OAuth Group its first member."""
    authority = stmt.get("authority")
    ref = agent_ref(authority)
    if ref is None and isinstance(authority, dict) and isinstance(authority.get("member"), list):
        ref = next((r for m in authority["member"] if (r := agent_ref(m))), None)
    return ref


def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _missing(column: str, what: str) -> FieldError:
    return FieldError("parse.missing_required", column, None, f"{column}: {what}")


def _bool(result: dict[str, Any], key: str) -> bool | None:
    value = result.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise FieldError("parse.invalid_bool", f"result.{key}", value, f"result.{key}: {value!r} is not true/false")


def _timestamp(stmt: dict[str, Any], key: str) -> Any:
    value = stmt.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError("parse.invalid_timestamp", key, value, f"{key}: {value!r} is not a timestamp string")
    return parse_timestamp(value, key)


def record_from_statement(stmt: Any) -> dict[str, Any]:
    """One xAPI statement → the values of an `lms.learning_record` (raises `FieldError`)."""
    if not isinstance(stmt, dict):
        raise FieldError(
            "parse.invalid_statement", None, None, f"expected a statement object, found {type(stmt).__name__}"
        )
    if not any(key in stmt for key in ("actor", "verb", "object")):
        keys = ", ".join(list(stmt)[:5])
        raise FieldError(
            "parse.invalid_statement", None, None, f"not an xAPI statement (no actor, verb or object; keys: {keys})"
        )
    record_id = stmt.get("id")
    if not isinstance(record_id, str) or not record_id.strip():
        raise _missing("record_id", "the statement has no id")

    learner_ref = agent_ref(stmt.get("actor"))
    if learner_ref is None:
        raise _missing("learner_ref", "the actor has no mbox, mbox_sha1sum, account or openid")

    verb = stmt.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    if not isinstance(verb_id, str) or not verb_id.strip():
        raise _missing("verb", "the statement has no verb.id")
    verb_text = verb_name(verb_id.strip())

    obj = stmt.get("object")
    if not isinstance(obj, dict):
        raise _missing("course_ref", "the statement has no object")
    object_type = obj.get("objectType") or "Activity"
    object_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    course_ref = activity_id = voids = None
    if verb_text == "voided" and object_type == "StatementRef":
        voids = object_id
        if not voids:
            raise _missing("voids_record_id", "the voiding statement's StatementRef has no id")
    elif object_type == "Activity" and object_id:
        activity_id = object_id
        course_ref = last_segment(object_id)
    else:
        raise _missing("course_ref", f"the object is a {object_type} without an activity id, not a course")

    occurred_at = _timestamp(stmt, "timestamp")
    stored_at = _timestamp(stmt, "stored")
    if occurred_at is None:
        occurred_at = stored_at
    if occurred_at is None:
        raise _missing("occurred_at", "the statement has neither timestamp nor stored")

    result = _object(stmt, "result")
    score = _object(result, "score")
    scaled = score.get("scaled")
    if scaled is not None and (isinstance(scaled, bool) or not isinstance(scaled, int | float)):
        raise FieldError("parse.invalid_number", "result.score.scaled", scaled, f"{scaled!r} is not a number")
    duration = result.get("duration")

    context = _object(stmt, "context")
    registration = context.get("registration")
    platform = context.get("platform")
    origin = platform.strip() if isinstance(platform, str) and platform.strip() else authority_ref(stmt)

    return {
        "record_id": record_id.strip(),
        "learner_ref": learner_ref,
        "course_ref": course_ref,
        "activity_id": activity_id,
        "verb": verb_text,
        "occurred_at": occurred_at,
        "stored_at": stored_at,
        "success": _bool(result, "success"),
        "completion": _bool(result, "completion"),
        "score_scaled": None if scaled is None else float(scaled),
        "duration_seconds": None if duration is None else duration_seconds(duration),
        "registration": registration if isinstance(registration, str) else None,
        "voids_record_id": voids,
        "source_system": f"xapi:{origin}" if origin else "xapi",
        "raw": compact_json(stmt),
    }


def _statements(document: Any) -> list[Any]:
    """The statements of a parsed `.json` file: an array, an LRS response or a single statement."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and "statements" in document:
        statements = document["statements"]
        return statements if isinstance(statements, list) else [statements]
    return [document]


def _add(result: ParseResult, source_file: str, line: int, stmt: Any, text: str | None) -> None:
    try:
        values = record_from_statement(stmt)
    except FieldError as error:
        source = text if text is not None else compact_json(stmt)
        result.rejects.append(reject_from(error, ENTITY, source_file, line, source))
        return
    record = empty_record(ENTITY, source_file, line)
    record.update(values)
    result.add(ENTITY, record)


def _malformed(source_file: str, line: int | None, error: json.JSONDecodeError, text: str) -> Any:
    where = f"line {error.lineno} column {error.colno}"
    return reject_from(
        FieldError("parse.malformed_json", None, None, f"not valid JSON ({error.msg} at {where})"),
        ENTITY,
        source_file,
        line,
        text,
    )


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    number = 0
    try:
        with open(path, encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, start=1):  # noqa: B007
                yield number, line
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path.name}: not UTF-8 text after line {number} ({exc.reason})") from None
    except OSError as exc:
        raise SourceError(f"{path.name}: cannot read: {exc.strerror or exc}") from None


class XapiFilesParser:
    kind: str = "xapi_files"
    entities: tuple[str, ...] = (ENTITY,)
    patterns: tuple[str, ...] = ("*.json", "*.jsonl")

    def parse(self, path: Path, context: ParseContext) -> ParseResult:
        if path.suffix.lower() == ".jsonl":
            return self.parse_jsonl(path)
        return self.parse_json(path)

    def parse_jsonl(self, path: Path) -> ParseResult:
        result = ParseResult()
        for number, line in _lines(path):
            text = line.strip()
            if not text:
                continue
            try:
                stmt = json.loads(text)
            except json.JSONDecodeError as error:
                result.rejects.append(_malformed(path.name, number, error, text))
                continue
            _add(result, path.name, number, stmt, text)
        return result

    def parse_json(self, path: Path) -> ParseResult:
        result = ParseResult()
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
        except OSError as exc:
            raise SourceError(f"{path.name}: cannot read: {exc.strerror or exc}") from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            result.rejects.append(_malformed(path.name, None, error, text))
            return result
        for index, stmt in enumerate(_statements(document), start=1):
            _add(result, path.name, index, stmt, None)
        return result
