"""Vectorised pieces of the columnar ``xapi_files`` path (``connectors/lms/xapi_columnar.py``):
boolean masks, calling a per-record function once per distinct value (``per_distinct``) and ISO 8601
timestamps computed in numpy for the usual notations (``timestamps``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from connectors import schemas
from connectors.parsing import parse_timestamp


def true(mask: Any) -> np.ndarray:
    """A boolean Arrow array → numpy, null as False."""
    array: np.ndarray = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    return array


_REFUSED = object()
_MISSING = object()
_CACHE_SIZE = 100_000  # remembered results per function (all pure): values repeat across blocks and files


def per_distinct(
    columns: list[pa.Array],
    fn: Callable[..., Any],
    kind: pa.DataType,
    skip: np.ndarray | None = None,
    cache: dict[tuple[Any, ...], Any] | None = None,
) -> tuple[pa.Array, np.ndarray]:
    """``fn(*values)`` for every row (a null as None), called once per distinct combination of the
    columns' values (and, with a ``cache``, once per combination the process has seen). A
    combination ``fn`` refuses (any exception: the per-record path will reject the line, or raise
    the same) gives null and not ok. Rows where ``skip`` is true: null and ok."""
    count = len(columns[0])
    rows = None if skip is None else np.flatnonzero(~skip)
    if rows is not None and not len(rows):
        return pa.nulls(count, kind), np.ones(count, dtype=bool)
    key: np.ndarray | None = None
    radix = 1
    decoded: list[tuple[list[Any], np.ndarray]] = []
    for column in columns:
        if rows is not None:
            column = column.take(pa.array(rows))
        boolean = pa.types.is_boolean(column.type)
        encoded = (column.cast(pa.int8()) if boolean else column).dictionary_encode()
        values = encoded.dictionary.to_pylist()
        if boolean:
            values = [bool(value) for value in values]
        values.append(None)
        codes = pc.fill_null(encoded.indices, len(values) - 1).to_numpy(zero_copy_only=False).astype(np.int64)
        decoded.append((values, codes))
        if key is None:
            key, radix = codes, len(values)
        else:
            if radix * len(values) >= 1 << 62:  # keep the combined key in range: renumber it densely
                distinct, key = np.unique(key, return_inverse=True)
                radix = len(distinct)
            key = key * len(values) + codes
            radix *= len(values)
    assert key is not None
    if len(columns) == 1:
        first = np.full(radix, -1, dtype=np.int64)
        first[key[::-1]] = np.arange(len(key) - 1, -1, -1)  # a row of each code (codes absent: -1)
        inverse = key
    else:
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    outputs: list[Any] = []
    good = np.ones(len(first), dtype=bool)
    for position, row in enumerate(first.tolist()):
        if row < 0:
            outputs.append(None)
            continue
        arguments = tuple(values[codes[row]] for values, codes in decoded)
        output = _MISSING if cache is None else cache.get(arguments, _MISSING)
        if output is _MISSING:
            try:
                output = fn(*arguments)
            except Exception:  # noqa: BLE001
                output = _REFUSED
            if cache is not None:
                if len(cache) >= _CACHE_SIZE:
                    cache.clear()
                cache[arguments] = output
        if output is _REFUSED:
            outputs.append(None)
            good[position] = False
        else:
            outputs.append(output)
    if rows is None:
        return pa.array(outputs, kind).take(pa.array(inverse)), good[inverse]
    scatter = np.full(count, -1, dtype=np.int64)
    scatter[rows] = inverse
    ok = np.ones(count, dtype=bool)
    ok[rows] = good[inverse]
    return pa.array(outputs, kind).take(pa.array(scatter, mask=scatter < 0)), ok


_DAYS_BEFORE_MONTH = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334], dtype=np.int64)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def timestamps(values: pa.Array, column: str) -> tuple[pa.Array, np.ndarray]:
    """Timestamp strings → UTC instants, as ``parse_timestamp`` gives them. The usual notations
    (``YYYY-MM-DDTHH:MM:SS[.f…](Z|±HH[[:]MM])``, years 1000-9998) are computed here; any other text
    goes through ``parse_timestamp`` itself, once per distinct value."""
    micros, computed = _iso_micros(values)
    instants = pa.array(micros, pa.int64(), mask=~computed).cast(schemas.TS)
    other = ~computed & true(pc.is_valid(values))
    if not other.any():
        return instants, np.ones(len(values), dtype=bool)
    parsed, ok = per_distinct([values], lambda v: parse_timestamp(v, column), schemas.TS, skip=~other)
    return pc.if_else(pa.array(computed), instants, parsed), ok


_WIDTH = 36  # characters of a timestamp looked at (longer ones: parse_timestamp)
_DIGIT_AT = np.array([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])


def _iso_micros(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since the epoch of each value in the usual notation, and which values were."""
    count = len(values)
    if count == 0 or values.null_count == count:
        return np.zeros(count, dtype=np.int64), np.zeros(count, dtype=bool)
    _, offset_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int32)[values.offset : values.offset + count + 1].astype(np.int64)
    start, stop = int(offsets[0]), int(offsets[-1])
    data = np.zeros(stop - start + _WIDTH, dtype=np.uint8)  # the characters, padded for the last window
    if data_buffer is not None and stop > start:
        data[: stop - start] = np.frombuffer(data_buffer, dtype=np.uint8)[start:stop]
    windows = np.lib.stride_tricks.as_strided(data, shape=(stop - start + 1, _WIDTH), strides=(1, 1), writeable=False)
    length = offsets[1:] - offsets[:-1]
    chars = windows[offsets[:-1] - start]  # row i: the first _WIDTH characters of value i, then what follows
    chars[np.arange(_WIDTH) >= length[:, None]] = 0
    digit = (chars >= 48) & (chars <= 57)

    def num(*columns: int) -> np.ndarray:
        total = np.zeros(count, dtype=np.int64)
        for column in columns:
            total = total * 10 + chars[:, column] - 48
        return total

    ok = true(pc.is_valid(values)) & (length >= 19) & (length <= _WIDTH)
    ok &= digit[:, _DIGIT_AT].all(axis=1)
    ok &= (chars[:, 4] == 45) & (chars[:, 7] == 45) & (chars[:, 13] == 58) & (chars[:, 16] == 58)
    ok &= (chars[:, 10] == 84) | (chars[:, 10] == 116) | (chars[:, 10] == 32)  # T, t or a space

    # fraction: [.,] and digits from position 19; the zone follows
    has_fraction = (chars[:, 19] == 46) | (chars[:, 19] == 44)
    fraction_digits = np.where(
        has_fraction, np.argmin(np.append(digit[:, 20:], np.zeros((count, 1), bool), axis=1), axis=1), 0
    )
    ok &= ~has_fraction | (fraction_digits >= 1)
    zone_at = np.where(has_fraction, 20 + fraction_digits, 19)
    zone_length = length - zone_at
    rows = np.arange(count)

    def at(shift: int) -> np.ndarray:
        column: np.ndarray = chars[rows, np.minimum(zone_at + shift, _WIDTH - 1)].astype(np.int64)
        return column

    zone_char, z1, z2, z3, z4, z5 = (at(shift) for shift in range(6))

    def is_digit(c: np.ndarray) -> np.ndarray:
        return (c >= 48) & (c <= 57)

    # Z or z; a value without an offset goes to parse_timestamp (the source's assume_timezone, or a reject)
    utc = (zone_length == 1) & ((zone_char == 90) | (zone_char == 122))
    hh_ok = ((zone_char == 43) | (zone_char == 45)) & is_digit(z1) & is_digit(z2)
    hhmm = (zone_length == 5) & is_digit(z3) & is_digit(z4)
    hh_mm = (zone_length == 6) & (z3 == 58) & is_digit(z4) & is_digit(z5)
    ok &= utc | (hh_ok & ((zone_length == 3) | hhmm | hh_mm))
    zone_hours = np.where(utc, 0, (z1 - 48) * 10 + z2 - 48)
    zone_minutes = np.where(hhmm, (z3 - 48) * 10 + z4 - 48, np.where(hh_mm, (z4 - 48) * 10 + z5 - 48, 0))
    sign = np.where(zone_char == 45, -1, 1)

    year, month, day = num(0, 1, 2, 3), num(5, 6), num(8, 9)
    hour, minute, second = num(11, 12), num(14, 15), num(17, 18)
    micro = np.zeros(count, dtype=np.int64)
    for place in range(6):  # the first six digits of the fraction (truncated to µs, as parse_timestamp)
        micro = micro * 10 + np.where(fraction_digits > place, chars[:, 20 + place].astype(np.int64) - 48, 0)

    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    month = np.where(month_ok, month, 1)
    ok &= (year >= 1000) & (year <= 9998) & month_ok & (day >= 1)
    ok &= day <= _DAYS_IN_MONTH[month] + ((month == 2) & leap)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59) & (zone_hours <= 23) & (zone_minutes <= 59)
    before = year - 1  # days since 1970-01-01, proleptic Gregorian
    days = before * 365 + before // 4 - before // 100 + before // 400 + _DAYS_BEFORE_MONTH[month]
    days += (leap & (month > 2)) + day - 1 - 719162
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - sign * (zone_hours * 3600 + zone_minutes * 60)
    return np.where(ok, seconds * 1_000_000 + micro, 0), ok
