"""Invoices: each vendor's monthly invoice of its delivered sessions (``drops/invoices_csv`` or, as
Peppol UBL, ``drops/invoices_xml``), the expected figures of every hybrid and retainer month, and the
files with their one malformed line each.

The hybrid and retainer vendors over-bill one month each (planted here); the planted line cases of
the per-learner vendors are in ``demo.planted_invoices``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from demo.common import CENT, INVALID_NUMBER, Params, money, month_end, write_csv
from demo.reference import Catalogue, Contract, Vendor
from demo.sessions import Session
from demo.truth import Truth
from demo.ubl import ubl

INVOICE_COLUMNS = [
    "vendor_id", "invoice_number", "document_type", "issue_date", "currency", "period_start", "period_end",
    "line_id", "item_ref", "description", "quantity", "unit_price", "line_amount", "learner_refs",
]  # fmt: skip


@dataclass
class Line:
    item_ref: str
    description: str
    quantity: int
    unit_price: Decimal
    learners: list[str]
    service: tuple[date, date]
    quantity_text: str | None = None  # set to plant a malformed value
    price_text: str | None = None
    line_id: str = ""

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Invoice:
    """An invoice or credit note; its lines are numbered 1, 2, … in the order given."""

    vendor: Vendor
    number: str
    issue: date
    period: tuple[date, date]
    lines: list[Line]
    doc_type: str = "invoice"
    preceding: str | None = None
    note: str | None = None
    currency: str | None = None  # the document currency when not the vendor's (a planted case)

    def __post_init__(self) -> None:
        for number, line in enumerate(self.lines, start=1):
            line.line_id = str(number)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def document_currency(self) -> str:
        return self.currency or self.vendor.currency


def record_billing(truth: Truth, case: str, doc: Invoice, line: Line, flags: list[str], **extra: Any) -> None:
    """A billing case of the ground truth: the line, all the flags it should carry, and ``extra`` figures."""
    truth.billing.append(
        {
            "case": case,
            "vendor_id": doc.vendor.vid,
            "invoice_number": doc.number,
            "line_id": line.line_id,
            "flags": flags,
            "currency": doc.document_currency,
            **extra,
        }
    )


def record_clean(truth: Truth, doc: Invoice) -> None:
    """Lines that must carry no flag."""
    truth.clean_lines += [
        {"vendor_id": doc.vendor.vid, "invoice_number": doc.number, "line_id": line.line_id} for line in doc.lines
    ]


def session_line(title: str, session: Session, learners: list[str], quantity: int, price: Decimal) -> Line:
    """A line billing ``learners`` of one session."""
    day = session.day
    return Line(session.sid, f"{title} – {day.isoformat()}", quantity, price, learners, (day, day))


# --- the monthly invoices -----------------------------------------------------------------------------


def build_invoices(params: Params, catalogue: Catalogue, sessions: list[Session], truth: Truth) -> list[Invoice]:
    """Every vendor's invoice for each month that ended at least five days before as_of."""
    invoices: list[Invoice] = []
    sequence = dict.fromkeys((v.vid for v in catalogue.vendors), 100)
    by_vendor_month: dict[tuple[str, date], list[Session]] = {}
    for session in sessions:
        if session.status == "delivered" and not session.planted:
            by_vendor_month.setdefault((session.vendor.vid, session.day.replace(day=1)), []).append(session)
    over_billed = _over_billed_months(params, catalogue.vendors, by_vendor_month)
    for month in params.month_starts:
        period = (month, month_end(month))
        issue = period[1] + timedelta(days=5)
        if issue >= params.as_of:
            continue
        for vendor in catalogue.vendors:
            in_month = by_vendor_month.get((vendor.vid, month), [])
            planted = over_billed.get(vendor.vid) == month
            lines = _month_lines(catalogue, vendor, in_month, period, planted)
            if not lines:
                continue
            sequence[vendor.vid] += 1
            invoice = Invoice(vendor, f"{vendor.prefix}-{issue.year}-{sequence[vendor.vid]:04d}", issue, period, lines)
            invoices.append(invoice)
            if vendor.pricing == "per_learner":
                record_clean(truth, invoice)
            else:
                _record_period(truth, invoice, in_month, planted)
    return invoices


def _over_billed_months(
    params: Params, vendors: list[Vendor], by_vendor_month: dict[tuple[str, date], list[Session]]
) -> dict[str, date]:
    """Vendor → the month its retainer / hybrid invoice over-bills (planted): the retainer's last but
    one invoiced month, the hybrid's last invoiced month whose learners use up the included ones."""
    invoiced = [m for m in params.month_starts if month_end(m) + timedelta(days=5) < params.as_of]
    over_billed = {}
    for vendor in vendors:
        if vendor.pricing == "retainer" and invoiced:
            over_billed[vendor.vid] = invoiced[-2] if len(invoiced) > 1 else invoiced[-1]
        elif vendor.pricing == "hybrid":
            included = vendor.contract_on(params.as_of).included
            full = [m for m in invoiced if _served(vendor, by_vendor_month.get((vendor.vid, m), []), m) >= included]
            if full:
                over_billed[vendor.vid] = full[-1]
    return over_billed


def _month_lines(
    catalogue: Catalogue, vendor: Vendor, sessions: list[Session], period: tuple[date, date], planted: bool
) -> list[Line]:
    contract = vendor.contract_on(period[0])
    if vendor.pricing == "per_learner":
        return _per_learner_lines(catalogue, vendor, sessions)
    if vendor.pricing == "retainer":
        fee = contract.fee
        if planted:  # an uplift the contract does not have
            fee += Decimal("420.00")
        item, description = f"RETAINER-{period[0]:%Y-%m}", f"Learning content library – {period[0]:%B %Y}"
        return [Line(item, description, 1, fee, [], period)]
    included = contract.included
    if planted:  # overage counted from 2 learners too early
        included -= 2
    return _hybrid_lines(catalogue, contract, sessions, period, included)


