"""Quoting of values that end up inside SQL text (paths above all): the one place that does it.

Prefer bind parameters (``con.execute(sql, [value])``); where the SQL grammar takes no parameter
(``attach``, ``copy ... to``, ``read_parquet`` in a view, a table name), quote with these. A path
with an apostrophe or a space (``/home/O'Brien data``) must read as the same path.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike


def literal(value: str | PathLike[str]) -> str:
    """A standard SQL string literal (DuckDB, Postgres): single quotes, an inner quote doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def literal_list(values: Iterable[str | PathLike[str]]) -> str:
    """A DuckDB list literal of strings, ``['a', 'b']`` (e.g. the files of ``read_parquet``)."""
    return "[" + ", ".join(literal(value) for value in values) + "]"


def identifier(name: str) -> str:
    """A quoted identifier (DuckDB, Postgres): double quotes, an inner double quote doubled."""
    return '"' + name.replace('"', '""') + '"'


def spark_literal(value: str | PathLike[str]) -> str:
    """A Spark SQL string literal: Spark unescapes backslashes, so both they and quotes are escaped."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def spark_path(value: str | PathLike[str]) -> str:
    """A file path or glob in Spark's ``format.`path` `` position: backquotes, an inner one doubled."""
    return "`" + str(value).replace("`", "``") + "`"
