"""Every column of every published mart is documented, and no description points outside the
repository — checked on the manifest ``dbt parse`` writes (the same descriptions dbt persists into
the warehouse as comments and ``make docs`` shows)."""

from __future__ import annotations

import re

from warehouse.dbt import DBT_PROJECT_DIR

REPO = DBT_PROJECT_DIR.parent
OUTSIDE = re.compile(r"\.\./|DESIGN\b|/work/|shared/samples|§")
DOC_PATH = re.compile(r"\b((?:docs/)?[\w./-]+\.md)\b")


def published_marts(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    }


def test_every_column_of_every_published_mart_is_documented(manifest):
    marts = published_marts(manifest)
    assert {"fct_compliance_status", "fct_vendor_sla_monthly", "rpt_utilization_monthly"} <= set(marts)
    undocumented = [
        f"{name}.{column}"
        for name, node in sorted(marts.items())
        for column, spec in node["columns"].items()
        if not spec.get("description", "").strip()
    ]
    assert undocumented == []
    assert [name for name, node in marts.items() if not node["description"].strip()] == []


def test_published_marts_persist_their_docs(manifest):
    for name, node in published_marts(manifest).items():
        assert node["config"]["persist_docs"] == {"relation": True, "columns": True}, name


def descriptions(manifest: dict):
    for group in ("nodes", "semantic_models", "metrics", "exposures"):
        for unique_id, node in manifest[group].items():
            yield unique_id, node.get("description") or ""
            for column, spec in (node.get("columns") or {}).items():
                yield f"{unique_id}.{column}", spec.get("description") or ""


def test_descriptions_point_only_inside_the_repository(manifest):
    outside, missing = [], []
    for where, text in descriptions(manifest):
        if OUTSIDE.search(text):
            outside.append(f"{where}: {OUTSIDE.search(text).group(0)!r}")
        for path in DOC_PATH.findall(text):
            if not (REPO / path).exists() and not (DBT_PROJECT_DIR / path).exists():
                missing.append(f"{where}: {path}")
    assert outside == []
    assert missing == []


def test_the_dashboards_exposures_link_the_dashboard(manifest):
    exposures = {node["name"]: node for node in manifest["exposures"].values()}
    for name in ("compliance_dashboard", "training_utilization_dashboard", "vendor_sla_scorecard"):
        assert (exposures[name]["url"] or "").startswith("data/reports/dashboard.html#"), name
