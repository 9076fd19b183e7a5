"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright, network off.

Every chart must draw (a non-empty SVG), nothing may log an error, markup from the sources must show
as text, and each headline figure must equal a plain SQL query over the published marts, written
here independently of the metric definitions the dashboard reads.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import COURSE_TITLE, VENDOR_NAME

from reports.dashboard import NO_DATA, write_dashboard
from reports.metrics import find_semantic_manifest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclasses.dataclass
class Opened:
    page: object
    problems: list[str]
    requests: list[str]


def open_offline(browser, path: Path) -> Opened:
    """Open a file with the network off; record console errors, page errors, dialogs and any request
    that is not the file itself."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    opened = Opened(page, [], [])
    page.on("console", lambda message: message.type == "error" and opened.problems.append(message.text))
    page.on("pageerror", lambda error: opened.problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: (opened.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("request", lambda request: request.url != path.as_uri() and opened.requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_function(
        "[...document.querySelectorAll('figure.chart')].every(f => f.querySelector('svg') || f.textContent)"
    )
    return opened


@pytest.fixture(scope="module")
def dashboard(published, browser, tmp_path_factory):
    path = write_dashboard(published)
    opened = open_offline(browser, path)
    shot = tmp_path_factory.mktemp("dashboard") / "dashboard.png"
    opened.page.screenshot(path=str(shot), full_page=True)
    return {"path": path, "opened": opened, "screenshot": shot}


def test_every_chart_draws_offline_without_errors(dashboard):
    opened = dashboard["opened"]
    assert opened.problems == []
    assert opened.requests == []  # one self-contained file: no CDN, no server
    drawn = opened.page.evaluate(
        """[...document.querySelectorAll('figure.chart')].map(f => {
             const svg = f.querySelector('svg');
             const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
             return {id: f.id, marks: svg ? svg.querySelectorAll('path, rect, line, text').length : 0,
                     width: box.width, height: box.height};
           })"""
    )
    assert len(drawn) >= 15, drawn
    for chart in drawn:
        assert chart["marks"] > 0 and chart["width"] > 100 and chart["height"] > 100, chart
    assert dashboard["screenshot"].stat().st_size > 50_000
    print(f"screenshot: {dashboard['screenshot']}")


def test_every_chart_has_a_title_with_unit_and_as_of_date(dashboard):
    texts = dashboard["opened"].page.evaluate(
        "[...document.querySelectorAll('figure.chart svg')].map(svg => svg.textContent)"
    )
    for text in texts:
        assert "as of 2026-11-28" in text, text[:200]


def test_markup_from_the_sources_shows_as_text(dashboard):
    page = dashboard["opened"].page
    assert page.get_by_role("cell", name=COURSE_TITLE, exact=True).count() == 1
    assert page.evaluate("[...document.querySelectorAll('img')].length") == 0
    svg_text = page.evaluate("[...document.querySelectorAll('figure.chart svg text')].map(t => t.textContent)")
    assert VENDOR_NAME in svg_text
    assert dashboard["path"].read_text().count("<script>alert(1)</script>") == 0


def independent_headlines(marts: Path) -> dict[str, str]:
    """The headline figures, from plain SQL over the published marts."""
    pct = lambda value: "—" if value is None else f"{100 * float(value):.1f} %"  # noqa: E731
    with duckdb.connect(str(marts), read_only=True) as con:
        one = lambda sql: con.execute(sql).fetchone()  # noqa: E731
        compliant, non_exempt, overdue, due_soon = one(
            "select count(*) filter (where status = 'compliant'), count(*) filter (where status <> 'exempt'), "
            "count(*) filter (where status = 'overdue'), count(*) filter (where status = 'due_soon') "
            "from fct_compliance_status"
        )
        booked, used, seats, no_show, outcomes = one(
            "select sum(booked), sum(seats_used), sum(capacity), sum(no_show), sum(attended + no_show) "
            "from fct_session_utilization where status = 'delivered'"
        )
        figures = {
            "compliance_rate": pct(compliant / non_exempt), "overdue_count": f"{overdue:,}",
            "due_soon_count": f"{due_soon:,}", "compliant_count": f"{compliant:,}",
            "fill_rate": pct(booked / seats), "utilization_rate": pct(used / seats),
            "no_show_rate": pct(no_show / outcomes),
        }  # fmt: skip
        for currency, billed, expected in con.execute(
            "select currency, sum(billed_amount), sum(expected_amount) from rpt_vendor_spend_monthly "
            "where is_month_complete group by currency"
        ).fetchall():
            for name, value in (("billed", billed), ("expected", expected), ("variance", billed - expected)):
                figures[f"{name}:{currency}"] = f"{currency} {Decimal(value):,.2f}"
        flagged = one("select count(*) from fct_invoice_line_reconciliation where flags is not null")[0]
        figures["flagged_lines"] = f"{flagged:,}"
        for sla in ("on_time_delivery", "reporting", "invoice_accuracy"):
            column = f"is_{sla}_attained"
            attained, measured = one(
                f"select count(*) filter (where {column}), count({column}) from fct_vendor_sla_monthly"
            )
            figures[f"sla_{sla}_attainment"] = pct(attained / measured if measured else None)
        checks = one("select count(*) from rpt_cross_system_checks where check_status <> 'ok'")[0]
        figures["checks_not_ok"] = f"{checks:,}"
    return figures


def test_each_headline_figure_equals_sql_over_the_published_marts(dashboard, published):
    shown = dashboard["opened"].page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('[data-metric]')]"
        ".map(t => [t.dataset.metric, t.querySelector('.value').textContent]))"
    )
    expected = independent_headlines(published.marts_db)
    assert {name: shown.get(name) for name in expected} == expected
    assert len([name for name in expected if ":" in name]) >= 6  # billed / expected / variance per currency


def test_empty_marts_show_no_data_yet_and_no_broken_chart(published, browser, tmp_path):
    """A version of the marts with every table empty: each section says so, nothing errors."""
    marts = tmp_path / "marts.duckdb"
    shutil.copy(published.marts_db, marts)
    with duckdb.connect(str(marts)) as con:
        for (table,) in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall():
            con.execute(f'delete from main."{table}"')
    home = tmp_path / "home"
    empty = published.model_copy(update={"home": home})
    path = write_dashboard(empty, marts=marts, semantic_manifest=find_semantic_manifest(published.warehouse))
    opened = open_offline(browser, path)
    assert opened.problems == []
    assert opened.page.evaluate("document.querySelectorAll('figure.chart').length") == 0
    for section in ("compliance", "utilization", "billing", "health"):
        assert NO_DATA in opened.page.locator(f"section#{section}").inner_text(), section


def test_the_run_wrote_the_dashboard_and_links_it(published):
    from pipeline.lifecycle import read_run_records

    record = next(r for r in read_run_records(published.home) if r["status"] == "success")
    assert record["dashboard"] == {"path": str(published.home / "reports" / "dashboard.html")}
    report = (published.home / "runs" / f"{record['run_id']}.html").read_text()
    assert '<a href="../reports/dashboard.html">' in report


def test_cli_rewrites_the_dashboard_and_prints_its_path(published, capsys):
    from flows.cli import main

    path = published.home / "reports" / "dashboard.html"
    before = path.stat().st_mtime_ns
    assert main(["dashboard", "--config", str(published.path)]) == 0
    assert capsys.readouterr().out.strip() == str(path)
    assert path.stat().st_mtime_ns > before
