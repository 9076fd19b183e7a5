"""The demo's CSV drops in a foreign layout: the same facts as another company's systems would export
them, read back through ``mapping:`` blocks instead of the canonical layout (docs/data-model.md).

``to_foreign_layout(out_dir)`` rewrites the five CSV drops of a generated demo in place — HR roster,
LMS completions, sessions, bookings, CSV invoices — and returns the ``mapping:`` of each source:

- other headers (a German HR and billing system, an English LMS with its own column names);
- ``;`` as delimiter; the invoices in Windows-1252, the LMS export in UTF-8 with a BOM;
- day-first dates (``31.10.2026``) and timestamps (``31.10.2026 09:00:00``, UTC);
- decimal commas with thousands dots (``1.234,50``) and ``Y``/``N`` booleans;
- other status words (``Aktiv``, ``Ausgetreten``, ``teilgenommen``, ``Complete``, ``Gutschrift``…).

File names, row order and line numbers stay as they were, so a mart that names a record's file and
line says the same in both layouts. A value the converter does not recognise (the demo's planted
defects: ``2023-02-30``, ``17/06/2026``, ``ten``, a status such as ``retired``) is written as it
stood, reordered where its shape allows, so it is rejected or quarantined as in the canonical layout;
value maps pass such words through unchanged for the validation step to judge.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.parsing import FieldError, parse_date, parse_decimal, parse_float, parse_timestamp

DATE_FORMAT = "%d.%m.%Y"
TIMESTAMP_FORMAT = "%d.%m.%Y %H:%M:%S"
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_UTC = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$")
_PLAIN_NUMBER = re.compile(r"^(-?)(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class Layout:
    """One source's foreign layout: its header per canonical column and how values are spelled."""

    source: str  # the demo source (pipeline.demo_config.DEMO_SOURCES)
    folder: str  # under drops/
    headers: dict[str, str]  # canonical column → foreign header
    encoding: str = "utf-8"
    words: dict[str, dict[str, str]] = field(default_factory=dict)  # column → canonical → foreign word
    dates: tuple[str, ...] = ()
    timestamps: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()  # decimal / float columns: decimal comma
    booleans: tuple[str, ...] = ()  # true/false → Y/N
    snapshot_from_name: str | None = None  # regex with the ISO date as group 1


LAYOUTS = (
    Layout(
        source="hr",
        folder="hris",
        headers={
            "employee_id": "Personalnummer",
            "email": "E-Mail",
            "given_name": "Vorname",
            "family_name": "Nachname",
            "status": "Status",
            "hire_date": "Eintrittsdatum",
            "termination_date": "Austrittsdatum",
            "job_code": "Stellenschlüssel",
            "job_title": "Stellenbezeichnung",
            "department": "Abteilung",
            "cost_center": "Kostenstelle",
            "country": "Land",
            "region": "Region",
            "manager_id": "Vorgesetzter",
            "employment_type": "Beschäftigungsart",
            "updated_at": "Geändert am",
        },
        words={"status": {"active": "Aktiv", "leave": "Beurlaubt", "terminated": "Ausgetreten"}},
        dates=("hire_date", "termination_date"),
        timestamps=("updated_at",),
        snapshot_from_name=r"employees_(\d{4}-\d{2}-\d{2})\.csv",
    ),
    Layout(
        source="legacy_lms",
        folder="lms",
        encoding="utf-8-sig",
        headers={
            "record_id": "Completion ID",
            "learner_ref": "User ID",
            "course_ref": "Course Code",
            "verb": "Completion Status",
            "occurred_at": "Completion Date",
            "success": "Success",
            "score_scaled": "Score",
        },
        words={"verb": {"completed": "Complete", "passed": "Pass", "failed": "Fail"}},
        timestamps=("occurred_at",),
        numbers=("score_scaled",),
        booleans=("success",),
    ),
    Layout(
        source="sessions",
        folder="sessions",
        headers={
            "session_id": "Termin-ID",
            "course_ref": "Kurs",
            "vendor_id": "Anbieter",
            "modality": "Format",
            "starts_at": "Beginn",
            "ends_at": "Ende",
            "capacity": "Plätze",
            "location": "Ort",
            "status": "Terminstatus",
        },
        words={
            "modality": {"ilt": "Präsenz", "vilt": "Virtuell", "self_paced": "Selbstlernen"},
            "status": {
                "scheduled": "geplant",
                "delivered": "durchgeführt",
                "cancelled_by_vendor": "abgesagt (Anbieter)",
                "cancelled_by_client": "abgesagt (Kunde)",
            },
        },
        timestamps=("starts_at", "ends_at"),
    ),
    Layout(
        source="bookings",
        folder="bookings",
        headers={
            "session_id": "Termin-ID",
            "learner_ref": "Teilnehmer",
            "status": "Buchungsstatus",
            "booked_at": "Gebucht am",
            "updated_at": "Geändert am",
        },
        words={
            "status": {
                "booked": "gebucht",
                "attended": "teilgenommen",
                "no_show": "nicht erschienen",
                "cancelled": "storniert",
            }
        },
        timestamps=("booked_at", "updated_at"),
    ),
    Layout(
        source="invoices_csv",
        folder="invoices_csv",
        encoding="cp1252",
        headers={
            "vendor_id": "Lieferant",
            "invoice_number": "Rechnungsnummer",
            "document_type": "Belegart",
            "issue_date": "Rechnungsdatum",
            "currency": "Währung",
            "period_start": "Leistung von",
            "period_end": "Leistung bis",
            "line_id": "Position",
            "item_ref": "Artikel",
            "description": "Beschreibung",
            "quantity": "Menge",
            "unit_price": "Einzelpreis",
            "line_amount": "Betrag",
            "learner_refs": "Teilnehmer",
            "due_date": "Fällig am",
            "purchase_order": "Bestellnummer",
            "preceding_invoice": "Bezugsrechnung",
            "tax_total": "Steuer",
            "total_incl_tax": "Brutto",
        },
        words={"document_type": {"invoice": "Rechnung", "credit_note": "Gutschrift"}},
        dates=("issue_date", "period_start", "period_end", "due_date"),
        numbers=("quantity", "unit_price", "line_amount", "tax_total", "total_incl_tax"),
    ),
)


