"""Validate a landed batch against its entity's suite and turn failures into quarantine rows.

``validate_batch(entity, table)`` takes an Arrow table with the METADATA columns and the entity's
columns (``connectors/schemas.py``), runs the entity's Great Expectations suite on pandas frames of at
most ``CHUNK_ROWS`` rows, and returns a ``ValidationReport``:

- ``quarantine``: one dict per (failing row, failed expectation) of severity ``error`` or ``warning``,
  with the keys of ``schemas.QUARANTINE``. Rows with an ``error`` are to be kept out of staging;
  ``warning`` rows are listed for the record and stay. The consumer decides by ``severity``.
- ``critical``: one line per reason to block the run: a failed ``critical`` expectation, an expectation
  that could not be evaluated, missing columns, or more than ``max_error_fraction`` of the rows failing
  ``error`` rules (a source that is mostly garbage blocks the run rather than quietly vanishing).
- ``results``: per expectation, for the run summary.

Keys are unique *within a load* (docs/data-model.md): a table holding several loads is validated load by load,
and a load larger than one chunk is split so that rows sharing a key land in the same chunk.

Great Expectations is slow to import (≈8 s) and to set up, so it is imported on first use and its
context and suites are built once per process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from connectors import schemas
from expectations import suites

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd

# Telemetry off before Great Expectations is first imported (lazily, in _engine()).
os.environ["GX_ANALYTICS_ENABLED"] = "false"

CHUNK_ROWS = 200_000  # rows per GX call: bounds the pandas frame's memory on loads of millions of rows
EXAMPLE_ROWS = 5  # `_row`s named in a critical line

_METADATA = [f.name for f in schemas.METADATA]
_RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": ["_row"],
    # With `_row` as the frame's named index, this makes GX return the failing rows as one list of
    # index values instead of building a dict per failing row (`{"_row": [...]}`).
    "exclude_unexpected_values": True,
    "partial_unexpected_count": 0,
}


@dataclass
class ValidationReport:
    """What validating one batch of one entity found."""

    entity: str
    rows: int = 0
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    critical: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    quarantined_rows: int = 0  # distinct rows with at least one `error`

    @property
    def ok(self) -> bool:
        """True when nothing blocks the run."""
        return not self.critical

    def quarantine_table(self) -> pa.Table:
        """The quarantine rows as an Arrow table of ``schemas.QUARANTINE``."""
        return pa.Table.from_pylist(self.quarantine, schema=schemas.QUARANTINE)


@dataclass(frozen=True)
class _Rule:
    name: str
    severity: str
    expectation: str  # the GX expectation type
    message: str
    columns: tuple[str, ...]  # what a quarantine row reports: the expectation's columns, no helpers


@dataclass(frozen=True)
class _Plan:
    entity: str
    suite: gx.ExpectationSuite
    batch_definition: Any
    rules: tuple[_Rule, ...]
    columns: tuple[str, ...]  # the entity columns the suite reads (derived inputs included)
    derived: tuple[suites.DerivedColumn, ...]


@dataclass
class _Tally:
    success: bool = True
    unexpected: int = 0
    evaluated: bool = True
    exception: str | None = None
    examples: list[int] = field(default_factory=list)


_LOCK = threading.Lock()  # one GX validation at a time: the pandas datasource shares one engine
_ENGINE: dict[str, _Plan] | None = None


def _engine() -> dict[str, _Plan]:
    """The per-process GX context with one suite and batch definition per entity."""
    global _ENGINE
    if _ENGINE is not None:
        return _ENGINE
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every frame it loads (an md5 of `pd.util.hash_pandas_object`) for its batch
    # markers: ~0.7 s per million rows, a third of the validation, for metadata nobody reads. Frames
    # of HASH_THRESHOLD bytes or more skip it; 0 makes that every frame.
    pandas_execution_engine.HASH_THRESHOLD = 0

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    datasource = context.data_sources.add_pandas("trainops_landing")
    plans: dict[str, _Plan] = {}
    for entity in schemas.ENTITIES:
        suite = context.suites.add(suites.build_suite(entity))
        asset = datasource.add_dataframe_asset(entity)
        derived = suites.DERIVED.get(entity, ())
        helpers = {d.name for d in derived}
        rules = []
        columns: list[str] = []
        for expectation in suite.expectations:
            meta = expectation.meta or {}
            read = suites.expectation_columns(expectation)
            rules.append(
                _Rule(
                    name=meta["rule"],
                    severity=meta["severity"],
                    expectation=expectation.expectation_type,
                    message=expectation.description or expectation.expectation_type,
                    columns=tuple(c for c in read if c not in helpers),
                )
            )
            columns += [c for c in read if c not in helpers]
        for d in derived:
            columns += d.inputs
        plans[entity] = _Plan(
            entity=entity,
            suite=suite,
            batch_definition=asset.add_batch_definition_whole_dataframe("batch"),
            rules=tuple(rules),
            columns=tuple(dict.fromkeys(columns)),
            derived=derived,
        )
    _ENGINE = plans
    return plans


def validate_batch(
    entity: str,
    table: pa.Table,
    *,
    max_error_fraction: float = 0.5,
    now: datetime | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> ValidationReport:
    """Validate ``table`` (METADATA columns + ``entity``'s columns) against the entity's suite.

    ``now`` (default: the current time) bounds "not in the future"; ``chunk_rows`` is the most rows
    handed to GX at once. Raises ``KeyError`` for an unknown entity and ``ValueError`` when ``_row`` is
    not unique within a load (the landing zone guarantees it is).
    """
    if entity not in schemas.ENTITIES:
        raise KeyError(f"unknown entity {entity!r}; known: {', '.join(schemas.ENTITIES)}")
    report = ValidationReport(entity=entity, rows=table.num_rows)
    missing = [name for name in schemas.full_schema(entity).names if name not in table.column_names]
    if missing:
        report.critical.append(f"{entity}: the batch lacks column(s) {', '.join(missing)} and cannot be validated")
        return report

    with _LOCK:
        plan = _engine()[entity]
    parameters = suites.suite_parameters(now or datetime.now(UTC))
    tallies = {rule.name: _Tally() for rule in plan.rules}

    for load in _loads(table):
        failures: dict[int, list[np.ndarray]] = {}
        projected = load.select(["_row", *plan.columns])
        for chunk in _chunks(projected, schemas.KEYS[entity], chunk_rows):
            frame = _frame(chunk, plan)
            with _LOCK:
                result = _validate_frame(plan, frame, parameters)
            del frame
            _collect(plan, result, tallies, failures)
        if failures:
            rows, error_rows = _quarantine_rows(plan, load, failures)
            report.quarantine += rows
            report.quarantined_rows += error_rows

    for rule in plan.rules:
        tally = tallies[rule.name]
        report.results.append(
            {
                "rule": rule.name,
                "severity": rule.severity,
                "expectation": rule.expectation,
                "success": tally.success and tally.evaluated,
                "unexpected_count": tally.unexpected if tally.evaluated else None,
                "message": rule.message,
            }
        )
        if not tally.evaluated:
            report.critical.append(
                f"{entity}: {rule.name} could not be evaluated ({rule.expectation}): {tally.exception}"
            )
        elif rule.severity == "critical" and not tally.success:
            examples = ", ".join(str(r) for r in tally.examples)
            report.critical.append(
                f"{entity}: {rule.name} failed on {tally.unexpected} of {report.rows} rows "
                f"({rule.message})" + (f"; e.g. _row {examples}" if examples else "")
            )
    if report.rows and report.quarantined_rows > max_error_fraction * report.rows:
        report.critical.append(
            f"{entity}: {report.quarantined_rows} of {report.rows} rows "
            f"({report.quarantined_rows / report.rows:.0%}) fail error-level rules, more than the "
            f"{max_error_fraction:.0%} allowed: the source looks broken"
        )
    return report


def _loads(table: pa.Table) -> Iterator[pa.Table]:
    """The table split by `_load_id` (usually one), each checked for unique `_row`s."""
    load_ids = table["_load_id"]
    if table.num_rows and pc.all(pc.equal(load_ids, load_ids[0])).as_py():
        parts = [table]
    else:
        parts = [table.filter(pc.equal(load_ids, load_id)) for load_id in pc.unique(load_ids)]
    for part in parts:
        if part.num_rows and not _unique_ints(part["_row"]):
            load_id = part["_load_id"][0].as_py()
            raise ValueError(f"_row is not unique within load {load_id!r}: validate landed rows")
        if part.num_rows:
            yield part


def _unique_ints(column: pa.ChunkedArray) -> bool:
    values = column.to_numpy()
    if len(values) < 2 or bool(np.all(values[1:] > values[:-1])):  # landed rows come in order
        return True
    return len(np.unique(values)) == len(values)


def _chunks(table: pa.Table, key: tuple[str, ...], chunk_rows: int) -> Iterator[pa.Table]:
    """Parts of about ``chunk_rows`` rows, where rows that share a key value share a part.

    Rows are bucketed by a hash of their first key column (equal keys have equal first columns), so
    a duplicate key is never split across two GX calls.
    """
    n = table.num_rows
    if n <= chunk_rows:
        yield table
        return
    import duckdb

    buckets = -(-n // chunk_rows)
    with duckdb.connect() as con:
        con.register("landed", table.select([key[0]]))
        hashed = con.execute(
            f"select cast(hash({_quote(key[0])}) % {buckets} as integer) as bucket from landed"
        ).fetchnumpy()["bucket"]
    bucket = np.asarray(hashed, dtype=np.int64)
    order = np.argsort(bucket, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(bucket, minlength=buckets))])
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        if end > start:
            yield table.take(pa.array(order[start:end]))


def _frame(chunk: pa.Table, plan: _Plan) -> pd.DataFrame:
    """The chunk as the pandas frame the suites expect (see ``suites``): `_row` as the index, dates
    as UTC-midnight timestamps, strings Arrow-backed, derived columns added."""
    import pandas as pd

    columns = []
    for name in chunk.column_names:
        column = chunk[name]
        if pa.types.is_date(column.type):
            column = column.cast(pa.timestamp("s")).cast(pa.timestamp("us", tz="UTC"))
        elif pa.types.is_timestamp(column.type) and column.type.tz is None:
            column = column.cast(pa.timestamp(column.type.unit, tz="UTC"))
        columns.append(column)
    string = pd.StringDtype("pyarrow")
    mapping = {pa.string(): string, pa.large_string(): string}
    frame: pd.DataFrame = pa.table(columns, names=chunk.column_names).to_pandas(types_mapper=mapping.get)
    frame = frame.set_index("_row")
    for derived in plan.derived:
        frame[derived.name] = derived.compute(frame)
    return frame


def _validate_frame(plan: _Plan, frame: pd.DataFrame, parameters: dict[str, Any]) -> Any:
    # GX's V1 Validator, as `Batch.validate` uses it, minus the second load (and hash) of the frame
    # that `batch_definition.get_batch(...).validate(...)` costs.
    from great_expectations.validator.v1_validator import Validator

    validator = Validator(
        batch_definition=plan.batch_definition,
        batch_parameters={"dataframe": frame},
        result_format=_RESULT_FORMAT,
    )
    return validator.validate_expectation_suite(plan.suite, parameters)


def _exception_message(info: dict[str, Any] | None) -> str | None:
    """GX reports an exception either flat or keyed by the metric that raised it."""
    if not info:
        return None
    if "raised_exception" in info:
        if not info["raised_exception"]:
            return None
        return info.get("exception_message") or "error"
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message") or "error"
    return None


def _collect(
    plan: _Plan,
    result: Any,
    tallies: dict[str, _Tally],
    failures: dict[int, list[np.ndarray]],
) -> None:
    """Fold one chunk's GX result into the tallies and the failing `_row`s per rule index."""
    index = {rule.name: i for i, rule in enumerate(plan.rules)}
    for outcome in result.results:
        name = outcome.expectation_config.meta["rule"]
        tally = tallies[name]
        exception = _exception_message(outcome.exception_info)
        if exception is not None:
            tally.evaluated = False
            tally.exception = tally.exception or exception
            continue
        if outcome.success:
            continue
        tally.success = False
        details = outcome.result or {}
        tally.unexpected += int(details.get("unexpected_count") or 0)
        listed = details.get("unexpected_index_list") or []
        rows = np.asarray(listed[0]["_row"] if listed else [], dtype=np.int64)
        rule = plan.rules[index[name]]
        if rule.severity == "critical":
            tally.examples += rows[: EXAMPLE_ROWS - len(tally.examples)].tolist()
        elif len(rows):
            failures.setdefault(index[name], []).append(rows)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quarantine_rows(
    plan: _Plan, load: pa.Table, failures: dict[int, list[np.ndarray]]
) -> tuple[list[dict[str, Any]], int]:
    """One dict of ``schemas.QUARANTINE`` per (failing row, failed rule), in `_row` order, and the
    number of distinct rows with an ``error``.

    DuckDB renders the text of each failing row once (its record as compact JSON, and each rule's
    value); the dicts are then assembled from those columns, sharing strings, so that even a mostly
    bad load of a million rows costs seconds.
    """
    import duckdb

    pair_rows = np.concatenate([np.concatenate(parts) for parts in failures.values()])
    pair_rules = np.concatenate(
        [np.full(sum(len(p) for p in parts), i, dtype=np.int32) for i, parts in failures.items()]
    )
    order = np.lexsort((pair_rules, pair_rows))
    pair_rows, pair_rules = pair_rows[order], pair_rules[order]
    distinct = pair_rows[np.concatenate([[True], pair_rows[1:] != pair_rows[:-1]])]
    is_error = np.array([r.severity == "error" for r in plan.rules])[pair_rules]
    error_rows = pair_rows[is_error]
    error_count = int(np.count_nonzero(error_rows[1:] != error_rows[:-1])) + 1 if len(error_rows) else 0

    failing = load.filter(pc.is_in(load["_row"], value_set=pa.array(distinct))).sort_by("_row")
    entity_columns = [name for name in load.column_names if name not in _METADATA]
    texts = [f"cast(to_json(struct_pack({_struct(entity_columns)})) as varchar)"]
    texts += [_value_sql(rule.columns) for rule in plan.rules]
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.register("landed", failing)
        rendered = con.execute(f"select {', '.join(texts)} from landed order by _row").fetchnumpy()
    record, *values = (column.tolist() for column in rendered.values())

    load_id, row, source, source_file, source_line = (failing[c].to_pylist() for c in _METADATA)
    names = [r.name for r in plan.rules]
    severities = [r.severity for r in plan.rules]
    column_names = [",".join(r.columns) or None for r in plan.rules]
    messages = [r.message for r in plan.rules]
    entity = plan.entity
    rows = [
        {
            "_load_id": load_id[p],
            "_row": row[p],
            "_source": source[p],
            "_source_file": source_file[p],
            "_source_line": source_line[p],
            "entity": entity,
            "rule": names[r],
            "severity": severities[r],
            "column_name": column_names[r],
            "value": values[r][p],
            "message": messages[r],
            "record": record[p],
        }
        for p, r in zip(np.searchsorted(distinct, pair_rows).tolist(), pair_rules.tolist(), strict=True)
    ]
    return rows, error_count


def _struct(columns: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"{_quote(c)} := landed.{_quote(c)}" for c in columns)


def _value_sql(columns: tuple[str, ...]) -> str:
    """The offending value as text: the column's value, or a JSON object of several columns."""
    if not columns:
        return "cast(null as varchar)"
    if len(columns) == 1:
        return f"cast(landed.{_quote(columns[0])} as varchar)"
    return f"cast(to_json(struct_pack({_struct(columns)})) as varchar)"
