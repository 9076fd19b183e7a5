"""The compliance history window: the dates ``fct_compliance_history`` is computed for.

Python owns it. ``history_window`` computes it; every dbt build is given it as vars
(``warehouse/dbt.py``), which the dbt project only reads (``int_compliance_dates``); a backfill
widens it to its range (``pipeline/backfill_plan.history_vars``). Its arguments are the shape of an
operator setting (months, an explicit start, the grain).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

GRAINS = ("month", "day")
DEFAULT_MONTHS = 24


@dataclass(frozen=True)
class HistoryWindow:
    """From ``start`` to the as-of date D: at ``month`` grain every month-end of the window before D
    plus D itself; at ``day`` grain every day of it."""

    start: date
    grain: str = "month"

    def widened(self, start: date) -> HistoryWindow:
        """The window starting at ``start`` when that is earlier (a backfill's range), else itself."""
        return replace(self, start=min(self.start, start))

    def dbt_vars(self) -> dict[str, str]:
        return {"compliance_history_start": self.start.isoformat(), "compliance_history_grain": self.grain}


def history_window(
    as_of: date, months: int = DEFAULT_MONTHS, start: date | None = None, grain: str = "month"
) -> HistoryWindow:
    """The window for a build as of ``as_of``: from ``start`` when given, else from the first day of
    the month ``months`` before as_of's month (24 month-ends + D by default)."""
    if grain not in GRAINS:
        raise ValueError(f"compliance history grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    if start is None:
        if months < 0:
            raise ValueError(f"compliance history months must be 0 or more, not {months}")
        index = as_of.year * 12 + as_of.month - 1 - months
        start = date(index // 12, index % 12 + 1, 1)
    return HistoryWindow(start, grain)