def to_foreign_layout(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Rewrite the CSV drops of the demo under ``out_dir`` in their foreign layout (in place) and
    return each rewritten source's ``mapping:`` (source name → mapping), ready for trainops.yaml."""
    mappings = {}
    for layout in LAYOUTS:
        seen: dict[str, set[str]] = {column: set() for column in layout.words}
        columns: list[str] = []
        for path in sorted((Path(out_dir) / "drops" / layout.folder).glob("*.csv")):
            header = _rewrite(path, layout, seen)
            columns += [column for column in header if column not in columns]
        mappings[layout.source] = _mapping(layout, columns, seen)
    return mappings


def _rewrite(path: Path, layout: Layout, seen: dict[str, set[str]]) -> list[str]:
    """One canonical CSV → the foreign layout, same name and lines; returns its canonical header."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    out = [[layout.headers.get(column, column) for column in header]]
    for row in rows[1:]:
        out.append([_value(layout, column, text, seen) for column, text in zip(header, row, strict=False)])
    with open(path, "w", encoding=layout.encoding, newline="") as handle:
        csv.writer(handle, delimiter=";", lineterminator="\n").writerows(out)
    return header


def _value(layout: Layout, column: str, text: str, seen: dict[str, set[str]]) -> str:
    """One canonical value in the foreign spelling (unrecognised values as they stood)."""
    if text.strip() == "":
        return text
    if column in layout.words:
        word = layout.words[column].get(text.strip().lower(), text)
        seen[column].add(word)
        return word
    if column in layout.dates:
        return _reorder(text, _ISO_DATE, "{2}.{1}.{0}", parse_date)
    if column in layout.timestamps:
        return _reorder(text, _ISO_UTC, "{2}.{1}.{0} {3}:{4}:{5}", parse_timestamp)
    if column in layout.numbers:
        return _decimal_comma(text)
    if column in layout.booleans:
        return {"true": "Y", "false": "N"}.get(text.strip().lower(), text)
    return text


def _reorder(text: str, pattern: re.Pattern[str], template: str, parser: Any) -> str:
    """An ISO date or UTC timestamp in day-first order; anything else as it stood (it must not be a
    value the canonical layout accepts, or the two layouts would say different things)."""
    match = pattern.match(text.strip())
    if match:
        return template.format(*match.groups())
    try:
        parser(text)
    except FieldError:
        return text
    raise ValueError(f"foreign layout: {text!r} is valid but has no day-first spelling here")


def _decimal_comma(text: str) -> str:
    """``1234.5`` → ``1.234,5``; a value that is not a plain number stays as it stood."""
    match = _PLAIN_NUMBER.match(text.strip())
    if not match:
        try:
            parse_decimal(text)
            parse_float(text)
        except FieldError:
            return text
        raise ValueError(f"foreign layout: {text!r} is a number with no decimal-comma spelling here")
    sign, whole, fraction = match.groups()
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{sign}{grouped},{fraction}" if fraction is not None else f"{sign}{grouped}"


def _mapping(layout: Layout, columns: list[str], seen: dict[str, set[str]]) -> dict[str, Any]:
    """The ``mapping:`` that reads the foreign files back into the canonical columns."""
    mapping: dict[str, Any] = {"format": "csv", "csv": {"delimiter": ";"}}
    if layout.encoding == "cp1252":
        mapping["csv"]["encoding"] = "cp1252"
    if layout.timestamps:
        mapping["timezone"] = "UTC"
    if layout.numbers:
        mapping["decimal_comma"] = True
    if layout.dates:
        mapping["date_format"] = DATE_FORMAT
    mapped: dict[str, Any] = {}
    for column in columns:
        if column not in layout.headers:
            continue  # not a canonical column: kept in `raw`, as the canonical layout does
        header = layout.headers[column]
        if column in layout.words:
            back = {foreign.lower(): canonical for canonical, foreign in layout.words[column].items()}
            # words the converter left as they stood (planted defects) pass through for validation
            values = {word.lower(): back.get(word.lower(), word) for word in sorted(seen[column], key=str.lower)}
            mapped[column] = {"column": header, "values": values}
        elif column in layout.timestamps:
            mapped[column] = {"column": header, "date_format": TIMESTAMP_FORMAT}
        else:
            mapped[column] = header
    mapping["columns"] = mapped
    if layout.snapshot_from_name:
        mapping["snapshot_date"] = {"file_name": layout.snapshot_from_name, "format": "%Y-%m-%d"}
    return mapping
