"""Orchestration pieces on real files and loopback HTTP, without a dbt build: the run lock, crash
clean-up and adoption of orphan loads, backfill planning and API-window re-extraction, the failure
webhook, `trainops status` and the operations config keys."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from werkzeug import Request, Response

from connectors import landing, state
from connectors.base import ParseResult
from connectors.files import name_span
from connectors.lms.xapi_files import ENTITY
from flows import load_run_config
from flows.nightly import nightly_sync  # imports Prefect at collection: its console logs to pytest's stream
from pipeline import backfill_chunks, backfill_plan, backfill_progress, steps
from pipeline.config import ConfigError, load_config
from pipeline.lifecycle import LockBusy, RunFailed, read_run_records, recover, run_lock
from reports import notify
from reports.status import report

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

HR_CSV = (
    "employee_id,email,given_name,family_name,status,hire_date,termination_date,job_code,job_title,department,"
    "cost_center,country,region,manager_id,employment_type,updated_at\n"
    "E1,e1@acme.example,Ann,Lee,active,2020-01-06,,J1,Analyst,Finance,CC1,GB,EMEA,,full_time,\n"
)


def write_config(tmp_path: Path, extra: str = "", sources: str | None = None) -> Path:
    (tmp_path / "reference").mkdir(exist_ok=True)
    drops = tmp_path / "drops" / "hris"
    drops.mkdir(parents=True, exist_ok=True)
    sources = sources or "  - {name: hr, kind: hris_csv, path: ./drops/hris}\n"
    path = tmp_path / "trainops.yaml"
    path.write_text(f"home: ./home\nreference_dir: ./reference\ntimezone: Europe/London\n{extra}sources:\n{sources}")
    return path


# -- config ----------------------------------------------------------------------------------------


def test_operations_keys_are_optional_and_validated(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    defaults = load_config(write_config(tmp_path))
    assert (defaults.lock_wait, defaults.on_stale, defaults.max_age_hours, defaults.notify_webhook_env) == (
        0.0, "hold", 36.0, None
    )  # fmt: skip
    extra = "lock_wait: 900\nfreshness: {on_stale: publish, max_age_hours: 50}\nnotify_webhook_env: TRAINOPS_SLACK\n"
    config = load_config(write_config(tmp_path, extra))
    assert (config.lock_wait, config.on_stale, config.max_age_hours, config.notify_webhook_env) == (
        900.0, "publish", 50.0, "TRAINOPS_SLACK"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("lock_wait: -1\n", "lock_wait"),
        ("freshness: {on_stale: shrug}\n", "freshness.on_stale"),
        ("freshness: {max_age_hours: 0}\n", "freshness.max_age_hours"),
        ("freshness: {colour: red}\n", "freshness.colour"),
        ("notify_webhook_env: https://hooks.slack.com/services/T0/B0/sEcReTtOkEn\n", "notify_webhook_env"),
    ],
)
def test_bad_operations_keys_name_the_key_and_never_echo_a_url(tmp_path, extra, key):
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path, extra))
    assert f": {key}: " in str(info.value)
    assert "sEcReTtOkEn" not in str(info.value)


# -- one writer at a time --------------------------------------------------------------------------


def test_a_second_writer_gets_a_clear_message_naming_the_holder(tmp_path):
    with (
        run_lock(tmp_path, holder={"run_id": "R1", "flow": "nightly-sync"}),
        pytest.raises(LockBusy) as info,
        run_lock(tmp_path, wait=0),
    ):
        pytest.fail("two writers")
    message = str(info.value)
    assert "nightly-sync R1" in message and f"pid {os.getpid()}" in message and "--lock-wait" in message
    with run_lock(tmp_path):  # released afterwards
        pass


def test_a_second_writer_waits_for_the_lock_when_asked(tmp_path):
    waiting, acquired = threading.Event(), threading.Event()

    def second() -> None:
        with run_lock(tmp_path, wait=120, on_wait=lambda holder: waiting.set()):
            acquired.set()

    with run_lock(tmp_path, holder={"run_id": "R1", "flow": "backfill"}):
        thread = threading.Thread(target=second)
        thread.start()
        assert waiting.wait(60)
        assert not acquired.is_set()  # still ours
    thread.join(60)
    assert acquired.is_set()


def test_run_exits_with_code_3_while_another_run_holds_the_lock(tmp_path, capsys, prefect_harness):
    from flows.cli import EXIT_BUSY, main

    path = write_config(tmp_path)
    home = load_config(path).home
    with run_lock(home, holder={"run_id": "R1", "flow": "backfill"}):
        assert main(["run", "--config", str(path), "--lock-wait", "0"]) == EXIT_BUSY
    err = capsys.readouterr().err
    assert "another trainops run holds" in err and "backfill R1" in err
    assert not (home / "runs").exists() and not (home / "landing").exists()  # nothing was done


# -- crash leftovers and orphan loads --------------------------------------------------------------


def test_recover_removes_what_a_killed_run_left_and_records_it_as_crashed(tmp_path):
    config = load_config(write_config(tmp_path))
    home = config.home
    half = landing.landing_dir(home) / "hr" / ".tmp-20261128T010000000000Z-hr"
    half.mkdir(parents=True)
    (half / "hris.employee.parquet").write_bytes(b"half")
    config.warehouse.mkdir(parents=True)
    (config.warehouse / ".publish-20261128T010000000000Z.duckdb").write_bytes(b"staged")
    (config.warehouse / "build-20261128T010000000000Z.duckdb").write_bytes(b"half a build")
    config.exports.mkdir(parents=True)
    (config.exports / ".fct_x-20261128T010000000000Z.parquet").write_bytes(b"half an export")
    (config.exports / "fct_x.parquet").write_bytes(b"published")
    (home / "runs").mkdir()
    record = {"run_id": "20261128T010000000000Z", "flow": "nightly-sync", "status": "running",
              "as_of": "2026-11-28", "config": str(config.path)}  # fmt: skip
    (home / "runs" / "20261128T010000000000Z.json").write_text(json.dumps(record))

    notes = recover(config)

    assert not half.exists()
    assert list(config.warehouse.glob("*.duckdb")) == []
    assert [p.name for p in config.exports.iterdir()] == ["fct_x.parquet"]
    crashed = json.loads((home / "runs" / "20261128T010000000000Z.json").read_text())
    assert crashed["status"] == "crashed"
    assert len(notes) == 4 and recover(config) == []


def test_a_load_committed_before_its_state_is_adopted_not_landed_again(tmp_path):
    config = load_config(write_config(tmp_path))
    source = config.source("hr")
    (source.path / "employees_2026-11-28.csv").write_text(HR_CSV)
    connector = steps.connector_for(config, source)
    landing.ensure_schema_files(config.home)
    # the crash: the first run landed the file, then died before committing the state
    unit, result = next(connector.extract(connector.state_type()))
    orphan = landing.write_load(config.home, "hr", "hris_csv", result, unit=unit.to_json())
    assert state.read_state(config.home, "hr") == {}

    rerun = steps.extract_source(config, source)

    assert rerun.loads == []  # nothing landed twice
    assert [load.load_id for load in landing.list_loads(config.home, "hr")] == [orphan.load_id]
    saved = state.read_state(config.home, "hr")
    assert saved[steps.COMMITTED_LOAD] == orphan.load_id
    assert saved["files"]["employees_2026-11-28.csv"]["load_id"] == orphan.load_id


# -- backfill planning -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "span"),
    [
        ("employees_2026-10-28.csv", (date(2026, 10, 28), date(2026, 10, 28))),
        ("sessions_2026-02.csv", (date(2026, 2, 1), date(2026, 2, 28))),
        ("V01_2026-12.csv", (date(2026, 12, 1), date(2026, 12, 31))),
        ("V02_KA-2026-0101.xml", None),  # an invoice number, not a date
        ("statements_backfill.json", None),
        ("export_2026-13.csv", None),
    ],
)
def test_file_dates_come_from_the_name(name, span):
    assert name_span(name) == span


def test_plan_assigns_each_file_and_load_to_one_chunk(tmp_path):
    config = load_config(write_config(tmp_path))
    drops = config.source("hr").path
    for name in ("employees_2026-09-28.csv", "employees_2026-10-05.csv", "employees_2026-10-28.csv"):
        (drops / name).write_text(HR_CSV)
    undated = drops / "roster_export.csv"
    header, row = HR_CSV.splitlines()
    undated.write_text(f"{header},snapshot_date\n{row},2026-10-09\n")  # dated inside, not by name
    dropped_on = datetime(2026, 10, 9, 12, tzinfo=UTC).timestamp()
    os.utime(undated, (dropped_on, dropped_on))
    steps.extract_source(config, config.source("hr"))  # one load holding all four files

    plan = backfill_plan.plan_backfill(config, date(2026, 10, 1), date(2026, 10, 31), chunk_days=7)

    assert [(c.start, c.end) for c in plan.chunks] == [
        (date(2026, 10, 1), date(2026, 10, 7)),
        (date(2026, 10, 8), date(2026, 10, 14)),
        (date(2026, 10, 22), date(2026, 10, 28)),
    ]  # windows with nothing to do are left out
    assert [c.files for c in plan.chunks] == [
        ("employees_2026-10-05.csv",), ("roster_export.csv",), ("employees_2026-10-28.csv",)
    ]  # fmt: skip
    assert [len(c.loads) for c in plan.chunks] == [1, 0, 0]  # the load spans Sep–Oct: revalidated once
    assert plan.backfill_id == backfill_plan.plan_backfill(config, date(2026, 10, 1), date(2026, 10, 31)).backfill_id
    with pytest.raises(ConfigError, match="before"):
        backfill_plan.plan_backfill(config, date(2026, 10, 31), date(2026, 10, 1))
    with pytest.raises(ConfigError, match="no source named 'lrs'"):
        backfill_plan.plan_backfill(config, date(2026, 10, 1), date(2026, 10, 31), ["lrs"])


def test_dry_run_prints_the_plan_and_changes_nothing(tmp_path, capsys):
    from flows.cli import main

    path = write_config(tmp_path)
    (load_config(path).source("hr").path / "employees_2026-10-05.csv").write_text(HR_CSV)
    args = ["backfill", "--config", str(path), "--start", "2026-10-01", "--end", "2026-10-14", "--dry-run"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "hr             2026-10-01..2026-10-07" in out and "employees_2026-10-05.csv" in out
    assert "dry run" in out
    assert not (tmp_path / "home" / "landing").exists() and not (tmp_path / "home" / "state").exists()


def test_history_is_widened_only_when_the_range_starts_before_its_default_window():
    as_of = date(2026, 11, 28)
    assert backfill_plan.history_vars(date(2026, 1, 1), as_of) == {}
    assert backfill_plan.history_vars(date(2020, 3, 1), as_of) == {"compliance_history_start": "2020-03-01"}


def test_progress_reports_eta_from_the_chunks_run_and_the_last_build():
    class Stream(list):
        def write(self, text: str) -> None:
            self.append(text)

        def flush(self) -> None:
            pass

    stream = Stream()
    progress = backfill_progress.Progress(total=4, build_seconds=40.0, stream=stream)  # type: ignore[arg-type]
    progress.update()
    progress.done = progress.ran = 2
    progress.chunk_seconds = 10.0
    progress.update()
    progress.update("done")
    assert "0/4 chunks, 0 %" in stream[0] and "ETA unknown" in stream[0]
    assert "2/4 chunks, 45 %" in stream[1] and "ETA 50s" in stream[1]  # 2 chunks × 5 s + 40 s build
    assert "100 %" in stream[2] and "ETA 0s" in stream[2]


# -- API windows -----------------------------------------------------------------------------------


def statement(number: int, stored: str) -> dict:
    return {
        "id": f"6c1a2f4e-0000-4000-8000-{number:012d}",
        "actor": {"mbox": f"mailto:learner{number}@acme.example", "objectType": "Agent"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://lms.example.com/courses/C1", "objectType": "Activity"},
        "timestamp": stored.replace(".000Z", "Z"),
        "stored": stored,
    }


class WindowLrs:
    """``since`` (exclusive) and ``until`` (inclusive) on ``stored``, two statements per page."""

    def __init__(self, statements: list[dict]):
        self.statements = statements
        self.queries: list[dict] = []

    def __call__(self, request: Request) -> Response:
        args = {key: values[0] for key, values in parse_qs(request.query_string.decode()).items()}
        self.queries.append(args)
        rows = sorted(self.statements, key=lambda s: s["stored"])
        rows = [s for s in rows if s["stored"] > args.get("since", "") and s["stored"] <= args.get("until", "~")]
        offset = int(args.get("offset", 0))
        body: dict = {"statements": rows[offset : offset + 2], "more": ""}
        if offset + 2 < len(rows):
            query = {**args, "offset": str(offset + 2)}
            body["more"] = "/xAPI/statements?" + "&".join(f"{k}={v}" for k, v in query.items())
        return Response(json.dumps(body), content_type="application/json")


def test_a_window_is_re_extracted_landing_only_what_is_not_landed_yet(tmp_path, httpserver, monkeypatch):
    monkeypatch.setenv("LRS_USER", "key")
    monkeypatch.setenv("LRS_PASSWORD", "lrs-pw-S3CRET")
    lrs = WindowLrs([statement(n, f"2026-10-0{n}T12:00:00.000Z") for n in range(1, 6)])
    httpserver.expect_request("/xAPI/statements").respond_with_handler(lrs)
    source = f"  - {{name: lrs, kind: xapi_lrs, url: '{httpserver.url_for('/xAPI/')}', username_env: LRS_USER, " \
             "password_env: LRS_PASSWORD}\n"  # fmt: skip
    config = load_config(write_config(tmp_path, sources=source))
    plan = backfill_plan.plan_backfill(config, date(2026, 10, 1), date(2026, 10, 3), ["lrs"], chunk_days=3)
    (chunk,) = plan.chunks
    assert chunk.mode == "window"

    first = backfill_chunks.land_window(config, config.source("lrs"), chunk, plan.backfill_id)
    assert lrs.queries[0]["since"] == "2026-09-30T23:00:00.000Z"  # midnight in London, in UTC
    assert lrs.queries[0]["until"] == "2026-10-03T23:00:00.000Z"
    landed = [landing.read_entity(load, ENTITY) for load in landing.list_loads(config.home, "lrs")]
    assert sorted(r for table in landed for r in table.column("record_id").to_pylist()) == [
        statement(n, "")["id"] for n in (1, 2, 3)
    ]
    assert len(first) == 2  # two pages

    assert backfill_chunks.land_window(config, config.source("lrs"), chunk, plan.backfill_id) == []  # nothing new
    lrs.statements.append(statement(9, "2026-10-02T18:00:00.000Z"))  # stored late by the LRS
    again = backfill_chunks.land_window(config, config.source("lrs"), chunk, plan.backfill_id)
    (load,) = [load for load in landing.list_loads(config.home, "lrs") if load.load_id in again]
    assert landing.read_entity(load, ENTITY).column("record_id").to_pylist() == [statement(9, "")["id"]]
    assert load.manifest["unit"]["backfill"]["id"] == plan.backfill_id

    # the nightly state never moves for window loads, and the nightly never adopts them
    assert state.read_state(config.home, "lrs") == {}
    connector = steps.connector_for(config, config.source("lrs"))
    assert steps.adopt_orphan_loads(config, config.source("lrs"), connector).to_json() == {}


def test_only_new_keeps_changed_records_and_new_rejects(tmp_path):
    home = tmp_path
    landing.ensure_schema_files(home)
    record = {"record_id": "r1", "learner_ref": "a@x", "course_ref": "C1", "verb": "completed",
              "occurred_at": datetime(2026, 10, 2, 12, tzinfo=UTC), "source_system": "xapi"}  # fmt: skip
    first = ParseResult()
    first.add(ENTITY, dict(record))
    landing.write_load(home, "lrs", "xapi_lrs", first, unit={})
    again = ParseResult()
    again.add(ENTITY, dict(record))
    again.add(ENTITY, {**record, "verb": "passed"})  # same id, changed content
    assert backfill_chunks.only_new(home, "lrs", again).records[ENTITY] == [{**record, "verb": "passed"}]


# -- failure webhook -------------------------------------------------------------------------------


TOKEN_PATH = "/services/T0001/B0001/sEcReTtOkEn"


def test_a_failed_run_posts_slack_compatible_json(tmp_path, httpserver, monkeypatch):
    monkeypatch.setenv("TRAINOPS_SLACK", httpserver.url_for(TOKEN_PATH))
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_data("ok")
    config = load_config(write_config(tmp_path, "notify_webhook_env: TRAINOPS_SLACK\n"))
    failed = {"flow": "nightly-sync", "run_id": "R7", "as_of": "2026-11-28", "status": "failed",
              "error": "dbt build failed (1 failures): test.x"}  # fmt: skip

    assert notify.notify(config, failed) is True
    assert notify.notify(config, {**failed, "status": "success"}) is False  # nothing to page about
    stale = {**failed, "status": "stale", "stale_sources": {"lrs": "source 'lrs': GET /xAPI/statements: HTTP 503"}}
    assert notify.notify(config, stale) is True

    bodies = [json.loads(request.get_data()) for request, _ in httpserver.log]
    assert [set(body) for body in bodies] == [{"text"}, {"text"}]
    assert "nightly-sync* failed" in bodies[0]["text"] and "R7" in bodies[0]["text"]
    assert "dbt build failed" in bodies[0]["text"]
    assert "stale source(s) lrs" in bodies[1]["text"] and "HTTP 503" in bodies[1]["text"]


def test_a_webhook_that_refuses_never_fails_the_run_nor_leaks_its_url(tmp_path, httpserver, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TRAINOPS_SLACK", httpserver.url_for(TOKEN_PATH))
    httpserver.expect_request(TOKEN_PATH).respond_with_data("no such hook", status=404)
    config = load_config(write_config(tmp_path, "notify_webhook_env: TRAINOPS_SLACK\n"))
    record = {"flow": "backfill", "run_id": "R8", "as_of": "2026-11-28", "status": "failed", "error": "boom"}
    assert notify.notify(config, record) is False
    assert len(httpserver.log) == 1  # a refusal is final
    monkeypatch.setenv("TRAINOPS_SLACK", "http://127.0.0.1:9/services/T0/B0/sEcReTtOkEn")  # nothing listens
    assert notify.notify(config, record) is False
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug"))  # not the fake's
    assert "TRAINOPS_SLACK" in ours and "HTTP 404" in ours and "connection refused" in ours
    assert "retry 1 of 1" in ours  # the unreachable webhook was tried twice
    assert "sEcReTtOkEn" not in ours and "/services/" not in ours


def test_a_webhook_that_is_down_is_tried_twice_and_never_fails_the_run(tmp_path, httpserver, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TRAINOPS_SLACK", httpserver.url_for(TOKEN_PATH) + "?token=qUeRyToKeN")
    httpserver.expect_request(TOKEN_PATH).respond_with_data("busy", status=503)
    config = load_config(write_config(tmp_path, "notify_webhook_env: TRAINOPS_SLACK\n"))
    record = {"flow": "nightly-sync", "run_id": "R9", "as_of": "2026-11-28", "status": "failed", "error": "boom"}
    assert notify.notify(config, record) is False
    assert len(httpserver.log) == notify.RETRY.attempts == 2
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug"))
    assert "HTTP 503" in ours and "gave up after 2 attempts" in ours
    assert "sEcReTtOkEn" not in ours and "qUeRyToKeN" not in ours


# -- status ----------------------------------------------------------------------------------------


def test_status_of_a_fresh_home_says_what_is_missing(tmp_path, capsys):
    from flows.cli import main

    path = write_config(tmp_path)
    data = report(load_config(path))
    assert data["healthy"] is False
    assert data["problems"] == ["source hr is stale (never extracted)", "no marts published yet"]
    assert main(["status", "--config", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sources"][0]["position"] == "nothing loaded yet"
    assert main(["status", "--config", str(path)]) == 0
    assert "ATTENTION: source hr is stale (never extracted)" in capsys.readouterr().out


def test_the_target_is_a_copy_of_the_config_not_the_environment(tmp_path, monkeypatch, capsys):
    from flows.cli import main

    monkeypatch.delenv("TRAINOPS_TARGET", raising=False)
    path = write_config(tmp_path)
    config = load_config(path)
    assert load_run_config(path, "postgres").target == "postgres" and config.target == "duckdb"
    assert load_run_config(path) == config
    args = ["backfill", "--config", str(path), "--start", "2026-10-01", "--end", "2026-10-14", "--dry-run"]
    assert main([*args, "--target", "postgres"]) == 0
    assert "TRAINOPS_TARGET" not in os.environ


# -- a failed run: its record, the state hook, one line from the CLI -------------------------------


def lrs_without_password(tmp_path: Path) -> Path:
    source = "  - {name: lrs, kind: xapi_lrs, url: 'http://127.0.0.1:9/xAPI/', username_env: TRAINOPS_IT_USER, " \
             "password_env: TRAINOPS_IT_UNSET_PASSWORD}\n"  # fmt: skip
    return write_config(tmp_path, sources=source)


def test_a_failed_run_is_recorded_and_reported_by_the_flows_state_hook(tmp_path, monkeypatch, prefect_harness):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    monkeypatch.setenv("TRAINOPS_IT_USER", "someone")
    monkeypatch.delenv("TRAINOPS_IT_UNSET_PASSWORD", raising=False)
    path = lrs_without_password(tmp_path)
    home = load_config(path).home

    with pytest.raises(RunFailed, match="TRAINOPS_IT_UNSET_PASSWORD.*on_stale is hold") as info:
        nightly_sync(as_of=date(2026, 11, 28), config_path=str(path))

    (record,) = read_run_records(home)
    assert record == info.value.record  # the record the flow raised with, completed by the hook
    assert (record["status"], record["flow"]) == ("failed", "nightly-sync")
    assert record["error"] == str(info.value) and record["finished_at"] and "quarantine" in record
    assert "TRAINOPS_IT_UNSET_PASSWORD" in (home / "runs" / f"{record['run_id']}.html").read_text()
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["nightly-sync-summary"]))
        )
    (artifact,) = [a for a in artifacts if record["run_id"] in str(a.data)]
    assert artifact.flow_run_id is not None and "**Error:**" in str(artifact.data)
    with run_lock(home, wait=0):  # released once the hook was done
        pass


@pytest.mark.parametrize("case", ["missing password variable", "missing drop folder"])
def test_a_failed_run_prints_one_line_without_v(case, tmp_path, prefect_harness):
    from prefect.settings import get_current_settings

    if case == "missing drop folder":
        path = write_config(tmp_path, "freshness: {on_stale: hold}\n", "  - {name: hr, kind: hris_csv, path: ./gone}\n")
        reason = "gone"
    else:
        path, reason = lrs_without_password(tmp_path), "TRAINOPS_IT_UNSET_PASSWORD"
    env = {**os.environ, "TRAINOPS_IT_USER": "someone", "PREFECT_API_URL": str(get_current_settings().api.url)}
    env.pop("TRAINOPS_IT_UNSET_PASSWORD", None)
    env.pop("PREFECT_LOGGING_LEVEL", None)
    command = [sys.executable, "-m", "flows.cli", "run", "--config", str(path), "--as-of", "2026-11-28"]

    quiet = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
    verbose = subprocess.run(
        [*command[:3], "-v", *command[3:]], cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )

    assert quiet.returncode == 1, quiet.stderr
    # the preflight may have warned first (before Prefect started); the failure itself is one line
    warned = [text for text in quiet.stderr.splitlines() if text.startswith("trainops: warning: ")]
    (line,) = [text for text in quiet.stderr.splitlines() if text not in warned]
    assert all(reason in text for text in warned)
    assert line.startswith("trainops: run failed, published marts untouched: ") and reason in line
    assert "Traceback" not in quiet.stderr + quiet.stdout
    assert verbose.returncode == 1
    assert "Traceback" in verbose.stderr and line in verbose.stderr.splitlines()
