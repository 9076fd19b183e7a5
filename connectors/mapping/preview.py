"""What ``trainops parse FILE --source NAME`` shows: the source's reading of a file (through its
``mapping:`` if it has one) as a table of the first records, and every reject with rule and file:line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from connectors.base import ParseContext, ParseResult, SourceError
from connectors.files import FileDropOptions
from connectors.parsing import assume_timezone
from connectors.registry import file_parser

_WIDTH = 28  # a cell is cut to this many characters


def parse_as_source(
    name: str,
    kind: str,
    options: FileDropOptions,
    files: Iterable[Path],
    context: ParseContext | None = None,
    assumed_zone: str | None = None,
) -> ParseResult:
    """Parse ``files`` as source ``name`` would, given its parse context and ``assume_timezone``;
    a file it refuses is a `SourceError`."""
    parser = file_parser(kind, options)
    context = context or ParseContext(source_name=name)
    result = ParseResult()
    with assume_timezone(assumed_zone):
        for path in files:
            if not path.is_file():
                raise SourceError(f"{path}: no such file")
            result.extend(parser.parse(path, context))
    return result


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text if len(text) <= _WIDTH else text[: _WIDTH - 1] + "…"


def render_table(result: ParseResult, limit: int = 20) -> str:
    """Per entity: its record count and the first ``limit`` records as a table of the fields that
    hold a value; then the rejects (all of them: they are what needs fixing)."""
    out: list[str] = []
    for entity, records in sorted(result.records.items()):
        shown = records[:limit]
        out.append(
            f"{entity}: {len(records)} record(s)" + (f", first {len(shown)}" if len(shown) < len(records) else "")
        )
        fields = [key for key in records[0] if key != "raw" and any(record.get(key) is not None for record in shown)]
        fields = [key for key in fields if not key.startswith("_")]
        rows = [["line", *fields]] + [
            [str(r["_source_line"] or ""), *(_cell(r.get(key)) for key in fields)] for r in shown
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            out.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    out.append(f"rejected: {len(result.rejects)} row(s)")
    for reject in result.rejects:
        where = reject.source_file if reject.source_line is None else f"{reject.source_file}:{reject.source_line}"
        value = f" value={reject.value!r}" if reject.value is not None else ""
        out.append(f"  {where}  [{reject.rule}]{value}  {reject.message}")
    return "\n".join(out)
