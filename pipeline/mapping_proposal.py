"""``trainops map FILE --kind KIND``: a starting ``mapping:`` for a file in someone else's layout.

The file's columns (``pipeline/mapping_sample.py``) are matched to the kind's canonical fields by name —
case, accents, spacing and punctuation ignored, and through the synonyms of
``pipeline/mapping_synonyms.py`` (``Hire date``, ``Personalnummer``, ``E-Mail``…), with a close-spelling
fallback marked as such. Sample values decide the rest: date formats (day-first, month-first — said
when it cannot be told —, Excel serials), decimal commas, and ``values:`` for status-like fields with
every word seen, mapped to the canonical word where that is obvious and left as a ``# TODO`` otherwise.

The proposal is printed as a ``sources:`` item to paste (YAML), followed by what it could not do: the
required fields no column matched, and the columns left to ``raw``.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.mapping import MAPPED_KINDS
from connectors.parsing import COERCERS, CsvSpec, FieldError
from pipeline.mapping_sample import Column, Sample, read_sample
from pipeline.mapping_synonyms import BOOLEAN_WORDS, FIELD_SYNONYMS, VOCABULARIES, canonical_word, normal

# the kinds a mapping can feed, by their canonical spec (connectors/mapping/kinds.py owns the list)
KIND_SPECS: dict[str, CsvSpec] = {kind: mapped.spec for kind, mapped in MAPPED_KINDS.items()}
FUZZY_CUTOFF = 0.86  # a close spelling (SequenceMatcher ratio of the normalised names) counts, marked
MAX_WORDS = 40  # more distinct values than this: not a status-like column
DATE_FORMATS: tuple[str, ...] = (
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y%m%d",
)
DATE_FORMATS += ("%d %b %Y", "%b %d, %Y", "%d %B %Y", "%B %d, %Y", "%Y-%m-%d")
TIME_FORMATS = (" %H:%M:%S", " %H:%M", "T%H:%M:%S", "T%H:%M", " %H:%M:%S.%f", "T%H:%M:%S.%f")
_DECIMAL_COMMA = re.compile(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+$")
AMBIGUOUS = "TODO ambiguous:"
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_NAME_DATE = re.compile(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)")
_NAME_DAY_FIRST = re.compile(r"(?<!\d)\d{2}\.\d{2}\.\d{4}(?!\d)")


class ProposalError(ValueError):
    """A ``trainops map`` request that cannot be answered (unknown kind, unreadable file)."""


@dataclass
class FieldProposal:
    """Where one canonical field comes from, and what else it needs."""

    column: Column
    fuzzy: bool = False
    date_format: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # source word → canonical word
    todo_values: list[str] = field(default_factory=list)  # source words with no obvious canonical word
    note: str | None = None  # a comment for the field's line


@dataclass
class Proposal:
    kind: str
    sample: Sample
    fields: dict[str, FieldProposal]  # in the kind's column order
    missing_required: list[str]
    left_to_raw: list[str]  # source columns no field uses
    decimal_comma: bool = False
    date_format: str | None = None  # the one format of every date field, when they share it
    snapshot_date: dict[str, Any] | None = None  # hris: where the snapshot date comes from
    snapshot_note: str | None = None


def propose(path: Path, kind: str) -> Proposal:
    """Match ``path``'s columns to the fields of ``kind`` and read their formats off the values."""
    spec = KIND_SPECS.get(kind)
    if spec is None:
        raise ProposalError(f"unknown kind {kind!r} (kinds with mappings: {', '.join(KIND_SPECS)})")
    sample = read_sample(path)
    matched = match_columns(sample.columns, list(spec.columns))
    fields: dict[str, FieldProposal] = {}
    decimal_comma = False
    for name in spec.columns:
        if name not in matched:
            continue
        column, fuzzy = matched[name]
        proposal = FieldProposal(column, fuzzy=fuzzy, note="close spelling: check" if fuzzy else None)
        decimal_comma |= _read_values(kind, name, spec.columns[name], proposal)
        fields[name] = proposal
    used = {proposal.column.name for proposal in fields.values()}
    result = Proposal(
        kind=kind,
        sample=sample,
        fields=fields,
        missing_required=[name for name in spec.required if name not in fields],
        left_to_raw=[column.name for column in sample.columns if column.name not in used],
        decimal_comma=decimal_comma,
    )
    _share_date_format(result, spec)
    if kind == "hris_csv" and "snapshot_date" not in fields:
        result.snapshot_date, result.snapshot_note = _snapshot_from_name(path.name)
        result.missing_required.remove("snapshot_date")
    return result


