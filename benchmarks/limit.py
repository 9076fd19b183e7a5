"""Run the limit (``limit.sql``): the headline figures straight from the raw drops with DuckDB.

DuckDB reads every CSV and JSON drop itself. It has no XML reader, so the UBL e-invoice lines are
pulled out here with ElementTree (document type, number and line amounts only: all the figures
need) and handed to the script as one Parquet file. That extraction is part of the measured time.

    uv run python benchmarks/limit.py DEMO_DIR [--as-of 2026-11-28]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

SQL = Path(__file__).with_name("limit.sql")
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
FIGURES = (
    "compliance_rows", "compliant", "overdue", "due_soon", "not_yet_due", "exempt", "compliance_pct",
    "sessions", "delivered_capacity", "delivered_booked", "delivered_attended", "delivered_no_show",
    "utilization_pct", "invoice_lines", "billed",
)  # fmt: skip


def xml_invoice_lines(folder: Path) -> pa.Table:
    """Every UBL Invoice / CreditNote line under ``folder``: number, file, line id, signed amount."""
    rows: dict[str, list[Any]] = {
        key: [] for key in ("vendor_id", "invoice_number", "filename", "line_id", "sign", "billed_amount")
    }
    for path in sorted(folder.glob("*.xml")):
        root = ET.parse(path).getroot()
        credit = root.tag.endswith("CreditNote")
        line_tag = f"{CAC}CreditNoteLine" if credit else f"{CAC}InvoiceLine"
        number = (root.findtext(f"{CBC}ID") or "").strip()
        quantity_tag = f"{CBC}CreditedQuantity" if credit else f"{CBC}InvoicedQuantity"
        for line in root.iter(line_tag):
            amount = _number(line.findtext(f"{CBC}LineExtensionAmount"))
            quantity = _number(line.findtext(quantity_tag))
            price = _number(line.findtext(f"{CAC}Price/{CBC}PriceAmount"))
            if amount is None or quantity is None or price is None:
                continue  # an unreadable line: the pipeline rejects it too
            rows["vendor_id"].append(path.name.split("_", 1)[0])
            rows["invoice_number"].append(number)
            rows["filename"].append(str(path))
            rows["line_id"].append((line.findtext(f"{CBC}ID") or "").strip())
            rows["sign"].append(-1 if credit else 1)
            rows["billed_amount"].append(amount)
    schema = pa.schema(
        [
            ("vendor_id", pa.string()),
            ("invoice_number", pa.string()),
            ("filename", pa.string()),
            ("line_id", pa.string()),
            ("sign", pa.int32()),
            ("billed_amount", pa.decimal128(20, 6)),
        ]
    )
    # from_arrays, not pa.table(dict): the latter imports pandas (seconds of start-up, not work)
    return pa.Table.from_arrays([pa.array(rows[f.name], f.type) for f in schema], schema=schema)


def _number(text: str | None) -> Decimal | None:
    try:
        return Decimal(text.strip()) if text is not None else None
    except InvalidOperation:
        return None


def warm_up() -> None:
    """Pay the imports before the clock starts (pyarrow's Decimal conversion imports pandas: seconds
    on a machine without compiled bytecode, and no part of the work)."""
    pa.array([Decimal("1")], pa.decimal128(20, 6))
    duckdb.connect().close()


def run_limit(
    demo_dir: Path,
    as_of: date,
    *,
    timezone: str = "Europe/London",
    due_soon_days: int = 30,
    scratch: Path | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Run limit.sql over the drops of ``demo_dir``; return its figures and the wall time."""
    scratch = scratch or demo_dir
    scratch.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    xml_lines = scratch / "limit_xml_lines.parquet"
    pq.write_table(xml_invoice_lines(demo_dir / "drops" / "invoices_xml"), xml_lines)
    sql = SQL.read_text()
    for token, value in {
        "{drops}": (demo_dir / "drops").as_posix(),
        "{reference}": (demo_dir / "reference").as_posix(),
        "{as_of}": as_of.isoformat(),
        "{timezone}": timezone,
        "{due_soon_days}": str(due_soon_days),
        "{xml_lines}": xml_lines.as_posix(),
    }.items():
        sql = sql.replace(token, value)
    with duckdb.connect() as con:
        if threads:
            con.execute(f"set threads = {int(threads)}")
        row = con.execute(sql).fetchone()
    seconds = time.perf_counter() - started
    assert row is not None
    figures = {
        name: (str(value) if isinstance(value, Decimal) else value) for name, value in zip(FIGURES, row, strict=True)
    }
    return {"seconds": seconds, "figures": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("demo_dir", type=Path, help="a generated demo (drops/ and reference/)")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 28))
    args = parser.parse_args(argv)
    warm_up()
    print(json.dumps(run_limit(args.demo_dir, args.as_of), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
