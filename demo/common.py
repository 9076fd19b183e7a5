"""What every part of the demo generator shares: the parameters and the calendar derived from them,
the seeded random streams, and small helpers for dates, money, ids and CSV files.

Nothing here reads the clock: every date derives from ``as_of``, every random choice from a
``random.Random`` stream named after its part (``Params.rng``), so one part's draws never shift
another's.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path

TIMEZONE = "Europe/London"  # the business timezone (docs/semantics.md); planted events sit at 12:00 UTC
DOMAIN = "acme.example"

MIN_EMPLOYEES = 80
MIN_MONTHS = 3
MIN_VENDORS = 3

REGION = {
    "GB": "EMEA",
    "DE": "EMEA",
    "FR": "EMEA",
    "NL": "EMEA",
    "US": "AMER",
    "CA": "AMER",
    "IN": "APAC",
    "SG": "APAC",
}

# Malformed rows: what each one breaks (the `defect` of the ground truth).
INVALID_DATE, INVALID_TS, INVALID_NUMBER = "invalid_date", "invalid_timestamp", "invalid_number"
NOT_IN_SET, OUT_OF_RANGE, MISSING = "not_in_set", "out_of_range", "missing_required"
MALFORMED_JSON = "malformed_json"

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Params:
    """What ``generate`` was asked for, and the calendar every part derives from it."""

    out: Path
    as_of: date
    seed: int
    employees: int
    months: int
    vendors: int

    def rng(self, part: str) -> random.Random:
        """The part's own random stream: its draws do not depend on any other part's."""
        return random.Random(f"trainops-demo/{self.seed}/{part}")

    @cached_property
    def snapshots(self) -> list[date]:
        """The HR snapshot dates: one a month, the last on ``as_of``."""
        return [add_months(self.as_of, -k) for k in range(self.months - 1, -1, -1)]

    @cached_property
    def window_start(self) -> date:
        """The first day of the first month of learning and session history."""
        return add_months(self.as_of.replace(day=1), -(self.months - 1))

    @cached_property
    def month_starts(self) -> list[date]:
        return [add_months(self.window_start, k) for k in range(self.months)]


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the end of a shorter month (Jan 31 + 1 → Feb 28)."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    first = date(year, month0 + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))


def month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def nice(day: date) -> date:
    """A planted date whose month arithmetic is unambiguous (day 1–28: no clamping, no Feb 29)."""
    return day.replace(day=28) if day.day > 28 else day


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12)


def ts(moment: datetime) -> str:
    """A naive UTC datetime as ISO 8601 with ``Z`` (seconds precision)."""
    return moment.isoformat(timespec="seconds") + "Z"


def money(amount: Decimal) -> str:
    return str(amount.quantize(CENT, rounding=ROUND_HALF_UP))


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID from the seeded stream: ``str(uuid.UUID(int=bits, version=4))``, spelled out
    because millions of statements need one each."""
    text = f"{(rng.getrandbits(128) & _UUID_CLEAR) | _UUID_SET:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_TRANSLIT = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O"})


def slug(name: str) -> str:
    """A name as the ASCII letters and digits of an email's local part (``Chloé`` → ``chloe``)."""
    text = unicodedata.normalize("NFKD", name.translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum())


def gln(base12: str) -> str:
    """A 13-digit GLN (Peppol scheme 0088) with its GS1 check digit."""
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(base12)))
    return base12 + str((10 - total % 10) % 10)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """A UTF-8 CSV with ``\\n`` line ends and the header as line 1."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
