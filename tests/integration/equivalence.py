"""Compare the marts two engines built from the same landing zone: every table, row by row after
sorting, money exact (decimals compared as numbers, not as text of a given scale)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

COMPARED_SCHEMAS = ("marts", "restricted")

Tables = dict[str, tuple[list[str], list[tuple[Any, ...]]]]  # "schema.table" → (columns, rows)


def normalize(value: Any) -> Any:
    """One comparable form per value: equal figures compare equal whatever the engine's type."""
    if value is None:
        return ("0null",)
    if isinstance(value, bool):
        return ("1bool", value)
    if isinstance(value, Decimal | int):
        return ("2num", str(Decimal(value).normalize()) if value != 0 else "0")
    if isinstance(value, float):
        if math.isnan(value):
            return ("2num", "nan")
        return ("2num", str(Decimal(repr(round(value, 9))).normalize()) if value != 0 else "0")
    if isinstance(value, datetime):
        return ("3ts", (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat())
    if isinstance(value, date):
        return ("4date", value.isoformat())
    if isinstance(value, list | tuple):
        return ("5list", tuple(normalize(item) for item in value))
    return ("6text", str(value))


def canonical_rows(columns: list[str], rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    order = sorted(range(len(columns)), key=lambda i: columns[i])
    return sorted(tuple(normalize(row[i]) for i in order) for row in rows)


def compare(left: Tables, right: Tables, left_name: str, right_name: str) -> list[str]:
    """Human-readable differences (empty = equivalent)."""
    problems = []
    for missing in sorted(set(left) - set(right)):
        problems.append(f"{missing}: only in {left_name}")
    for missing in sorted(set(right) - set(left)):
        problems.append(f"{missing}: only in {right_name}")
    for table in sorted(set(left) & set(right)):
        (left_columns, left_rows), (right_columns, right_rows) = left[table], right[table]
        if sorted(left_columns) != sorted(right_columns):
            problems.append(f"{table}: columns differ: {sorted(set(left_columns) ^ set(right_columns))}")
            continue
        a, b = canonical_rows(left_columns, left_rows), canonical_rows(right_columns, right_rows)
        if a != b:
            names = sorted(left_columns)
            only_left = [row for row in a if row not in set(b)][:3]
            only_right = [row for row in b if row not in set(a)][:3]
            problems.append(
                f"{table}: {len(a)} rows in {left_name}, {len(b)} in {right_name}; e.g. only in {left_name}: "
                f"{[dict(zip(names, row, strict=True)) for row in only_left]} / only in {right_name}: "
                f"{[dict(zip(names, row, strict=True)) for row in only_right]}"
            )
    return problems


def duckdb_tables(path: str, schemas: tuple[str, ...] = COMPARED_SCHEMAS) -> Tables:
    import duckdb

    with duckdb.connect(path, read_only=True) as con:
        return _read(lambda sql, params=(): con.execute(sql, list(params)), schemas, '"{}"."{}"', "current_database()")


def postgres_tables(con: Any, schemas: dict[str, str]) -> Tables:
    """``schemas`` maps the compared name (marts) to the schema holding it (marts or marts_build)."""
    tables: Tables = {}
    for name, actual in schemas.items():
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = %s "
                "and table_type = 'BASE TABLE'",
                [actual],
            ).fetchall()
        ]
        for table in names:
            cursor = con.execute(f'select * from "{actual}"."{table}"')
            tables[f"{name}.{table}"] = ([c.name for c in cursor.description], cursor.fetchall())
    return tables


def _read(execute: Callable[..., Any], schemas: tuple[str, ...], quoted: str, catalog: str) -> Tables:
    tables: Tables = {}
    for schema in schemas:
        names = [
            row[0]
            for row in execute(
                f"select table_name from information_schema.tables where table_catalog = {catalog} "
                "and table_schema = ? and table_type = 'BASE TABLE'",
                (schema,),
            ).fetchall()
        ]
        for table in names:
            cursor = execute(f"select * from {quoted.format(schema, table)}")
            tables[f"{schema}.{table}"] = ([c[0] for c in cursor.description], cursor.fetchall())
    return tables


def spark_tables(spark: Any, schemas: tuple[str, ...] = COMPARED_SCHEMAS) -> Tables:
    """The tables (not views) of the schemas, read by a SparkSession on the build's metastore.

    PySpark hands a ``timestamp`` (an instant) back as a naive datetime in this process's local
    time zone: it is made aware again here, so it compares as the instant it is."""
    from pyspark.sql.types import TimestampType

    tables: Tables = {}
    for schema in schemas:
        for table in spark.catalog.listTables(schema):
            if table.tableType == "VIEW" or table.isTemporary:
                continue
            frame = spark.table(f"`{schema}`.`{table.name}`")
            instants = [isinstance(field.dataType, TimestampType) for field in frame.schema.fields]
            rows = [
                tuple(
                    value.astimezone(UTC) if is_instant and value is not None else value
                    for value, is_instant in zip(row, instants, strict=True)
                )
                for row in frame.collect()
            ]
            tables[f"{schema}.{table.name}"] = (frame.columns, rows)
    return tables


def with_one_cent_more(tables: Tables, relation: str = "marts.fct_invoice_line_reconciliation") -> Tables:
    """``tables`` with the first row's ``billed_amount`` of ``relation`` one cent higher: the change
    ``compare`` must report (the tests show with it that the equivalence test can fail)."""
    columns, rows = tables[relation]
    at = columns.index("billed_amount")
    changed = [tuple(v + Decimal("0.01") if i == at and j == 0 else v for i, v in enumerate(row))
               for j, row in enumerate(rows)]  # fmt: skip
    return {**tables, relation: (columns, changed)}