# -- matching --------------------------------------------------------------------------------------


def _names(column: Column) -> set[str]:
    """The normalised names a column answers to: header / label, and a JSON path's last key."""
    keys = [key for key in re.split(r"\.|\[\*\]", column.name) if key and key != "value"]
    names = {normal(column.name), normal(column.label)}
    if keys:
        names.add(normal(keys[-1].strip('"')))
    return names - {""}


def match_columns(columns: list[Column], fields: list[str]) -> dict[str, tuple[Column, bool]]:
    """Canonical field → (its column, matched by a close spelling only). Each column serves one
    field; a field's own name beats its synonyms, earlier synonyms beat later ones."""
    candidates: list[tuple[float, int, str, Column]] = []
    for position, column in enumerate(columns):
        names = _names(column)
        for name in fields:
            spellings = [normal(name)] + [normal(synonym) for synonym in FIELD_SYNONYMS.get(name, ())]
            ranks = [rank for rank, spelling in enumerate(spellings) if spelling in names]
            if ranks:
                candidates.append((min(ranks), position, name, column))
                continue
            ratio = max(_similarity(spelling, other) for spelling in spellings for other in names)
            if ratio >= FUZZY_CUTOFF:
                candidates.append((1000 + (1 - ratio), position, name, column))
            elif any(other.endswith(spelling) and len(spelling) >= 5 for spelling in spellings for other in names):
                candidates.append((1500, position, name, column))  # "Enrollment status" ends in "status"
    matched: dict[str, tuple[Column, bool]] = {}
    taken: set[str] = set()
    for rank, _, name, column in sorted(candidates, key=lambda item: (item[0], item[1])):
        if name in matched or column.name in taken:
            continue
        matched[name] = (column, rank >= 1000)
        taken.add(column.name)
    return matched


def _similarity(left: str, right: str) -> float:
    return difflib.SequenceMatcher(None, left, right).ratio()


# -- values ----------------------------------------------------------------------------------------


def _read_values(kind: str, name: str, type_name: str, proposal: FieldProposal) -> bool:
    """Fill in the field's format or value map from its values; True if they use a decimal comma."""
    values = proposal.column.values
    if type_name in ("date", "timestamp"):
        proposal.date_format, note = guess_date_format(values, type_name)
        proposal.note = note or proposal.note
    elif type_name in ("decimal", "float", "int"):
        return (
            bool(values)
            and all(_DECIMAL_COMMA.match(value) or _plain_int(value) for value in values[:500])
            and any(_DECIMAL_COMMA.match(value) for value in values[:500])
        )
    elif type_name == "bool":
        _bool_values(values, proposal)
    elif (kind, name) in VOCABULARIES:
        _word_values(kind, name, values, proposal)
    return False


def _plain_int(value: str) -> bool:
    return value.lstrip("-").isdigit()


def _distinct(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.lower(), value)
    return list(seen.values())


def _word_values(kind: str, name: str, values: list[str], proposal: FieldProposal) -> None:
    words = _distinct(values)
    if len(words) > MAX_WORDS:
        proposal.note = f"{len(words)} distinct values: check this is the right column"
        return
    for word in words:
        canonical = canonical_word(kind, name, word)
        if canonical is None:
            proposal.todo_values.append(word)
        else:
            proposal.values[word] = canonical


