"""The `trainops` command.

Exit codes: 0 success; 1 the run failed (critical validation, dbt build, unreadable source) and the
published marts are untouched; 2 usage or configuration error; 3 another run holds the lock (nothing
was done: try again later, or wait with --lock-wait); 130 / 143 the run was cancelled by SIGINT /
SIGTERM (its dbt build stopped, recorded as cancelled).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from datetime import date
from pathlib import Path

from flows.commands import COMMANDS, EXIT_BUSY, EXIT_FAILED, EXIT_OK, EXIT_USAGE, render_run

__all__ = ["COMMANDS", "EXIT_BUSY", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main", "render_run"]


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {value!r}") from None


_LOCK_WAIT_HELP = "wait up to SECONDS for a run in progress to finish (default: lock_wait in trainops.yaml, else 0)"
_FUTURE_HELP = "accept an --as-of later than today in the business timezone (refused by default)"
_TARGET_HELP = "where dbt builds and BI reads: duckdb or postgres (default: target in trainops.yaml, else duckdb)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trainops", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="show Prefect and dbt logs")
    commands = parser.add_subparsers(dest="command", required=True)

    _add_run_commands(commands)
    _add_file_commands(commands)
    _add_operation_commands(commands)
    return parser


def _add_run_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """demo, run, backfill: the commands that run the nightly job."""
    from demo.common import MIN_EMPLOYEES, MIN_MONTHS, MIN_VENDORS

    demo = commands.add_parser("demo", help="generate the demo enterprise and run the nightly job on it")
    demo.add_argument("--employees", type=int, default=300, help=f"default 300, at least {MIN_EMPLOYEES}")
    demo.add_argument("--months", type=int, default=12, help=f"months of history, default 12, at least {MIN_MONTHS}")
    demo.add_argument("--vendors", type=int, default=4, help=f"default 4, at least {MIN_VENDORS}")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--as-of", type=_date, help="business date of the demo (default: today)")
    demo.add_argument(
        "--layout",
        choices=("canonical", "foreign"),
        default="canonical",
        help="foreign: the CSV drops in another company's layout, read through mapping: blocks",
    )

    run = commands.add_parser("run", help="the nightly job: extract, validate, build, publish")
    run.add_argument("--config", help="trainops.yaml (default: $TRAINOPS_CONFIG, then ./trainops.yaml)")
    run.add_argument("--as-of", type=_date, help="business date the marts are computed for (default: today)")
    run.add_argument("--allow-future", action="store_true", help=_FUTURE_HELP)
    run.add_argument("--lock-wait", type=float, metavar="SECONDS", help=_LOCK_WAIT_HELP)
    run.add_argument("--target", choices=("duckdb", "postgres"), help=_TARGET_HELP)
    run.add_argument(
        "--full-refresh", action="store_true", help="rebuild every model from the whole landing zone (a full night)"
    )

    backfill = commands.add_parser(
        "backfill", help="re-extract and reprocess a date range after a source fix, then rebuild and publish once"
    )
    backfill.add_argument("--config")
    backfill.add_argument("--start", type=_date, required=True, help="first day of the range (YYYY-MM-DD)")
    backfill.add_argument("--end", type=_date, required=True, help="last day of the range, inclusive")
    backfill.add_argument("--source", action="append", help="only this source (repeatable; default: all)")
    backfill.add_argument("--chunk-days", type=int, default=7, help="days per chunk (default 7)")
    backfill.add_argument("--as-of", type=_date, help="business date of the rebuilt marts (default: today)")
    backfill.add_argument("--allow-future", action="store_true", help=_FUTURE_HELP)
    backfill.add_argument("--dry-run", action="store_true", help="show the plan; change nothing")
    backfill.add_argument("--lock-wait", type=float, metavar="SECONDS", help=_LOCK_WAIT_HELP)
    backfill.add_argument("--target", choices=("duckdb", "postgres"), help=_TARGET_HELP)


def _add_file_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """parse, map: what trainops makes of a file, and a mapping for a foreign one."""
    parse = commands.add_parser("parse", help="show what trainops makes of files: records or rejections")
    parse.add_argument("files", nargs="+", type=Path)
    parse.add_argument("--kind", help="file kind (default: detected from extension and header)")
    parse.add_argument("--json", action="store_true", help="machine-readable output")
    parse.add_argument("--reference-dir", type=Path, help="reference CSVs (vendors.csv for e-invoices)")
    parse.add_argument("--source", help="read the files as this configured source does (its mapping: included)")
    parse.add_argument("--limit", type=int, default=20, help="with --source: records shown per entity (default 20)")
    parse.add_argument(
        "--config", help="with --source: trainops.yaml (default: $TRAINOPS_CONFIG, then ./trainops.yaml)"
    )

    mapping = commands.add_parser("map", help="propose a mapping: for a file in another layout (YAML to paste)")
    mapping.add_argument("file", type=Path)
    mapping.add_argument("--kind", required=True, help="hris_csv, lms_csv, sessions_csv, bookings_csv or invoices_csv")


def _add_operation_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """status, quarantine, publish, dashboard, deploy, compliance."""
    status = commands.add_parser("status", help="last runs, per-source freshness, published version, quarantine counts")
    status.add_argument("--config")
    status.add_argument("--json", action="store_true", help="machine-readable output for monitoring")

    quarantine = commands.add_parser("quarantine", help="list quarantined rows; re-process them after a fix")
    quarantine.add_argument("--config")
    quarantine.add_argument("--source", help="only this source")
    quarantine.add_argument("--rule", help="only this rule, e.g. parse.invalid_date")
    quarantine.add_argument("--load", help="only this load id")
    quarantine.add_argument("--summary", action="store_true", help="counts per source, entity and rule")
    quarantine.add_argument("--json", action="store_true", help="machine-readable output")
    quarantine.add_argument("--limit", type=int, default=50, help="rows to show (default 50; 0 = all)")
    quarantine.add_argument(
        "--reprocess", action="store_true", help="re-land the files behind quarantined rows, then run the nightly job"
    )
    quarantine.add_argument("--as-of", type=_date, help="with --reprocess: the run's business date")

    publish = commands.add_parser("publish", help="manage published versions of the marts")
    publish.add_argument("--config")
    publish.add_argument("--rollback", action="store_true", required=True, help="re-publish the previous version")
    publish.add_argument("--target", choices=("duckdb", "postgres"), help=_TARGET_HELP)

    dashboard = commands.add_parser("dashboard", help="(re)write the dashboard from the published marts")
    dashboard.add_argument("--config")
    dashboard.add_argument("--open", action="store_true", help="then open it in the default web browser")
    dashboard.add_argument("--target", choices=("duckdb", "postgres"), help=_TARGET_HELP)

    deploy = commands.add_parser("deploy", help="prefect deploy --all, with the nightly schedule of trainops.yaml")
    deploy.add_argument("--config")
    deploy.add_argument("--print", action="store_true", help="only print the schedule's environment")

    compliance = commands.add_parser(
        "compliance", help="was an employee compliant on a date, and why (evidence back to the raw record)"
    )
    compliance.add_argument("--config")
    compliance.add_argument("--employee", required=True, help="employee_id (or the BI marts' employee_key)")
    compliance.add_argument("--on", type=_date, required=True, help="a date of the compliance history")
    compliance.add_argument("--requirement", help="only this requirement_id")
    compliance.add_argument("--json", action="store_true", help="machine-readable output")
    compliance.add_argument("--target", choices=("duckdb", "postgres"), help=_TARGET_HELP)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_logs(args.verbose)
    from pipeline.cancel import RunCancelled, stop_descendants
    from pipeline.config import ConfigError

    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"trainops: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except RunCancelled as exc:  # SIGTERM / SIGINT during a run: recorded as cancelled
        stop_descendants()
        print(f"trainops: run {exc}; nothing half published (trainops status shows the record)", file=sys.stderr)
        return 128 + int(signal.Signals[exc.signal_name])
    except KeyboardInterrupt:
        print("trainops: interrupted", file=sys.stderr)
        return 130


class _FailureInOneLine(logging.Filter):
    """Without ``-v`` the CLI reports a failed run in one line of its own: Prefect's account of it
    (its ERROR lines and tracebacks) stays in the Prefect API and out of the terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("prefect") and record.levelno >= logging.ERROR)


def _quiet_logs(verbose: bool) -> None:
    level = "INFO" if verbose else "WARNING"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", level)
    root = logging.getLogger()
    before = list(root.handlers)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("great_expectations").setLevel(level)
    if not verbose:  # only on the console handler made here, never on one a host process installed
        for handler in root.handlers:
            if handler not in before:
                handler.addFilter(_FailureInOneLine())


if __name__ == "__main__":
    sys.exit(main())
