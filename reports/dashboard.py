"""The dashboard: one self-contained HTML file (``{home}/reports/dashboard.html``) with the compliance,
utilization, billing and data-health pictures, from the published marts only.

It works offline: the Vega / Vega-Lite / vega-embed JavaScript (the bundle vl-convert ships) is
inlined once, each chart's Vega-Lite specification sits in a ``<script type="application/json">``
block (with ``<``, ``>`` and ``&`` escaped, so text from the sources cannot close it), and every
other text is HTML-escaped. Written by every successful run and by ``trainops dashboard``.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.config import Config
from reports import dashboard_sections as sections
from reports.metrics import MetricsError, PublishedMetrics, find_semantic_manifest
from reports.summary import QUERY_ERRORS, marts_fetch

DASHBOARD = Path("reports") / "dashboard.html"
NO_DATA = "No data yet"


@dataclass(frozen=True)
class Page:
    as_of: date
    generated_at: str
    marts: str
    sections: list[sections.Section]


def dashboard_path(home: Path) -> Path:
    return home / DASHBOARD


def published_marts(config: Config) -> str | Path:
    """Where BI reads the marts: the DuckDB file, or the Postgres warehouse's schema ``marts``."""
    if config.target == "postgres":
        from warehouse import postgres_target

        return postgres_target.describe()
    return config.marts_db


