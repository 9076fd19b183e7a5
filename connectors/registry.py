"""Every source kind by name — the file-drop kinds (docs/data-model.md) and the API kinds — with
its connector, options model and streams; kind detection and what `trainops parse` shows.

The one registry: every connector module is imported here, explicitly, when this module is first
imported, so a connector that cannot be imported fails loudly with its own error (never as an
"unknown kind"). Adding a kind = one line here (and its module).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import ValidationError

from connectors.base import (
    Connector,
    FileParser,
    ParseContext,
    ParseResult,
    SourceError,
    StreamMode,
    StreamSpec,
    streams,
)
from connectors.files import FileDropConnector, FileDropOptions
from connectors.hris.bamboohr import BambooHrConnector
from connectors.hris.csv_drop import HrisCsvParser
from connectors.hris.merge import MergeHrisConnector
from connectors.hris.workday import WorkdayRaasConnector
from connectors.lms.csv_drops import BookingsCsvParser, LmsCsvParser, SessionsCsvParser
from connectors.lms.xapi_files import XapiFilesParser
from connectors.lms.xapi_lrs import XapiLrsConnector
from connectors.mapping import MappedParser
from connectors.options import ConnectorOptions, HttpOptions
from connectors.parsing import read_csv_header
from connectors.state import LoadUnit, SourceState, first_problem
from connectors.vendors.invoices_csv import InvoicesCsvParser
from connectors.vendors.ubl import InvoicesXmlParser


@dataclass(frozen=True)
class FileKind:
    """A file-drop kind: its parser and how its loads relate (``StreamSpec.mode``)."""

    parser: FileParser
    mode: StreamMode

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return streams(self.mode, *self.parser.entities)


FILE_KINDS: dict[str, FileKind] = {
    kind.parser.kind: kind
    for kind in (
        FileKind(HrisCsvParser(), "snapshot"),
        FileKind(XapiFilesParser(), "append"),
        FileKind(LmsCsvParser(), "append"),
        FileKind(SessionsCsvParser(), "append"),
        FileKind(BookingsCsvParser(), "append"),
        FileKind(InvoicesCsvParser(), "append"),
        FileKind(InvoicesXmlParser(), "append"),
    )
}
PARSERS: dict[str, FileParser] = {name: kind.parser for name, kind in FILE_KINDS.items()}


class ApiConnector(Connector[Any, Any], Protocol):
    """An API kind's connector class: built from its options model's validated instance."""

    kind: str
    read_unit: Callable[..., Any]  # the class's own unit model from a manifest's `unit`
    # each class has its own SourceState and HttpOptions models; a class variable is invariant
    # under mypy, so the members say `type[Any]` and the accessors below give the common base
    state_type: ClassVar[type[Any]]
    options_type: ClassVar[type[Any]]

    def __init__(self, name: str, options: Any, *, env: Mapping[str, str] = ...) -> None: ...


_API_CLASSES: tuple[type[ApiConnector], ...] = (
    XapiLrsConnector,
    BambooHrConnector,
    WorkdayRaasConnector,
    MergeHrisConnector,
)
API_CONNECTORS: dict[str, type[ApiConnector]] = {cls.kind: cls for cls in _API_CLASSES}


def known_kinds() -> str:
    return f"file kinds: {', '.join(FILE_KINDS)}; API kinds: {', '.join(API_CONNECTORS)}"


def unknown_kind(kind: Any) -> str:
    return f"unknown kind {kind!r} ({known_kinds()})"


def options_model(kind: str) -> type[ConnectorOptions]:
    """The model a source's keys of this kind are validated against."""
    if kind in FILE_KINDS:
        return FileDropOptions
    return api_connector(kind).options_type


def api_connector(kind: str) -> type[ApiConnector]:
    if kind not in API_CONNECTORS:
        raise SourceError(unknown_kind(kind))
    return API_CONNECTORS[kind]


def kind_streams(kind: str) -> tuple[StreamSpec, ...]:
    return FILE_KINDS[kind].streams if kind in FILE_KINDS else api_connector(kind).streams


def state_type(kind: str) -> type[SourceState]:
    """The model of a source's state file."""
    return FileDropConnector.state_type if kind in FILE_KINDS else api_connector(kind).state_type