def _bool_values(values: list[str], proposal: FieldProposal) -> None:
    words = _distinct(values)
    try:
        for word in words:
            COERCERS["bool"](word, None)
        return  # true/false, yes/no, y/n, 1/0: read as they are
    except FieldError:
        pass
    for word in words[:MAX_WORDS]:
        meaning = BOOLEAN_WORDS.get(normal(word))
        if meaning is None:
            try:
                meaning = "true" if COERCERS["bool"](word, None) else "false"
            except FieldError:
                proposal.todo_values.append(word)
                continue
        proposal.values[word] = meaning


def guess_date_format(values: list[str], type_name: str) -> tuple[str | None, str | None]:
    """(the strptime format, or ``excel``, that reads every value; a note) — (None, None) when the
    canonical ISO parser reads them all already."""
    distinct = _distinct(values)[:300]
    if not distinct:
        return None, "no values seen: check the format"
    iso = COERCERS[type_name]
    if all(_reads(iso, value) for value in distinct):
        return None, None
    if all(_SERIAL.match(value) and 10000 <= float(value) <= 80000 for value in distinct):
        return "excel", "Excel serial day numbers"
    formats = DATE_FORMATS if type_name == "date" else tuple(d + t for d in DATE_FORMATS for t in TIME_FORMATS)
    fits = {fmt: [value for value in distinct if _fits(fmt, value)] for fmt in formats}
    best = max(len(read) for read in fits.values())
    if best == 0:
        return None, f"TODO: no known format reads e.g. {distinct[0]!r}"
    fitting = [fmt for fmt in formats if len(fits[fmt]) == best]
    notes = []
    if len(fitting) > 1:
        notes.append(f"{AMBIGUOUS} {' or '.join(fitting[:2])} both read every value seen")
    if best < len(distinct):
        unread = [value for value in distinct if value not in fits[fitting[0]]]
        notes.append(f"{len(unread)} value(s) fit no format, e.g. {unread[0]!r}: their rows will be rejected")
    if type_name == "timestamp":
        notes.append("naive times: set timezone here or the source's assume_timezone, else they are rejected")
    return fitting[0], "; ".join(notes) or None


def _reads(coerce: Any, value: str) -> bool:
    try:
        coerce(value, None)
    except FieldError:
        return False
    return True


