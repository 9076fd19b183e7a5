"""Mapping of the columnar ``xapi_files`` path (``connectors/lms/xapi_columnar.py``): the fields
of a statement Arrow reads (``STATEMENT_FIELDS``) → the columns of an ``lms.learning_record``, by
the per-record path's own functions (``connectors/lms/xapi_files.py``) once per distinct value, or
by vectorised code for the values it reproduces exactly. A row it cannot map for certain is not ok:
the per-record path maps (or rejects) that line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from connectors.lms import xapi_files as x
from connectors.lms.xapi_vectorised import per_distinct, timestamps, true
from connectors.parsing import parse_timestamp

_TEXT = pa.string()
_AGENT = [
    ("mbox", _TEXT),
    ("mbox_sha1sum", _TEXT),
    ("openid", _TEXT),
    ("account", pa.struct([("homePage", _TEXT), ("name", _TEXT)])),
]
# The fields the mapping reads, typed as the per-record path expects them (`str`, `bool`, a
# number, an object); anything else in a statement is not read here (it is in `raw`).
STATEMENT_FIELDS = pa.schema(
    [
        ("id", _TEXT),
        ("timestamp", _TEXT),
        ("stored", _TEXT),
        ("actor", pa.struct(_AGENT)),
        ("verb", pa.struct([("id", _TEXT)])),
        ("object", pa.struct([("objectType", _TEXT), ("id", _TEXT)])),
        (
            "result",
            pa.struct(
                [
                    ("success", pa.bool_()),
                    ("completion", pa.bool_()),
                    ("duration", _TEXT),
                    ("score", pa.struct([("scaled", pa.float64())])),
                ]
            ),
        ),
        ("context", pa.struct([("registration", _TEXT), ("platform", _TEXT)])),
        ("authority", pa.struct([*_AGENT, ("member", pa.list_(pa.struct(_AGENT)))])),
    ]
)

# A value the vectorised path takes as it stands: printable ASCII without spaces, so `strip()`,
# `lower()` and the like change nothing, or change it as ASCII.
_PRINTABLE = r"^[!-~]+$"


Field = Callable[[str], pa.Array]


def map_statements(
    parsed: pa.Table, occurred_at: str = x.OCCURRED_AT_DEFAULT
) -> tuple[dict[str, pa.Array], np.ndarray]:
    """Every column of the entity (but ``raw``) for every parsed row, and which rows mapped;
    ``occurred_at`` is the source's ``xapi.occurred_at`` setting (``xapi_files.occurred``)."""
    ok = np.ones(parsed.num_rows, dtype=bool)

    def field(path: str) -> pa.Array:
        names = path.split(".")
        column: Any = parsed.column(names[0]).combine_chunks()
        for name in names[1:]:
            column = pc.struct_field(column, name)
        return column

    return {
        **_ids_and_times(field, ok, occurred_at),
        "learner_ref": _learners(field, ok),
        **_verb_and_target(field, ok),
        **_results(field, ok),
        "registration": field("context.registration"),
        "source_system": _source_system(field, parsed, ok),
    }, ok


def _ids_and_times(field: Field, ok: np.ndarray, occurred_at: str) -> dict[str, pa.Array]:
    """record_id (printable ASCII as it stands, anything else by the function; a statement without
    an id goes to the per-record path, which derives one), occurred_at, stored_at and lineage."""
    ids = field("id")
    plain = true(pc.match_substring_regex(ids, _PRINTABLE))
    other, good = per_distinct([ids], _statement_id, pa.string(), skip=plain)
    ok &= good
    timestamp, good = timestamps(field("timestamp"), "timestamp")
    ok &= good
    stored_at, good = timestamps(field("stored"), "stored")
    ok &= good
    given = pc.is_valid(timestamp)
    if occurred_at == "stored":
        occurred, occurred_from = stored_at, pa.repeat(pa.scalar("stored", _TEXT), len(ids))
    else:
        fallback, fallback_from = (
            (stored_at, "stored")
            if occurred_at == x.OCCURRED_AT_DEFAULT
            else (pa.scalar(parse_timestamp(occurred_at, "xapi.occurred_at"), stored_at.type), "constant")
        )
        occurred = pc.coalesce(timestamp, fallback)
        occurred_from = pc.if_else(given, pa.scalar("timestamp", _TEXT), pa.scalar(fallback_from, _TEXT))
    ok &= true(pc.is_valid(occurred))
    return {
        "record_id": pc.if_else(pa.array(plain), ids, other),
        "occurred_at": occurred,
        "stored_at": stored_at,
        "record_id_derived": pa.array(np.zeros(len(ids), dtype=bool)),
        "occurred_at_from": occurred_from,
    }