def read_unit(kind: str, data: Mapping[str, Any]) -> LoadUnit | None:
    """A landed load's unit (its manifest's ``unit``) as its kind's model; None when it is empty."""
    if not data:
        return None
    reader = FileDropConnector.read_unit if kind in FILE_KINDS else api_connector(kind).read_unit
    try:
        return reader(data)
    except ValidationError as exc:
        raise SourceError(f"a {kind} load's unit is not one this version can read ({first_problem(exc)})") from None


def file_connector(name: str, kind: str, options: FileDropOptions, context: ParseContext) -> FileDropConnector:
    return FileDropConnector(name, file_parser(kind, options), options, context, FILE_KINDS[kind].streams)


def file_parser(kind: str, options: FileDropOptions) -> FileParser:
    """The kind's parser, or its mapped reading when the source has a ``mapping:`` (connectors/mapping)."""
    mapping = getattr(options, "mapping", None)
    if mapping is None:
        return FILE_KINDS[kind].parser
    return MappedParser(kind, mapping)


def api_source_connector(name: str, kind: str, options: HttpOptions) -> ApiConnector:
    """The API connector of a source, given its validated options (``options_model(kind)``)."""
    cls = api_connector(kind)
    if not isinstance(options, cls.options_type):
        raise TypeError(f"source {name!r}: {kind} takes {cls.options_type.__name__}, not {type(options).__name__}")
    return cls(name, options)


# CSV kinds told apart by the header columns only they have, checked in this order.
_CSV_SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("invoices_csv", frozenset({"invoice_number", "line_amount"})),
    ("hris_csv", frozenset({"employee_id", "hire_date"})),
    ("lms_csv", frozenset({"record_id", "verb"})),
    ("sessions_csv", frozenset({"session_id", "capacity"})),
    ("bookings_csv", frozenset({"session_id", "learner_ref"})),
)


def detect_kind(path: Path) -> str:
    """The file-drop kind of a file: by extension, and for CSV by its header columns."""
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl"):
        return "xapi_files"
    if suffix == ".xml":
        return "invoices_xml"
    if suffix == ".csv":
        header = set(read_csv_header(path))
        for kind, columns in _CSV_SIGNATURES:
            if columns <= header:
                return kind
        raise SourceError(
            f"{path.name}: cannot tell which kind of CSV this is from its header "
            f"({', '.join(sorted(header))}); pass --kind ({', '.join(sorted(PARSERS))})"
        )
    raise SourceError(
        f"{path.name}: cannot tell the kind from the extension {suffix or '(none)'!r}; "
        f"pass --kind ({', '.join(sorted(PARSERS))})"
    )


def parse_files(
    paths: Iterable[Path | str], kind: str | None = None, context: ParseContext | None = None
) -> ParseResult:
    """Parse files of one given kind, or each of its detected kind, into one result.

    Raises `SourceError` for an unknown kind, a missing file or a file that cannot be read at all.
    """
    context = context or ParseContext()
    if kind is not None and kind not in PARSERS:
        raise SourceError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(PARSERS))}")
    result = ParseResult()
    for item in paths:
        path = Path(item)
        if not path.is_file():
            raise SourceError(f"{path}: no such file")
        result.extend(PARSERS[kind or detect_kind(path)].parse(path, context))
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _location(source_file: str, source_line: int | None) -> str:
    return source_file if source_line is None else f"{source_file}:{source_line}"


def format_result(result: ParseResult, as_json: bool = False) -> str:
    """Records per entity and each rejection with file:line, rule, column, value and message."""
    if as_json:
        document = {
            "records": {
                entity: [{key: _jsonable(value) for key, value in record.items()} for record in records]
                for entity, records in sorted(result.records.items())
            },
            "rejects": [asdict(reject) for reject in result.rejects],
        }
        return json.dumps(document, ensure_ascii=False, indent=2)

    out: list[str] = []
    for entity, records in sorted(result.records.items()):
        out.append(f"{entity}: {len(records)} record(s)")
        for record in records:
            fields = ", ".join(
                f"{key}={_jsonable(value)}"
                for key, value in record.items()
                if value is not None and not key.startswith("_") and key != "raw"
            )
            out.append(f"  {_location(record['_source_file'], record['_source_line'])}  {fields}")
    out.append(f"rejected: {len(result.rejects)} row(s)")
    for reject in result.rejects:
        where = _location(reject.source_file, reject.source_line)
        column = f" column={reject.column_name}" if reject.column_name else ""
        value = f" value={reject.value!r}" if reject.value is not None else ""
        out.append(f"  {where}  [{reject.rule}]{column}{value}  {reject.entity}: {reject.message}")
    return "\n".join(out)
