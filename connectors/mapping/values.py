"""One source value -> the canonical text the kind's parser types (``connectors/parsing.py``).

Dates become ISO dates, timestamps ISO 8601 (a naive one gets the mapping's timezone, or stays
naive for the kind's parser: the source's ``assume_timezone`` or a reject), numbers lose their
decimal comma, booleans and lists their JSON form. A value that does
not fit a given format is a `FieldError` with the kind's usual rule (``parse.invalid_date`` …).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from connectors.mapping.model import EXCEL
from connectors.parsing import FieldError, compact_json

_EXCEL_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)
_DAY_FIRST_DATES = ("%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%y", "%d/%m/%y")
_DAY_FIRST_TIMES = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H:%M:%S.%f")


def as_text(value: object) -> str:
    """A raw value as text: None -> "", JSON numbers as written, objects as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return ";".join(str(item) for item in value)
    return compact_json(value)


def _excel_serial(value: object, field: str, rule: str) -> datetime:
    try:
        days = float(str(value).strip())
    except ValueError:
        raise FieldError(rule, field, value, f"{field}: {value!r} is not an Excel serial date (a day number)") from None
    return _EXCEL_EPOCH + timedelta(days=days)


@lru_cache(maxsize=65536)
def _first_match(text: str, formats: tuple[str, ...]) -> datetime | None:
    """``text`` read by the first of ``formats`` that fits, or None. Cached: an export repeats the
    same dates thousands of times, and ``strptime`` is most of a mapped file's reading time."""
    fit = _LAST_FIT.get(formats)  # a file writes all its dates one way: try that way first
    if fit is not None:
        try:
            return datetime.strptime(text, fit)
        except ValueError:
            pass
    for fmt in formats:
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        _LAST_FIT[formats] = fmt
        return moment
    return None


_LAST_FIT: dict[tuple[str, ...], str] = {}  # formats -> the one that read the last value


def _strptime(text: str, formats: tuple[str, ...], field: str, rule: str, what: str) -> datetime:
    moment = _first_match(text, formats)
    if moment is None:
        raise FieldError(rule, field, text, f"{field}: {text!r} does not match {what}")
    return moment


def to_date(value: object, field: str, date_format: str | None, day_first: bool) -> str:
    """A date field's value as ``YYYY-MM-DD`` (anything else is left to the kind's parser)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = as_text(value).strip()
    if not text:
        return ""
    rule = "parse.invalid_date"
    if date_format == EXCEL:
        return _excel_serial(text, field, rule).date().isoformat()
    if date_format:
        return _strptime(text, (date_format,), field, rule, f"the date format {date_format}").date().isoformat()
    if day_first and not text[:4].isdigit():
        what = "a day-first date (dd.mm.yyyy, dd/mm/yyyy)"
        return _strptime(text, _DAY_FIRST_DATES, field, rule, what).date().isoformat()
    return text


def to_timestamp(value: object, field: str, date_format: str | None, day_first: bool, zone: ZoneInfo | None) -> str:
    """A timestamp field's value as ISO 8601; a naive time gets ``zone``'s offset, or stays naive
    without one (the kind's parser then reads it in the source's ``assume_timezone`` or rejects it)."""
    moment: datetime | None = None
    rule = "parse.invalid_timestamp"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = as_text(value).strip()
        if not text:
            return ""
        if date_format == EXCEL:
            moment = _excel_serial(text, field, rule)
        elif date_format:
            moment = _strptime(text, (date_format,), field, rule, f"the format {date_format}")
        elif day_first and not text[:4].isdigit():
            formats = tuple(day + time for day in _DAY_FIRST_DATES for time in _DAY_FIRST_TIMES)
            moment = _strptime(text, formats, field, rule, "a day-first date and time (dd.mm.yyyy HH:MM)")
        else:
            try:
                moment = datetime.fromisoformat(text.replace("z", "Z"))
            except ValueError:
                return text  # the kind's parser rejects it with its own message
            if moment.tzinfo is not None:
                return text  # already what the kind reads; `raw` keeps the source's own notation
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


_GROUPED_COMMA = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})*(?:,\d+)?$")  # 1.234,50 / 12,5
_GROUPED_POINT = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")  # 1,234.50


def to_number(value: object, decimal_comma: bool) -> str:
    """A number field's text: ``1.234,50`` -> ``1234.50`` with ``decimal_comma``, ``1,234.50`` ->
    ``1234.50`` without; spaces dropped. Anything else is left to the kind's parser."""
    text = as_text(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not isinstance(value, str):
        return text
    if decimal_comma and _GROUPED_COMMA.match(text):
        return text.replace(".", "").replace(",", ".")
    if not decimal_comma and _GROUPED_POINT.match(text):
        return text.replace(",", "")
    return text
