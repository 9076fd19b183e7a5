"""Metric values from the metric definitions, read from the published marts.

The definitions live in one place, dbt's semantic layer (``dbt/models/semantic/``: semantic models
and metrics). MetricFlow compiles a metric query into SQL; here it is compiled against the
*published* marts (``main`` of ``marts.duckdb``, or schema ``marts`` on Postgres) instead of the
build the semantic manifest was parsed for, and run through ``reports.summary.marts_fetch`` — so the
dashboard's figures are the semantic layer's, computed from what BI sees.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reports.summary import marts_fetch

SEMANTIC_MANIFEST = "semantic_manifest.json"
PUBLISHED_SCHEMA = {"duckdb": "main", "postgres": "marts"}


class MetricsError(RuntimeError):
    """The semantic layer could not be loaded or a metric query could not be compiled."""


@dataclass(frozen=True)
class MetricQuery:
    """One metric query, in MetricFlow's names: ``metrics=("compliance_rate",)``,
    ``group_by=("assignment__department", "metric_time__month")``, ``where`` filters in MetricFlow's
    template syntax (``{{ TimeDimension('metric_time', 'day') }} = '2026-06-15'``)."""

    metrics: tuple[str, ...]
    group_by: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    order_by: tuple[str, ...] = field(default=())


def on_day(day: date) -> str:
    """A ``where`` filter: the metric's time on that day."""
    return f"{{{{ TimeDimension('metric_time', 'day') }}}} = '{day.isoformat()}'"


def find_semantic_manifest(warehouse: Path) -> Path:
    """The newest semantic manifest a dbt build wrote (``warehouse/dbt/<run>/``), else one parsed now."""
    built = sorted((warehouse / "dbt").glob(f"*/{SEMANTIC_MANIFEST}"), key=lambda path: path.stat().st_mtime)
    if built:
        return built[-1]
    return parse_semantic_manifest(warehouse / "dbt" / "_parse")


def parse_semantic_manifest(target_path: Path) -> Path:
    """``dbt parse`` of the project (no database is touched) into ``target_path``."""
    from warehouse.dbt import DBT_PROJECT_DIR

    target_path.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "dbt"), "parse",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_path), "--log-path", str(target_path),
    ]  # fmt: skip
    env = {"DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    process = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env})
    manifest = target_path / SEMANTIC_MANIFEST
    if process.returncode != 0 or not manifest.exists():
        tail = (process.stdout + process.stderr).strip().splitlines()[-5:]
        raise MetricsError("dbt parse did not write the semantic manifest:\n  " + "\n  ".join(tail))
    return manifest


def published_manifest(semantic_manifest: Path, engine: str) -> str:
    """The semantic manifest with every semantic model pointed at its published table."""
    data = json.loads(semantic_manifest.read_text())
    schema = PUBLISHED_SCHEMA[engine]
    for model in data.get("semantic_models", []):
        alias = model["node_relation"]["alias"]
        model["node_relation"] = {"alias": alias, "schema_name": schema, "database": None,
                                  "relation_name": f'"{schema}"."{alias}"'}  # fmt: skip
    return json.dumps(data)


class _CompileOnlyClient:
    """What MetricFlow needs to render SQL for an engine; queries run through ``marts_fetch``."""

    def __init__(self, engine: str):
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
        from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer

        self.sql_engine_type = SqlEngine.POSTGRES if engine == "postgres" else SqlEngine.DUCKDB
        self.sql_plan_renderer = PostgresSQLSqlPlanRenderer() if engine == "postgres" else DuckDbSqlPlanRenderer()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"

    def query(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("compile only: run the SQL through reports.summary.marts_fetch")

    execute = dry_run = query

    def close(self) -> None:
        return None


class PublishedMetrics:
    """Compile metric queries from the semantic layer and run them on the published marts."""

    def __init__(self, marts: str | Path, semantic_manifest: Path):
        logging.getLogger("metricflow").setLevel(logging.WARNING)
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        engine = "postgres" if str(marts).startswith("postgresql://") else "duckdb"
        try:
            manifest = parse_manifest_from_dbt_generated_manifest(published_manifest(semantic_manifest, engine))
        except Exception as exc:  # a manifest of another dbt / MetricFlow version
            raise MetricsError(f"cannot read the semantic manifest {semantic_manifest}: {exc}") from None
        self._engine = MetricFlowEngine(SemanticManifestLookup(manifest), _CompileOnlyClient(engine))
        self._fetch = marts_fetch(marts)
        self.metric_names = {metric.name for metric in manifest.metrics}

    def sql(self, query: MetricQuery) -> str:
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            metric_names=list(query.metrics),
            group_by_names=list(query.group_by),
            where_constraints=list(query.where) or None,
            order_by_names=list(query.order_by) or None,
        )
        try:
            return self._engine.explain(request).sql_statement.sql
        except Exception as exc:  # MetricFlow explains what does not resolve, at length: keep its first line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MetricsError(f"metric query {query.metrics} by {query.group_by}: {first}") from None

    def rows(self, query: MetricQuery) -> list[dict[str, Any]]:
        """Result rows as dicts keyed by MetricFlow's column names (``metric_time__month``, metric names)."""
        sql = self.sql(query)
        names = [*query.group_by, *query.metrics]
        return [dict(zip(names, row, strict=True)) for row in self._fetch(_ordered(sql, names, query.order_by))]

    def value(self, metric: str, where: tuple[str, ...] = ()) -> Any:
        rows = self.rows(MetricQuery((metric,), where=where))
        return rows[0][metric] if rows else None


def _ordered(sql: str, names: list[str], order_by: tuple[str, ...]) -> str:
    """The compiled query's columns in the order asked for (MetricFlow orders them its own way)."""
    columns = ", ".join(f'"{name}"' for name in names)
    keys = [f'"{key.removeprefix("-")}"' + (" desc" if key.startswith("-") else "") for key in order_by]
    return f"select {columns} from ({sql}) as metric_query" + (f" order by {', '.join(keys)}" if keys else "")
