"""`xapi_files`: xAPI 1.0.3 / 2.0 statements dropped as files (docs/data-model.md).

`*.json` holds one statement, an array of statements or an LRS response `{"statements": [...]}`;
`*.jsonl` holds one statement per line and is read in blocks, so a file of millions of lines never
sits in memory whole. `raw` keeps the whole source statement: for JSON Lines the line as it stands in
the file (without surrounding whitespace), for a JSON document the statement as compact JSON.

JSON Lines go through the columnar path (`connectors/lms/xapi_columnar.py`: Arrow parses and maps
blocks of statements, calling the functions below once per distinct value) and only what it cannot
map for certain through the per-record path here (`parse_line`); both give the same records and
rejects (`tests/unit/connectors/test_xapi_columnar.py`). `XapiFilesParser(columnar=False)` is the
per-record path alone.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from connectors.base import ParseContext, ParseResult, SourceError
from connectors.csv_reader import line_ends
from connectors.parsing import (
    FieldError,
    compact_json,
    empty_record,
    parse_timestamp,
    reject_from,
)

ENTITY = "lms.learning_record"
# The namespace of derived statement ids (UUID v5): fixed, so a statement gets the same id in every
# run, file and installation.
STATEMENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/trainops/xapi-statement")
# Properties an LRS sets or vouches for, not part of what the statement says (xAPI 2.0 "Statement
# comparison" leaves them out too): not in a derived id.
_NOT_CONTENT = ("id", "stored", "authority", "version")
OCCURRED_AT_DEFAULT = "timestamp"  # timestamp, else stored (an LRS sets a missing timestamp to stored)

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
    """An xAPI Agent/Group's inverse functional identifier as a learner_ref (docs/data-model.md)."""
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
        return f"mbox_sha1sum:{sha1.strip().lower()}"
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
    return authority_agent_ref(stmt.get("authority"))


def authority_agent_ref(authority: Any) -> str | None:
    """`authority_ref` of the statement's ``authority`` value itself."""
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


def derived_id(stmt: dict[str, Any]) -> str:
    """A deterministic id for a statement that has none: UUID v5 over its canonical JSON (sorted
    keys, compact, without id, stored, authority and version), so the same statement delivered
    again, in another file or another night, gets the same id."""
    content = {key: value for key, value in stmt.items() if key not in _NOT_CONTENT}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(uuid.uuid5(STATEMENT_NAMESPACE, canonical))


def occurred(timestamp: Any, stored: Any, setting: str) -> tuple[Any, str]:
    """occurred_at and where it came from, by the source's ``xapi.occurred_at`` setting:
    ``timestamp`` (the default: timestamp, else stored), ``stored`` (always stored), or an ISO
    timestamp (timestamp, else that constant)."""
    if setting == "stored":
        return stored, "stored"
    if timestamp is not None:
        return timestamp, "timestamp"
    if setting == OCCURRED_AT_DEFAULT:
        return stored, "stored"
    return parse_timestamp(setting, "xapi.occurred_at"), "constant"


def _timestamp(stmt: dict[str, Any], key: str) -> Any:
    value = stmt.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError("parse.invalid_timestamp", key, value, f"{key}: {value!r} is not a timestamp string")
    return parse_timestamp(value, key)


# The mapping of one statement, field by field: `record_from_statement` applies them in order to one
# statement; the columnar path (`connectors/lms/xapi_columnar.py`) applies the same functions once
# per distinct value of a column, so both paths map every value with the same code.


def learner_of(actor: Any) -> str:
    learner_ref = agent_ref(actor)
    if learner_ref is None:
        raise _missing("learner_ref", "the actor has no mbox, mbox_sha1sum, account or openid")
    return learner_ref


def verb_of(verb: Any) -> str:
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    if not isinstance(verb_id, str) or not verb_id.strip():
        raise _missing("verb", "the statement has no verb.id")
    return verb_name(verb_id.strip())