def _per_learner_lines(catalogue: Catalogue, vendor: Vendor, sessions: list[Session]) -> list[Line]:
    """CSV vendors bill a line per session, XML vendors a line per attendee."""
    lines: list[Line] = []
    for s in sessions:
        attended = s.learners("attended")
        if not attended:
            continue
        rate = vendor.contract_on(s.day).rate
        title = catalogue.courses[s.course].title
        if vendor.fmt == "csv":
            lines.append(session_line(title, s, attended, len(attended), rate))
        else:
            lines += [session_line(title, s, [email], 1, rate) for email in attended]
    return lines


def _hybrid_lines(
    catalogue: Catalogue, contract: Contract, sessions: list[Session], period: tuple[date, date], included: int
) -> list[Line]:
    """The monthly fee, then overage per session once the ``included`` learners are used up."""
    item, description = f"PLATFORM-FEE-{period[0]:%Y-%m}", f"Coaching programme fee – {period[0]:%B %Y}"
    lines = [Line(item, description, 1, contract.fee, [], period)]
    served_so_far = 0
    for s in sessions:
        served = s.learners("attended", "no_show") if contract.bills_no_shows else s.learners("attended")
        before = max(0, served_so_far - included)
        served_so_far += len(served)
        extra = max(0, served_so_far - included) - before
        if extra:
            title = catalogue.courses[s.course].title
            service = (s.day, s.day)
            lines.append(
                Line(
                    s.sid, f"{title} – {s.day.isoformat()} (overage)", extra, contract.overage, served[-extra:], service
                )
            )
    return lines


def _record_period(truth: Truth, invoice: Invoice, sessions: list[Session], planted: bool) -> None:
    """A hybrid or retainer month's expected figures (docs/semantics.md): retainer = fee per period;
    hybrid = fee + max(0, served − included) × overage."""
    vendor, month = invoice.vendor, invoice.period[0]
    contract = vendor.contract_on(month)
    served = _served(vendor, sessions, month)
    expected = contract.fee
    if vendor.pricing == "hybrid":
        expected += max(0, served - contract.included) * contract.overage
    case, flags = f"{vendor.pricing}_period", []
    if planted:
        case = f"{vendor.pricing}_over_billed"
        flags = ["rate_mismatch"] if vendor.pricing == "retainer" else []
    figures = {"learners_served": served} if vendor.pricing == "hybrid" else {}
    record_billing(
        truth,
        case,
        invoice,
        invoice.lines[0],
        flags,
        period_start=month.isoformat(),
        period_expected=money(expected),
        period_billed=money(invoice.total),
        period_variance=money(invoice.total - expected),
        period_flags=["over_billed"] if invoice.total > expected else [],
        **figures,
    )


def _served(vendor: Vendor, sessions: list[Session], month: date) -> int:
    """Learners served in a month: attendances, plus no-shows where the contract bills them."""
    statuses = ("attended", "no_show") if vendor.contract_on(month).bills_no_shows else ("attended",)
    return sum(len(s.learners(*statuses)) for s in sessions)


# --- the files ----------------------------------------------------------------------------------------


def write_invoices(params: Params, invoices: list[Invoice], truth: Truth) -> None:
    """CSV vendors: one file per vendor and issue month; XML vendors: one UBL document per invoice."""
    csv_files: dict[str, list[Invoice]] = {}
    n_xml = xml_files = 0
    for doc in invoices:
        if doc.vendor.fmt == "csv":
            csv_files.setdefault(f"{doc.vendor.vid}_{doc.issue.strftime('%Y-%m')}.csv", []).append(doc)
            continue
        name = f"{doc.vendor.vid}_{doc.number}.xml"
        (params.out / "drops" / "invoices_xml" / name).write_text(ubl(doc), encoding="utf-8")
        xml_files += 1
        n_xml += len(doc.lines)
        for line in doc.lines:
            if line.price_text:
                truth.bad("invoices_xml", name, int(line.line_id), "PriceAmount", INVALID_NUMBER, line.price_text)
    n_csv = 0
    for name, docs in sorted(csv_files.items()):
        rows: list[list[str]] = []
        for doc in sorted(docs, key=lambda d: (d.issue, d.number)):
            for line in doc.lines:
                rows.append(_csv_row(doc, line))
                if line.quantity_text:
                    truth.bad("invoices_csv", name, len(rows) + 1, "quantity", INVALID_NUMBER, line.quantity_text)
        write_csv(params.out / "drops" / "invoices_csv" / name, INVOICE_COLUMNS, rows)
        n_csv += len(rows)
    truth.counts["invoices"] = len(invoices)
    truth.counts["invoice_lines"] = n_csv + n_xml
    truth.counts["invoices_csv_rows"] = n_csv
    truth.counts["invoices_xml_lines"] = n_xml
    truth.counts["invoices_xml_files"] = xml_files


def _csv_row(doc: Invoice, line: Line) -> list[str]:
    return [
        doc.vendor.vid, doc.number, doc.doc_type, doc.issue.isoformat(), doc.document_currency,
        doc.period[0].isoformat(), doc.period[1].isoformat(), line.line_id, line.item_ref, line.description,
        line.quantity_text or str(line.quantity), money(line.unit_price), money(line.amount), ";".join(line.learners),
    ]  # fmt: skip