def _learners(field: Field, ok: np.ndarray) -> pa.Array:
    """learner_ref (agent_ref): a printable mbox or an account as they stand, other actors by the
    function once per distinct combination of their identifying fields."""
    mbox, sha1, openid, home, name = (
        field(f"actor.{key}") for key in ("mbox", "mbox_sha1sum", "openid", "account.homePage", "account.name")
    )
    plain_mbox = true(pc.match_substring_regex(mbox, _PRINTABLE))
    address = pc.ascii_lower(mbox)
    address = pc.if_else(pc.starts_with(address, "mailto:"), pc.utf8_slice_codeunits(address, 7), address)
    account = (
        true(pc.is_null(mbox))
        & true(pc.is_null(sha1))
        & true(pc.is_valid(home))
        & true(pc.greater(pc.binary_length(name), 0))
    )
    account_ref = pc.binary_join_element_wise(pa.scalar("account:"), home, pa.scalar("|"), name, "")
    other, good = per_distinct(
        [mbox, sha1, openid, home, name], _learner, pa.string(), skip=plain_mbox | account, cache=_CACHES["learner"]
    )
    ok &= good
    return pc.if_else(pa.array(plain_mbox), address, pc.if_else(pa.array(account), account_ref, other))


def _verb_and_target(field: Field, ok: np.ndarray) -> dict[str, pa.Array]:
    """verb, and the object (which depends on the verb only as "voided or not")."""
    verb, good = per_distinct([field("verb.id")], _verb, pa.string(), cache=_CACHES["verb"])
    ok &= good
    voided = pc.fill_null(pc.equal(verb, "voided"), False)
    target_type = pa.struct([("course_ref", _TEXT), ("activity_id", _TEXT), ("voids", _TEXT)])
    targets, good = per_distinct(
        [voided, field("object.objectType"), field("object.id")], _target, target_type, cache=_CACHES["target"]
    )
    ok &= good
    return {
        "course_ref": pc.struct_field(targets, "course_ref"),
        "activity_id": pc.struct_field(targets, "activity_id"),
        "verb": verb,
        "voids_record_id": pc.struct_field(targets, "voids"),
    }


def _results(field: Field, ok: np.ndarray) -> dict[str, pa.Array]:
    """The booleans as they are (Arrow refused any other JSON type), the score as Arrow read it
    (but -0, which Python reads as the integer 0), the duration by the function."""
    scaled = field("result.score.scaled")
    values = scaled.to_numpy(zero_copy_only=False)
    ok &= ~((values == 0) & np.signbit(values))
    duration, good = per_distinct([field("result.duration")], _duration, pa.float64(), cache=_CACHES["duration"])
    ok &= good
    return {
        "success": field("result.success"),
        "completion": field("result.completion"),
        "score_scaled": scaled,
        "duration_seconds": duration,
    }


def _source_system(field: Field, parsed: pa.Table, ok: np.ndarray) -> pa.Array:
    """The context's platform, else the authority."""
    platform, good = per_distinct([field("context.platform")], _platform, _TEXT, cache=_CACHES["platform"])
    ok &= good
    members = field("authority.member")
    authority, good = per_distinct(
        [field(f"authority.{key}") for key in ("mbox", "mbox_sha1sum", "openid", "account.homePage", "account.name")],
        _agent,
        _TEXT,
        cache=_CACHES["authority"],
    )
    ok &= good
    with_members = np.flatnonzero(true(pc.is_valid(members)) & ~true(pc.is_valid(authority)))
    if len(with_members):  # a Group authority identified by its members: rare, row by row
        authority = _authority_by_members(parsed.column("authority").combine_chunks(), with_members, authority)
    origin = pc.coalesce(platform, authority)
    return pc.if_else(
        pc.is_valid(origin),
        pc.binary_join_element_wise(pa.scalar("xapi:"), origin, ""),
        pa.scalar("xapi", _TEXT),
    )


# --- the per-record functions, on the fields Arrow read ---------------------------------------------


_CACHES: dict[str, dict[tuple[Any, ...], Any]] = {
    name: {} for name in ("learner", "verb", "target", "duration", "platform", "authority")
}


def _verb(verb_id: Any) -> str:
    return x.verb_of({"id": verb_id})


def _duration(duration: Any) -> float | None:
    return x.result_values({"duration": duration})[3]


def _platform(platform: Any) -> str | None:
    return x.platform_of({"platform": platform})


def _statement_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("no id")  # the per-record path rejects it, with its own message
    return value.strip()


def _learner(mbox: Any, sha1: Any, openid: Any, home: Any, name: Any) -> str:
    return x.learner_of(
        {"mbox": mbox, "mbox_sha1sum": sha1, "openid": openid, "account": {"homePage": home, "name": name}}
    )


def _target(voided: bool, object_type: Any, object_id: Any) -> tuple[Any, Any, Any]:
    return x.target_of("voided" if voided else "", {"objectType": object_type, "id": object_id})


def _agent(mbox: Any, sha1: Any, openid: Any, home: Any, name: Any) -> str | None:
    """``agent_ref`` of an agent with these identifying fields (an authority's own identifier;
    a Group authority identified only by its members is looked at row by row)."""
    return x.agent_ref(
        {"mbox": mbox, "mbox_sha1sum": sha1, "openid": openid, "account": {"homePage": home, "name": name}}
    )


def _authority_by_members(authority: pa.StructArray, rows: np.ndarray, refs: pa.Array) -> pa.Array:
    values = refs.to_pylist()
    for row, agent in zip(rows.tolist(), authority.take(rows).to_pylist(), strict=True):
        values[row] = x.authority_agent_ref(agent)
    return pa.array(values, _TEXT)
