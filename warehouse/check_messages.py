"""What a cross-system check that warns or fails says, on the terminal, in the run record and in the
HTML report: the check, its failing count and rate, the threshold it is over, the first few
offending refs and the trainops.yaml key to change (pipeline/settings.py).

dbt's own message for the singular test ``assert_no_cross_system_check_in_error`` is only "Got N
results"; after a build, ``check_messages`` reads ``rpt_cross_system_checks`` and
``rpt_cross_system_check_refs`` from the build (the DuckDB build file, or the Postgres build
schemas) and says it in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import Config
from pipeline.settings import CHECKS_KEY

CHECK_TEST = "assert_no_cross_system_check_in_error"  # the singular test that fails the build
REFS_SHOWN = 3


@dataclass(frozen=True)
class CheckFinding:
    check_name: str
    status: str  # warn | error
    checked_rows: int
    failing_rows: int
    share: float | None
    rate_bound: float | None  # of the level reached
    count_bound: int | None
    refs: tuple[str, ...]  # the first few offending refs, most frequent first

    def message(self) -> str:
        bounds = ([f"rate > {self.rate_bound:.2%}"] if self.rate_bound is not None else []) + (
            [f"count > {self.count_bound}"] if self.count_bound is not None else []
        )
        share = f"{self.share:.2%}" if self.share is not None else "n/a"
        refs = ", ".join(self.refs) + (", …" if self.failing_rows > len(self.refs) else "")
        return (
            f"cross-system check {self.check_name} {self.status}: {self.failing_rows} of {self.checked_rows} "
            f"rows failing ({share}), over its {self.status} threshold ({' and '.join(bounds)}); "
            f"first refs: {refs or '—'}; to change it, set {CHECKS_KEY}.{self.check_name}.{self.status} "
            "in trainops.yaml"
        )


_CHECKS_SQL = (
    "select check_name, check_status, checked_rows, failing_rows, failing_share, warn_above_share, "
    "warn_above_rows, error_above_share, error_above_rows from {marts}.rpt_cross_system_checks "
    "where check_status <> 'ok' order by check_name"
)
_REFS_SQL = (
    "select check_name, offending_ref from {restricted}.rpt_cross_system_check_refs "
    f"where ref_rank <= {REFS_SHOWN} order by check_name, ref_rank"
)


def _findings(checks: list[tuple[Any, ...]], refs: list[tuple[Any, ...]]) -> list[CheckFinding]:
    by_check: dict[str, list[str]] = {}
    for name, ref in refs:
        by_check.setdefault(name, []).append(str(ref))
    findings = []
    for name, status, checked, failing, share, warn_rate, warn_rows, error_rate, error_rows in checks:
        rate, count = (error_rate, error_rows) if status == "error" else (warn_rate, warn_rows)
        findings.append(
            CheckFinding(
                name,
                status,
                int(checked),
                int(failing),
                float(share) if share is not None else None,
                float(rate) if rate is not None else None,
                int(count) if count is not None else None,
                tuple(by_check.get(name, [])),
            )
        )
    return findings


def read_findings(config: Config, build_db: Path) -> list[CheckFinding]:
    """The checks at warn or error in the build just made (none when it has no such tables)."""
    if config.target == "duckdb":
        if not build_db.exists():
            return []
        try:
            with duckdb.connect(str(build_db), read_only=True) as con:
                checks = con.execute(_CHECKS_SQL.format(marts="marts")).fetchall()
                refs = con.execute(_REFS_SQL.format(restricted="restricted")).fetchall()
        except duckdb.Error:
            return []
        return _findings(checks, refs)
    from psycopg import Error as PostgresError

    from warehouse.postgres_target import BUILD_SUFFIX, WarehouseError, connect

    try:
        with connect() as con:
            checks = con.execute(_CHECKS_SQL.format(marts="marts" + BUILD_SUFFIX)).fetchall()
            refs = con.execute(_REFS_SQL.format(restricted="restricted" + BUILD_SUFFIX)).fetchall()
    except (PostgresError, WarehouseError):
        return []
    return _findings(checks, refs)


def explain_checks(
    findings: list[CheckFinding], failures: list[str], warnings: list[str]
) -> tuple[list[str], list[str]]:
    """The build's failures and warnings with each check at error / warn said in full (in place of
    dbt's "Got N results" for the check test)."""
    errors = [finding.message() for finding in findings if finding.status == "error"]
    if errors:
        failures = [line for line in failures if CHECK_TEST not in line] + errors
    return failures, warnings + [finding.message() for finding in findings if finding.status == "warn"]