def _fits(fmt: str, value: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _share_date_format(proposal: Proposal, spec: CsvSpec) -> None:
    """Date fields that cannot tell day from month follow the one order the file's other date
    fields show; one ``date_format`` for the mapping when every date field reads with the same."""
    dates = [item for name, item in proposal.fields.items() if spec.columns[name] == "date"]
    ambiguous = [item for item in dates if item.note and AMBIGUOUS in item.note]
    decided = {item.date_format for item in dates if item.date_format and item not in ambiguous}
    if len(decided) == 1:
        order = decided.pop()
        for item in ambiguous:
            if order in (item.note or ""):
                item.date_format = order
                item.note = "day and month in the order of the file's other date columns"
    formats = {item.date_format for item in dates}
    if len(formats) == 1 and None not in formats:
        proposal.date_format = formats.pop()
        for item in dates:
            item.date_format = None


def _snapshot_from_name(name: str) -> tuple[dict[str, Any], str]:
    if _NAME_DATE.search(name):
        return {"file_name": r"(\d{4}-\d{2}-\d{2})"}, "from the date in the file name"
    if _NAME_DAY_FIRST.search(name):
        return {"file_name": r"(\d{2}\.\d{2}\.\d{4})", "format": "%d.%m.%Y"}, "from the date in the file name"
    return {"delivery_time": True}, "TODO: no snapshot date column or dated name: the file's delivery day"


# -- rendering -------------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML scalar (JSON's double-quoted strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def source_name(path: Path) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", path.stem.lower()).strip("_")
    return (name if name[:1].isalpha() else f"src_{name}")[:63] or "my_source"


def render(proposal: Proposal) -> str:
    """The proposal as a ``sources:`` item to paste, then what is left to do, as YAML comments."""
    sample = proposal.sample
    lines = [
        f"# trainops map {sample.path.name} --kind {proposal.kind}: {sample.rows} record(s) read.",
        "# Check every TODO, then paste this under `sources:` in trainops.yaml.",
        f"- name: {source_name(sample.path)}",
        f"  kind: {proposal.kind}",
        f"  path: {_q(str(sample.path.parent))}",
        f"  glob: {_q('*' + sample.path.suffix)}",
        "  mapping:",
        f"    format: {sample.format}",
    ]
    if sample.records:
        lines.append(f"    records: {_q(sample.records)}")
    dialect = {"delimiter": _q(sample.delimiter), "encoding": sample.encoding, "header_row": str(sample.header_row)}
    dialect = {key: value for key, value in dialect.items() if value not in ('","', "utf-8", "1")}
    if sample.format == "csv" and dialect:
        lines.append("    csv:")
        lines += [f"      {key}: {value}" for key, value in dialect.items()]
    if proposal.decimal_comma:
        lines.append("    decimal_comma: true")
    if proposal.date_format:
        lines.append(f"    date_format: {_q(proposal.date_format)}")
    lines.append("    columns:")
    key = "path" if sample.format in ("json", "jsonl") else "column"
    for name, item in proposal.fields.items():
        lines += _field_lines(name, item, key, proposal.kind)
    lines += [_missing_line(name, proposal) for name in proposal.missing_required]
    if proposal.snapshot_date is not None:
        options = ", ".join(
            f"{option}: {_q(v) if isinstance(v, str) else 'true'}" for option, v in proposal.snapshot_date.items()
        )
        lines.append(f"    snapshot_date: {{{options}}}  # {proposal.snapshot_note}")
    lines.append(f"# required fields not matched: {', '.join(proposal.missing_required) or 'none'}")
    lines.append(f"# source columns left to raw: {', '.join(proposal.left_to_raw) or 'none'}")
    return "\n".join(lines) + "\n"


def _missing_line(name: str, proposal: Proposal) -> str:
    """A required field no column matched, as a comment; an LMS export without record ids gets a key
    made of who, what and when to start from."""
    parts = ("learner_ref", "course_ref", "occurred_at")
    if name == "record_id" and all(part in proposal.fields for part in parts):
        joined = ", ".join(_q(proposal.fields[part].column.name) for part in parts)
        note = "TODO required: no id column; a key of who, what, when?"
        return f'      # record_id: {{join: [{joined}], sep: "|"}}  # {note}'
    return f"      # {name}: TODO  (required; no column matched)"


def _field_lines(name: str, item: FieldProposal, key: str, kind: str) -> list[str]:
    comment = f"  # {item.note}" if item.note else ""
    if not item.values and not item.todo_values and item.date_format is None:
        return [f"      {name}: {_q(item.column.name)}{comment}"]
    if item.date_format is not None:
        return [f"      {name}: {{{key}: {_q(item.column.name)}, date_format: {_q(item.date_format)}}}{comment}"]
    lines = [f"      {name}:{comment}", f"        {key}: {_q(item.column.name)}"]
    lines.append("        values:" if item.values else "        values: {}")
    lines += [f"          {_q(word)}: {canonical}" for word, canonical in item.values.items()]
    choices = VOCABULARIES.get((kind, name), ("true", "false"))
    hint = ", ".join(choices) if len(choices) <= 8 else "a verb of connectors/vocabulary.py KNOWN_VERBS"
    lines += [f"          # {_q(word)}: TODO  (one of: {hint})" for word in item.todo_values]
    return lines