def target_of(verb_text: str, obj: Any) -> tuple[str | None, str | None, str | None]:
    """The object → (course_ref, activity_id, voids_record_id)."""
    if not isinstance(obj, dict):
        raise _missing("course_ref", "the statement has no object")
    object_type = obj.get("objectType") or "Activity"
    object_id = obj.get("id") if isinstance(obj.get("id"), str) else None
    if verb_text == "voided" and object_type == "StatementRef":
        if not object_id:
            raise _missing("voids_record_id", "the voiding statement's StatementRef has no id")
        return None, None, object_id
    if object_type == "Activity" and object_id:
        return last_segment(object_id), object_id, None
    raise _missing("course_ref", f"the object is a {object_type} without an activity id, not a course")


def result_values(result: Any) -> tuple[bool | None, bool | None, float | None, float | None]:
    """The statement's ``result`` → (success, completion, score_scaled, duration_seconds); a result
    that is not an object counts as empty."""
    result = result if isinstance(result, dict) else {}
    scaled = _object(result, "score").get("scaled")
    if scaled is not None and (isinstance(scaled, bool) or not isinstance(scaled, int | float)):
        raise FieldError("parse.invalid_number", "result.score.scaled", scaled, f"{scaled!r} is not a number")
    duration = result.get("duration")
    return (
        _bool(result, "success"),
        _bool(result, "completion"),
        None if scaled is None else float(scaled),
        None if duration is None else duration_seconds(duration),
    )


def platform_of(context: dict[str, Any]) -> str | None:
    platform = context.get("platform")
    return platform.strip() if isinstance(platform, str) and platform.strip() else None


def registration_of(context: dict[str, Any]) -> str | None:
    registration = context.get("registration")
    return registration if isinstance(registration, str) else None


def source_system_of(origin: str | None) -> str:
    return f"xapi:{origin}" if origin else "xapi"


def record_from_statement(stmt: Any, raw: str | None = None, occurred_at: str = OCCURRED_AT_DEFAULT) -> dict[str, Any]:
    """One xAPI statement → the values of an `lms.learning_record` (raises `FieldError`).

    ``raw`` is the statement's source text when there is one (a JSON Lines line); without it the
    statement is re-serialised as compact JSON. A statement without an id gets ``derived_id``;
    ``occurred_at`` is the source's setting (``occurred``).
    """
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
    derived = record_id is None or (isinstance(record_id, str) and not record_id.strip())
    if derived:
        record_id = derived_id(stmt)
    elif not isinstance(record_id, str):
        raise FieldError("parse.invalid_statement_id", "record_id", record_id, f"id: {record_id!r} is not a string")
    learner_ref = learner_of(stmt.get("actor"))
    verb_text = verb_of(stmt.get("verb"))
    course_ref, activity_id, voids = target_of(verb_text, stmt.get("object"))

    stored_at = _timestamp(stmt, "stored")
    occurred_at, occurred_from = occurred(_timestamp(stmt, "timestamp"), stored_at, occurred_at)
    if occurred_at is None:
        raise _missing("occurred_at", "the statement has neither timestamp nor stored")

    success, completion, score_scaled, duration = result_values(stmt.get("result"))
    context = _object(stmt, "context")
    return {
        "record_id": record_id.strip(),
        "learner_ref": learner_ref,
        "course_ref": course_ref,
        "activity_id": activity_id,
        "verb": verb_text,
        "occurred_at": occurred_at,
        "stored_at": stored_at,
        "success": success,
        "completion": completion,
        "score_scaled": score_scaled,
        "duration_seconds": duration,
        "registration": registration_of(context),
        "voids_record_id": voids,
        "source_system": source_system_of(platform_of(context) or authority_ref(stmt)),
        "record_id_derived": derived,
        "occurred_at_from": occurred_from,
        "raw": compact_json(stmt) if raw is None else raw,
    }


