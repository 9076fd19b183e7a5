"""What a BI tool sees: Superset reflects a database through SQLAlchemy; with ``duckdb-engine`` the
published marts file lists the marts, and each table and column carries its dbt description."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

pytestmark = pytest.mark.integration


def test_superset_style_reflection_lists_the_marts_with_their_comments(published):
    engine = create_engine(f"duckdb:///{published.marts_db}", connect_args={"read_only": True})
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names())
        assert {"fct_compliance_status", "fct_vendor_sla_monthly", "rpt_utilization_monthly",
                "rpt_vendor_spend_monthly"} <= tables  # fmt: skip
        assert not {"dim_employees", "rpt_unresolved_learners", "rpt_invoice_disputes"} & tables  # restricted
        for table in sorted(tables):
            assert (inspector.get_table_comment(table)["text"] or "").strip(), table
            columns = inspector.get_columns(table)
            assert columns, table
            assert [column["name"] for column in columns if not (column.get("comment") or "").strip()] == [], table
        sla = {column["name"]: column["comment"] for column in inspector.get_columns("fct_vendor_sla_monthly")}
        assert "contract's sla_on_time_delivery_pct" in sla["on_time_delivery_target_pct"]
    finally:
        engine.dispose()
