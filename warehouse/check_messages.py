"""What a cross-system check that warns or fails says, on the terminal, in the run record and in the
HTML report: the check, its failing count and rate, the threshold it is over, the first few
offending refs and the trainops.yaml key to change (pipeline/settings.py).

dbt's own message for the singular test ``assert_no_cross_system_check_in_error`` is only "Got N
results"; after a build, ``check_messages`` reads ``rpt_cross_system_checks`` and
``rpt_cross_system_check_refs`` from the build (the DuckDB build file, or the Postgres build
schemas) and says it in full.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import Config
from pipeline.settings import CHECKS_KEY

CHECK_TEST = "assert_no_cross_system_check_in_error"  # the singular test that fails the build
CONFLICT_TEST = "assert_no_xapi_statement_id_conflict"  # warns about refused xAPI versions
REFS_SHOWN = 3

log = logging.getLogger(__name__)


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


_CONFLICTS_SQL = (
    "select record_id, _source_file, _source_line, kept_source_file, kept_source_line "
    "from staging.stg_lms__learning_record_conflicts order by record_id, _load_id, _source_line"
)


@dataclass(frozen=True)
class Conflicts:
    """xAPI statement ids delivered again with other content (stg_lms__learning_record_conflicts)."""

    count: int
    first: tuple[tuple[Any, ...], ...]  # (record_id, file, line, kept file, kept line)

    def message(self) -> str:
        shown = "; ".join(
            f"{record_id} at {file}:{line} (kept: {kept_file}:{kept_line})"
            for record_id, file, line, kept_file, kept_line in self.first
        )
        more = ", …" if self.count > len(self.first) else ""
        return (
            f"xAPI statement id conflict: {self.count} statement(s) re-use an id with other content and were "
            f"refused (the first stored version is kept): {shown}{more}"
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


Errors = tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]  # (any failure, a missing table)


def _part(con: Any, sql: str, what: str, errors: Errors) -> list[tuple[Any, ...]]:
    """One query's rows; a query that fails gives no rows, so the other parts are still said. A table
    the build lacks (it stopped before that model) is logged at debug level, any other error as a
    warning."""
    failed, missing = errors
    try:
        return [tuple(row) for row in con.execute(sql).fetchall()]
    except failed as error:
        level = logging.DEBUG if isinstance(error, missing) else logging.WARNING
        log.log(level, "could not read %s from the build: %s", what, str(error).strip())
        return []


def _queries(con: Any, marts: str, restricted: str, errors: Errors) -> tuple[list[CheckFinding], Conflicts]:
    checks = _part(con, _CHECKS_SQL.format(marts=marts), "the cross-system checks", errors)
    refs = _part(con, _REFS_SQL.format(restricted=restricted), "the cross-system check refs", errors)
    counted = _part(
        con, "select count(*) from staging.stg_lms__learning_record_conflicts", "the xAPI id conflicts", errors
    )
    first = _part(con, _CONFLICTS_SQL + f" limit {REFS_SHOWN}", "the xAPI id conflicts", errors) if counted else []
    count = int(counted[0][0]) if counted else 0
    return _findings(checks, refs), Conflicts(count, tuple(first))


def read_findings(config: Config, build_db: Path) -> tuple[list[CheckFinding], Conflicts]:
    """The checks at warn or error and the xAPI id conflicts of the build just made (none when it
    has no such tables; each part is read on its own, so one missing table drops only its part)."""
    nothing: tuple[list[CheckFinding], Conflicts] = ([], Conflicts(0, ()))
    if config.target == "duckdb":
        if not build_db.exists():
            return nothing
        try:
            with duckdb.connect(str(build_db), read_only=True) as con:
                return _queries(con, "marts", "restricted", ((duckdb.Error,), (duckdb.CatalogException,)))
        except duckdb.Error as error:
            log.warning("could not open the build %s to read its checks: %s", build_db, error)
            return nothing
    from psycopg import Error as PostgresError
    from psycopg.errors import UndefinedTable

    from warehouse.postgres_target import BUILD_SUFFIX, WarehouseError, connect

    try:
        with connect() as con:
            con.autocommit = True  # a failed query must not abort the ones after it
            return _queries(
                con, "marts" + BUILD_SUFFIX, "restricted" + BUILD_SUFFIX, ((PostgresError,), (UndefinedTable,))
            )
    except (PostgresError, WarehouseError) as error:
        log.warning("could not read the build's checks from Postgres: %s", error)
        return nothing


def explain_checks(
    found: tuple[list[CheckFinding], Conflicts], failures: list[str], warnings: list[str]
) -> tuple[list[str], list[str]]:
    """The build's failures and warnings with each check at error / warn, and the xAPI id
    conflicts, said in full (in place of dbt's "Got N results" for their tests)."""
    findings, conflicts = found
    errors = [finding.message() for finding in findings if finding.status == "error"]
    if errors:
        failures = [line for line in failures if CHECK_TEST not in line] + errors
    if conflicts.count:
        warnings = [line for line in warnings if CONFLICT_TEST not in line] + [conflicts.message()]
    return failures, warnings + [finding.message() for finding in findings if finding.status == "warn"]