def _statements(document: Any) -> list[Any]:
    """The statements of a parsed `.json` file: an array, an LRS response or a single statement."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and "statements" in document:
        statements = document["statements"]
        return statements if isinstance(statements, list) else [statements]
    return [document]


def _add(result: ParseResult, source_file: str, line: int, stmt: Any, text: str | None, occurred_at: str) -> None:
    try:
        values = record_from_statement(stmt, raw=text, occurred_at=occurred_at)
    except FieldError as error:
        source = text if text is not None else compact_json(stmt)
        result.rejects.append(reject_from(error, ENTITY, source_file, line, source))
        return
    record = empty_record(ENTITY, source_file, line)
    record.update(values)
    result.add(ENTITY, record)


def _malformed(source_file: str, line: int | None, error: json.JSONDecodeError, text: str) -> Any:
    """A reject for JSON that does not parse: ``line`` is the JSON Lines line it stood on; for a whole
    document (``line`` None) the line the error is on (the record keeps the whole document)."""
    if line is None:
        line, where = error.lineno, f"line {error.lineno} column {error.colno}"
    else:
        where = f"column {error.colno}"
    return reject_from(
        FieldError("parse.malformed_json", None, None, f"not valid JSON ({error.msg} at {where})"),
        ENTITY,
        source_file,
        line,
        text,
    )


def _lines(path: Path) -> Iterator[tuple[int, str, bool]]:
    """A JSON Lines file's lines, each decoded on its own: (number, text, was it UTF-8). A line that
    is not comes with its bad bytes as U+FFFD, so it alone is rejected and the rest of the file reads."""
    try:
        with open(path, "rb") as handle:
            for number, raw in enumerate(line_ends(handle), start=1):
                data = raw[3:] if number == 1 and raw.startswith(b"\xef\xbb\xbf") else raw
                try:
                    yield number, data.decode("utf-8"), True
                except UnicodeDecodeError:
                    yield number, data.decode("utf-8", errors="replace"), False
    except OSError as exc:
        raise SourceError(f"{path.name}: cannot read: {exc.strerror or exc}") from None


def parse_line(
    result: ParseResult, source_file: str, number: int, line: str, occurred_at: str = OCCURRED_AT_DEFAULT
) -> None:
    """One line of a JSON Lines file → a record or a reject in ``result`` (a blank line: nothing)."""
    text = line.strip()
    if not text:
        return
    try:
        stmt = json.loads(text)
    except json.JSONDecodeError as error:
        result.rejects.append(_malformed(source_file, number, error, text))
        return
    _add(result, source_file, number, stmt, text, occurred_at)


class XapiFilesParser:
    """``columnar`` (the default) reads JSON Lines through ``connectors/lms/xapi_columnar.py``;
    ``XapiFilesParser(columnar=False)`` is the per-record path alone (same records and rejects)."""

    kind: str = "xapi_files"
    entities: tuple[str, ...] = (ENTITY,)
    patterns: tuple[str, ...] = ("*.json", "*.jsonl")

    def __init__(self, columnar: bool = True) -> None:
        self.columnar = columnar

    def parse(self, path: Path, context: ParseContext) -> ParseResult:
        if path.suffix.lower() == ".jsonl":
            return self.parse_jsonl(path, context.xapi_occurred_at)
        return self.parse_json(path, context.xapi_occurred_at)

    def parse_jsonl(self, path: Path, occurred_at: str = OCCURRED_AT_DEFAULT) -> ParseResult:
        if self.columnar:
            from connectors.lms import xapi_columnar

            fast = xapi_columnar.parse_jsonl(path, occurred_at)
            if fast is not None:
                return fast
        result = ParseResult()
        for number, line, utf8 in _lines(path):
            if utf8:
                parse_line(result, path.name, number, line, occurred_at)
                continue
            error = FieldError(
                "parse.encoding", None, None, "line is not UTF-8 text (an undecodable byte, e.g. cp1252)"
            )
            result.rejects.append(reject_from(error, ENTITY, path.name, number, line.strip()))
        return result

    def parse_json(self, path: Path, occurred_at: str = OCCURRED_AT_DEFAULT) -> ParseResult:
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
            _add(result, path.name, index, stmt, None, occurred_at)
        return result