def write_dashboard(config: Config, marts: str | Path | None = None, semantic_manifest: Path | None = None) -> Path:
    """(Re)write the dashboard from the published marts; returns its path. Replaced atomically."""
    marts = marts if marts is not None else published_marts(config)
    if isinstance(marts, Path) and not marts.exists():
        raise FileNotFoundError(f"no published marts at {marts}: run `trainops run` first")
    metrics = PublishedMetrics(marts, semantic_manifest or find_semantic_manifest(config.warehouse))
    fetch = marts_fetch(marts)
    src = sections.Sources(metrics, fetch, config.home, _as_of(fetch, config.home))
    page = Page(src.as_of, datetime.now().astimezone().isoformat(timespec="seconds"), str(marts), build_sections(src))
    path = dashboard_path(config.home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render(page, vega_bundle(path.parent)), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _as_of(fetch: sections.Fetch, home: Path) -> date:
    """The marts' as-of date; without compliance rows, the last run's; else today."""
    try:
        rows = fetch("select max(as_of_date) from fct_compliance_status")
    except QUERY_ERRORS:
        rows = []
    if rows and rows[0][0] is not None:
        value = rows[0][0]
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    from pipeline.lifecycle import read_run_records

    records = [record for record in read_run_records(home, limit=20) if record.get("as_of")]
    return date.fromisoformat(records[0]["as_of"]) if records else date.today()


def build_sections(src: sections.Sources) -> list[sections.Section]:
    try:
        vendors = {
            vendor: name
            for vendor, name in src.fetch(
                "select distinct vendor_id, vendor_name from rpt_vendor_spend_monthly where vendor_name is not null"
            )
        }
    except QUERY_ERRORS:
        vendors = {}
    built = []
    for key, title, make in (
        ("compliance", "Compliance", lambda: sections.compliance(src)),
        ("utilization", "Utilization", lambda: sections.utilization(src, vendors)),
        ("billing", "Billing", lambda: sections.billing(src, vendors)),
        ("health", "Data health", lambda: sections.data_health(src)),
    ):
        try:
            built.append(make())
        except (*QUERY_ERRORS, MetricsError) as exc:  # a mart missing in this version: say so, draw nothing
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            built.append(sections.Section(key, title, f"{NO_DATA} (the marts could not be read: {first})"))
    return built


# -- HTML ----------------------------------------------------------------------------------------------

STYLE = """
:root{--ink:#1b1b1b;--muted:#555;--line:#d0d0d0;--tile:#f4f4f4}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#fff}
header{padding:1rem 2rem;border-bottom:1px solid var(--line)}
header h1{margin:0;font-size:1.5rem}
header p{margin:.25rem 0 0;color:var(--muted)}
nav a{margin-right:1rem}
main{padding:0 2rem 2rem;max-width:1200px}
section{border-bottom:1px solid var(--line);padding:1rem 0}
h2{font-size:1.3rem;margin:.5rem 0}
.intro{color:var(--muted);max-width:60rem}
.tiles{display:flex;flex-wrap:wrap;gap:.75rem;margin:1rem 0;padding:0;list-style:none}
.tile{background:var(--tile);border-radius:6px;padding:.6rem .9rem;min-width:10rem}
.tile .label{font-size:.85rem;color:var(--muted)}
.tile .value{font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}
.chart{min-height:3rem;margin:0}
.empty{border:1px dashed var(--line);padding:1rem;color:var(--muted);min-width:20rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
td,th{border:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top}
caption{text-align:left;font-weight:600;padding:.25rem 0}
"""

LOADER = """
document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (block) {
  var target = document.getElementById(block.dataset.chart);
  vegaEmbed(target, JSON.parse(block.textContent), {renderer: 'svg', actions: false})
    .catch(function (error) { target.textContent = 'This chart could not be drawn.'; console.error(error); });
});
"""


@cache
def vega_bundle(cache_dir: Path) -> str:
    """vega + vega-lite + vega-embed as one script: vl-convert's bundle for Altair's Vega-Lite version.
    Bundling takes seconds, so it is kept in ``cache_dir`` per vl-convert and Vega-Lite version."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    version = vl_version_for_vl_convert()
    cached = cache_dir / f".vega-bundle-{vl_convert.__version__}-{version}.js"  # type: ignore[attr-defined]
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    bundle = vl_convert.javascript_bundle(vl_version=version).replace("</script", "<\\/script")  # type: ignore[call-arg]
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(bundle, encoding="utf-8")
    os.replace(tmp, cached)
    return bundle


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` can end it or start markup."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _cell(value: Any) -> str:
    return "" if value is None else html.escape(str(value))


def _table(table: sections.Table) -> str:
    if not table.rows:
        return f'<p class="empty"><strong>{html.escape(table.title)}</strong>: {NO_DATA}</p>'
    head = "".join(f"<th scope='col'>{html.escape(column)}</th>" for column in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(value)}</td>" for value in row) + "</tr>" for row in table.rows)
    return f"<table><caption>{html.escape(table.title)}</caption><tr>{head}</tr>{body}</table>"


def _section(section: sections.Section, first_chart: int) -> tuple[str, list[str]]:
    parts = [
        f'<section id="{section.key}" aria-labelledby="{section.key}-title">',
        f'<h2 id="{section.key}-title">{html.escape(section.title)}</h2>',
        f'<p class="intro">{html.escape(section.intro)}</p>',
    ]
    if section.headlines:
        parts.append('<ul class="tiles">')
        parts += [
            f'<li class="tile" data-metric="{html.escape(h.metric)}"><div class="label">{html.escape(h.label)}</div>'
            f'<div class="value">{html.escape(h.value)}</div></li>'
            for h in section.headlines
        ]
        parts.append("</ul>")
    specs = []
    parts.append('<div class="charts">')
    for number, chart in enumerate(section.charts, start=first_chart):
        if chart.spec is None:
            parts.append(f'<p class="empty"><strong>{html.escape(chart.title)}</strong>: {NO_DATA}</p>')
            continue
        label = html.escape(chart.title)
        parts.append(f'<figure class="chart" id="chart-{number}" role="figure" aria-label="{label}"></figure>')
        specs.append(f'<script type="application/json" data-chart="chart-{number}">{script_json(chart.spec)}</script>')
    parts.append("</div>")
    parts += [_table(table) for table in section.tables]
    if not section.headlines and not section.charts and not section.tables:
        parts.append(f'<p class="empty">{NO_DATA}</p>')
    parts.append("</section>")
    return "".join(parts), specs


def render(page: Page, bundle: str) -> str:
    body, specs, charts_so_far = [], [], 0
    for section in page.sections:
        markup, section_specs = _section(section, charts_so_far)
        charts_so_far += len(section.charts)
        body.append(markup)
        specs += section_specs
    nav = "".join(f'<a href="#{s.key}">{html.escape(s.title)}</a>' for s in page.sections)
    title = f"trainops dashboard — as of {page.as_of.isoformat()}"
    header = (
        f"<header><h1>{html.escape(title)}</h1><p>Published marts: {html.escape(page.marts)} · written "
        f"{html.escape(page.generated_at)}</p><nav>{nav}</nav></header>"
    )
    head = (
        f"<head><meta charset='utf-8'><meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
    )
    scripts = f"<script>{bundle}</script>{''.join(specs)}<script>{LOADER}</script>" if specs else ""
    return f"<!doctype html><html lang='en'>{head}<body>{header}<main>{''.join(body)}</main>{scripts}</body></html>\n"


def write_for_run(config: Config, marts: str | Path, run_id: str) -> dict[str, str]:
    """After a run's publish: the dashboard from the marts just published, with the semantic manifest
    of that run's build. Never fails the run (the marts are published): an error is returned instead."""
    from reports.metrics import SEMANTIC_MANIFEST

    manifest = config.warehouse / "dbt" / run_id / SEMANTIC_MANIFEST
    try:
        path = write_dashboard(config, marts, manifest if manifest.exists() else None)
    except Exception as exc:  # a report must not hide a published run
        return {"error": f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"}
    return {"path": str(path)}
