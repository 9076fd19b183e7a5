"""Row-count change against the previous load: a roster that shrinks by half overnight is critical.

A roster (``hris.employee``) is a full snapshot, so its size should move slowly. Each snapshot of a
load is compared with the snapshot before it — earlier in the same load, or the latest one of the
source's earlier loads. This is a check across loads, so it lives beside the Great Expectations
suites (which see one batch) rather than in them.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.landing import Load

ROSTER = "hris.employee"
MAX_ROSTER_SHRINK = 0.5  # a snapshot with fewer than half the previous one's rows is critical


def snapshot_sizes(table: pa.Table) -> Counter[date]:
    return Counter(table.column("snapshot_date").to_pylist())


def previous_snapshot(earlier_loads: list[Load]) -> tuple[date, int] | None:
    """The latest roster snapshot of the source's earlier loads, and its size."""
    sizes: Counter[date] = Counter()
    for load in earlier_loads:
        path = load.path / f"{ROSTER}.parquet"
        if path.exists():
            sizes.update(snapshot_sizes(pq.read_table(path, columns=["snapshot_date"])))
    sizes.pop(None, None)  # type: ignore[call-overload]
    if not sizes:
        return None
    latest = max(sizes)
    return latest, sizes[latest]


def roster_shrink(table: pa.Table, earlier_loads: list[Load], max_shrink: float = MAX_ROSTER_SHRINK) -> list[str]:
    """One line per snapshot that shrank by more than ``max_shrink`` against its predecessor."""
    sizes = snapshot_sizes(table)
    sizes.pop(None, None)  # type: ignore[call-overload]
    before = previous_snapshot(earlier_loads)
    problems = []
    for snapshot in sorted(sizes):
        if before is not None and before[0] < snapshot and sizes[snapshot] < (1 - max_shrink) * before[1]:
            problems.append(
                f"employee.roster_shrink: the roster of {snapshot} has {sizes[snapshot]} employees, "
                f"{1 - sizes[snapshot] / before[1]:.0%} fewer than the {before[1]} of {before[0]} "
                f"(more than {max_shrink:.0%} fewer is treated as a broken extract)"
            )
        before = (snapshot, sizes[snapshot])
    return problems
