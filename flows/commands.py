"""The `trainops` subcommands (`flows/cli.py` parses the command line and calls one of these).

Each returns the command's exit code (flows/cli.py lists them); a run's failure is one line on stderr."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3


def _run_flow(args: argparse.Namespace, call: Callable[[], dict[str, Any]]) -> dict[str, Any] | int:
    """Call a run's flow; a failure is one line on stderr (with ``-v``, Prefect's logs and the
    traceback come first) and its exit code."""
    from pipeline.config import ConfigError
    from pipeline.lifecycle import LockBusy, RunFailed

    try:
        return call()
    except ConfigError:  # exit code 2, from main()
        raise
    except LockBusy as exc:
        print(f"trainops: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except Exception as exc:  # every other failure of a run ends here, as one line
        if args.verbose and not isinstance(exc, RunFailed):
            traceback.print_exc()
        reason = str(exc) if isinstance(exc, RunFailed) else f"{type(exc).__name__}: {exc}"
        print(f"trainops: run failed, published marts untouched: {reason}", file=sys.stderr)
        return EXIT_FAILED


def _future_as_of(args: argparse.Namespace, timezone: str) -> int | None:
    """``--as-of`` later than today in the business timezone: a typo, or marts that claim to know
    the future (every open requirement 'due soon'). Refused, one line, unless ``--allow-future``."""
    from pipeline.lifecycle import business_today

    as_of, today = getattr(args, "as_of", None), business_today(timezone)
    if as_of is None or as_of <= today or getattr(args, "allow_future", False):
        return None
    print(f"trainops: --as-of {as_of} is later than today ({today} in {timezone}); "
          "pass --allow-future to compute marts for a future date", file=sys.stderr)  # fmt: skip
    return EXIT_USAGE


def cmd_run(args: argparse.Namespace, config_path: str | None = None) -> int:
    from flows import load_run_config, prefect_startup
    from pipeline import preflight

    target = getattr(args, "target", None)
    config = load_run_config(config_path or args.config, target)  # fail fast, before Prefect starts
    if refused := _future_as_of(args, config.timezone):
        return refused
    checked = preflight.check(config)  # paths and credentials: milliseconds
    for warning in checked.warnings:
        print(f"trainops: warning: {warning}", file=sys.stderr)
    preflight.raise_problems(checked)
    print(f"trainops: {config.path}: {len(config.sources)} source(s), target {config.target}, home {config.home}; "
          f"starting Prefect ({prefect_startup.describe()}) …", flush=True)  # fmt: skip
    from flows.nightly import nightly_sync

    full_refresh = getattr(args, "full_refresh", None) or None  # True from --full-refresh, or a reason
    if full_refresh is True:
        full_refresh = "trainops run --full-refresh"
    record = _run_flow(
        args,
        lambda: nightly_sync(
            as_of=args.as_of, config_path=str(config.path), lock_wait=getattr(args, "lock_wait", None), target=target,
            full_refresh=full_refresh,
        ),
    )  # fmt: skip
    if isinstance(record, int):
        return record
    print(render_run(record))
    for name, error in sorted((record.get("stale_sources") or {}).items()):
        print(f"trainops: warning: published with stale source {name} (freshness.on_stale: publish): {error}",
              file=sys.stderr)  # fmt: skip
    for source in record.get("sources", []):
        for bad in source.get("bad_files", []):
            print(f"trainops: warning: source {source['source']}: file quarantined whole: {bad}", file=sys.stderr)
    return EXIT_OK


def cmd_backfill(args: argparse.Namespace) -> int:
    from flows import load_run_config
    from flows.backfill import backfill
    from pipeline import backfill_plan

    config = load_run_config(args.config, args.target)
    if refused := _future_as_of(args, config.timezone):
        return refused
    plan = backfill_plan.plan_backfill(config, args.start, args.end, args.source, args.chunk_days)  # fail fast
    if args.dry_run:
        print(backfill_plan.render_plan(backfill_plan.describe_plan(config, plan)))
        return EXIT_OK
    record = _run_flow(
        args,
        lambda: backfill(
            start=args.start, end=args.end, sources=args.source, chunk_days=args.chunk_days, as_of=args.as_of,
            config_path=str(config.path), lock_wait=args.lock_wait, target=args.target,
            progress_bar=sys.stderr.isatty(),  # on a terminal; a failure stays one line in a log
        ),
    )  # fmt: skip
    if isinstance(record, int):
        return record
    info = record["backfill"]
    print(
        f"backfill {info['start']}..{info['end']} ({', '.join(info['sources'])}): {info['chunks_run']} chunk(s) run, "
        f"{info['chunks_resumed']} already done; {len(info['loads'])} load(s) landed, "
        f"{len(info['revalidated'])} revalidated; published {Path(record['published']['version']).name}"
    )
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from demo import generate
    from demo.common import MIN_EMPLOYEES, MIN_MONTHS, MIN_VENDORS
    from pipeline.demo_config import DEMO_DIR, write_demo_config
    from pipeline.lifecycle import business_today

    minimums = {"employees": MIN_EMPLOYEES, "months": MIN_MONTHS, "vendors": MIN_VENDORS}
    if any(getattr(args, name) < least for name, least in minimums.items()):
        given = ", ".join(f"--{name} {getattr(args, name)}" for name in minimums)
        least = ", ".join(f"{least} {name}" for name, least in minimums.items())
        print(f"trainops: the demo needs at least {least} (the planted cases need room); got {given}", file=sys.stderr)
        return EXIT_USAGE
    as_of = args.as_of or business_today("Europe/London")
    out = Path.cwd() / DEMO_DIR
    print(f"generating the demo enterprise ({args.employees} employees, {args.months} months) in {out} …")
    truth = generate(
        out,
        as_of=as_of,
        seed=args.seed,
        employees=args.employees,
        months=args.months,
        vendors=args.vendors,
        layout=args.layout,
    )
    args.as_of = as_of
    args.config = str(write_demo_config(out, home=out.parent, mappings=truth.get("mappings")))
    print("running the nightly job on it …")
    return cmd_run(args)


def cmd_map(args: argparse.Namespace) -> int:
    from pipeline.mapping_proposal import ProposalError, propose, render
    from pipeline.mapping_sample import SampleError

    try:
        proposal = propose(args.file, args.kind)
    except (ProposalError, SampleError) as exc:
        print(f"trainops map: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(render(proposal), end="")
    return EXIT_OK


def cmd_parse(args: argparse.Namespace) -> int:
    from connectors.base import ParseContext, SourceError
    from connectors.registry import PARSERS, format_result, parse_files

    if args.source:
        return _parse_as_source(args)
    if args.kind and args.kind not in PARSERS:
        print(f"trainops: unknown kind {args.kind!r} (kinds: {', '.join(PARSERS)})", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = parse_files(args.files, args.kind, ParseContext(reference_dir=args.reference_dir))
    except SourceError as exc:
        print(f"trainops: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(format_result(result, as_json=args.json))
    return EXIT_FAILED if result.rejects else EXIT_OK


def _parse_as_source(args: argparse.Namespace) -> int:
    """``parse FILE --source NAME``: the source's reading of the files; exit 1 if one is refused."""
    from connectors.base import SourceError
    from connectors.mapping.preview import parse_as_source, render_table
    from pipeline.config import FileSource, load_config
    from pipeline.steps import parse_context

    config = load_config(args.config)
    source = config.source(args.source)
    if not isinstance(source, FileSource):
        print(f"trainops: source {source.name!r} is a {source.kind} API source, not a file source", file=sys.stderr)
        return EXIT_USAGE
    try:
        context = parse_context(config, source, args.reference_dir)
        result = parse_as_source(source.name, source.kind, source, args.files, context, source.assume_timezone)
    except SourceError as exc:
        print(f"trainops: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(render_table(result, max(args.limit, 0)))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from pipeline.config import load_config
    from reports.status import render, report

    data = report(load_config(args.config))
    print(json.dumps(data, indent=2, default=str) if args.json else render(data))
    return EXIT_OK


def cmd_quarantine(args: argparse.Namespace) -> int:
    import json

    from pipeline.config import load_config
    from pipeline.quarantine import list_quarantine, release_for_reprocessing, summarize_quarantine

    config = load_config(args.config)
    if args.reprocess:
        released = release_for_reprocessing(config, [args.source] if args.source else None)
        if not released:
            print("nothing to re-process: no file source has quarantined rows (warnings hold nothing back)")
            return EXIT_OK
        for item in released:
            print(f"{item.source}: re-landing {len(item.files)} file(s): {', '.join(item.files)}")
        args.full_refresh = "quarantined rows reprocessed"
        return cmd_run(args, str(config.path))
    if args.summary:
        rows = summarize_quarantine(config.home, source=args.source)
    else:
        rows = list_quarantine(config.home, source=args.source, rule=args.rule, load_id=args.load)
    shown = rows if args.limit == 0 else rows[: args.limit]
    if args.json:
        print(json.dumps(shown, indent=2, default=str))
        return EXIT_OK
    if not rows:
        print("quarantine is empty")
        return EXIT_OK
    if args.summary:
        print(f"{'source':<14} {'entity':<22} {'rule':<40} {'severity':<9} {'rows':>6} {'files':>6}")
        for row in shown:
            print(
                f"{row['source']:<14} {row['entity']:<22} {row['rule']:<40} {row['severity']:<9} "
                f"{row['findings']:>6} {row['files']:>6}"
            )
        return EXIT_OK
    for row in shown:
        where = f"{row['_source_file']}:{row['_source_line'] if row['_source_line'] is not None else '-'}"
        value = f" value={row['value']!r}" if row["value"] is not None else ""
        print(f"{row['_source']:<12} {where:<40} {row['severity']:<8} {row['rule']}{value}  {row['message'] or ''}")
    if len(rows) > len(shown):
        print(f"… {len(rows) - len(shown)} more (--limit 0 for all, --summary for counts)")
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from flows import load_run_config
    from pipeline.lifecycle import run_lock
    from warehouse import postgres_target as postgres
    from warehouse.duckdb_target import rollback

    config = load_run_config(args.config, args.target)
    try:
        with run_lock(config.home):
            if config.target == "postgres":
                print(f"rolled back: schema marts of {postgres.rollback(config)} is the previous version again")
                return EXIT_OK
            restored = rollback(config)
    except RuntimeError as exc:
        print(f"trainops: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"rolled back: {config.marts_db} is now {restored.name}")
    return EXIT_OK


def render_run(record: dict[str, Any]) -> str:
    lines = [f"run {record['run_id']}: {record['status']} (as of {record['as_of']})", "", "rows per source:"]
    for source in record["sources"]:
        rows = ", ".join(f"{entity} {count}" for entity, count in source["rows"].items()) or "no new files"
        lines.append(f"  {source['source']:<14} {rows}  ({source['rejects']} rejected while parsing)")
    validation = record["validation"]
    lines.append(
        f"quarantined rows: {validation['quarantined_rows']} by validation"
        f" + {sum(s['rejects'] for s in record['sources'])} by parsing this run"
    )
    night = record.get("night")
    if night:  # full | incremental | noop, and why (warehouse/incremental.py)
        lines.append(f"night: {night['kind']} ({'; '.join(night['reasons'])})")
    figures = record.get("figures", {})
    lines += [
        f"compliance: {_percent(figures.get('compliance_pct'), 'no requirement applies')} compliant "
        f"(excluding exempt), {figures.get('overdue')} overdue",
        f"utilization: {_percent(figures.get('utilization_pct'), 'no delivered session')} of delivered seats used",
        f"billing: billed {figures.get('billed') or '—'} vs expected {figures.get('expected') or '—'}, "
        f"{figures.get('flagged_lines')} flagged lines",
        "",
        f"marts:   {record['published']['marts_db']}",
    ]
    if record["published"]["exports"]:
        lines.append(f"exports: {Path(record['published']['marts_db']).parent.parent / 'exports' / 'current'}")
    if (record.get("dashboard") or {}).get("path"):
        lines.append(f"dashboard: {record['dashboard']['path']}")
    return "\n".join(lines)


def _percent(value: object, why_none: str) -> str:
    return f"{value} %" if value is not None else f"n/a ({why_none})"


def cmd_deploy(args: argparse.Namespace) -> int:
    """``prefect deploy --all`` from the repository, prefect.yaml's schedule templated from the
    config's ``schedule:`` (pipeline/settings.py)."""
    import subprocess

    from pipeline.config import load_config
    from pipeline.settings import schedule_env

    config = load_config(args.config)
    env = schedule_env(config.schedule, config.timezone)
    if args.print:
        print("\n".join(f"{name}={value}" for name, value in env.items()))
        return EXIT_OK
    prefect = str(Path(sys.executable).parent / "prefect")
    repo = Path(__file__).resolve().parent.parent
    command = [prefect, "--no-prompt", "deploy", "--all"]
    done = subprocess.run(command, cwd=repo, env={**os.environ, **env}, check=False)
    return EXIT_OK if done.returncode == 0 else EXIT_FAILED


def cmd_dashboard(args: argparse.Namespace) -> int:
    import webbrowser

    from pipeline.config import load_config
    from reports.dashboard import write_dashboard
    from reports.metrics import MetricsError
    from warehouse.postgres_target import WarehouseError

    try:
        path = write_dashboard(load_config(args.config))
    except (FileNotFoundError, MetricsError, WarehouseError) as exc:
        print(f"trainops: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(path)
    if args.open:
        webbrowser.open(path.as_uri())
    return EXIT_OK


def cmd_compliance(args: argparse.Namespace) -> int:
    from flows import load_run_config
    from reports.compliance import ComplianceLookupError, lookup, render
    from warehouse import postgres_target as postgres

    config = load_run_config(args.config, args.target)
    try:
        marts = config.marts_db if config.target == "duckdb" else postgres.describe()
        answer = lookup(marts, config.home, args.employee, args.on, args.requirement)
    except (ComplianceLookupError, postgres.WarehouseError) as exc:
        print(f"trainops: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(render(answer, as_json=args.json))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": cmd_demo,
    "run": cmd_run,
    "parse": cmd_parse,
    "map": cmd_map,
    "status": cmd_status,
    "backfill": cmd_backfill,
    "quarantine": cmd_quarantine,
    "publish": cmd_publish,
    "compliance": cmd_compliance,
    "dashboard": cmd_dashboard,
    "deploy": cmd_deploy,
}
