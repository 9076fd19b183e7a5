"""The planted billing cases (docs/semantics.md line flags), at the two per-learner vendors V01 (CSV)
and V02 (Peppol XML), on the planted sessions. Each case names the line's variance (billed − expected,
in the invoice currency); the lines of the originals they refer to are clean.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from demo.common import Params, add_months, money, month_end
from demo.invoices import Invoice, Line, record_billing, record_clean, session_line
from demo.reference import Catalogue, Vendor
from demo.sessions import Session
from demo.truth import Truth

_ZERO = Decimal("0.00")


class _Issuer:
    """Issues the planted documents in order: each vendor's numbers run on from 9001."""

    def __init__(self, params: Params, catalogue: Catalogue, sessions: dict[str, Session], truth: Truth) -> None:
        self.as_of, self.catalogue, self.sessions, self.truth = params.as_of, catalogue, sessions, truth
        self.v1, self.v2 = catalogue.vendors[0], catalogue.vendors[1]
        self.serial = {self.v1.vid: 9000, self.v2.vid: 9000}
        self.invoices: list[Invoice] = []

    def line(
        self, key: str, learners: list[str] | None = None, quantity: int | None = None, price: Decimal | None = None
    ) -> Line:
        """A line of the planted session ``key``: its attendees at the contract rate unless told otherwise."""
        s = self.sessions[key]
        billed = learners if learners is not None else s.learners("attended")
        rate = s.vendor.contract_on(s.day).rate
        title = self.catalogue.courses[s.course].title
        return session_line(
            title, s, billed, len(billed) if quantity is None else quantity, rate if price is None else price
        )

    def invoice(self, vendor: Vendor, days_ago: int, lines: list[Line], **kw: Any) -> Invoice:
        """A document issued ``days_ago`` before as_of for the months its lines were served in."""
        issue = self.as_of - timedelta(days=days_ago)
        self.serial[vendor.vid] += 1
        number = f"{vendor.prefix}-{issue.year}-{self.serial[vendor.vid]:04d}"
        days = [line.service[0] for line in lines]
        period = (min(days).replace(day=1), month_end(max(days)))
        doc = Invoice(vendor, number, issue, period, lines, **kw)
        self.invoices.append(doc)
        return doc

    def expect(self, case: str, doc: Invoice, line: Line, flags: list[str], variance: Decimal, **extra: Any) -> None:
        record_billing(self.truth, case, doc, line, flags, variance=money(variance), **extra)


def plant_invoices(params: Params, catalogue: Catalogue, sessions: dict[str, Session], truth: Truth) -> list[Invoice]:
    """The planted documents, in issuing order (the numbers follow from it)."""
    issuer = _Issuer(params, catalogue, sessions, truth)
    _flagged_lines(issuer)
    _duplicate(issuer)
    _rate_and_credit_notes(issuer)
    _unreadable_lines(issuer)
    _foreign_and_uncontracted(issuer)
    return issuer.invoices


def _flagged_lines(i: _Issuer) -> None:
    no_show = i.sessions["no_show"]
    flagged = i.invoice(
        i.v1,
        60,
        [
            i.line("unknown"),
            i.line("terminated"),
            i.line("no_show", no_show.learners("attended") + no_show.learners("no_show")),
            i.line("over_quantity", quantity=4),
        ],
    )
    # the unknown and the terminated learner did attend: billed as served
    i.expect("unknown_learner", flagged, flagged.lines[0], ["unknown_learner"], _ZERO)
    i.expect("terminated_learner", flagged, flagged.lines[1], ["terminated_learner"], _ZERO)
    line = flagged.lines[2]  # one billed no-show
    i.expect("no_show_billed", flagged, line, ["no_show_billed", "over_quantity"], line.unit_price)
    line = flagged.lines[3]  # quantity 4 for 3 attendees
    i.expect("over_quantity", flagged, line, ["over_quantity"], line.unit_price)


def _duplicate(i: _Issuer) -> None:
    original = i.invoice(i.v1, 140, [i.line("original_a"), i.line("original_b")])
    record_clean(i.truth, original)
    copy = i.invoice(i.v1, 120, [i.line("original_a"), i.line("original_b")])
    for line in copy.lines:
        i.expect("duplicate_invoice", copy, line, ["duplicate_invoice"], line.amount, duplicate_of=original.number)


def _rate_and_credit_notes(i: _Issuer) -> None:
    rate = i.v2.contract_on(i.sessions["rate"].day).rate
    mismatch = i.invoice(i.v2, 85, [i.line("rate", price=rate + Decimal("15.00"))])
    line = mismatch.lines[0]
    i.expect("rate_mismatch", mismatch, line, ["rate_mismatch"], line.amount - rate * line.quantity)

    credited = i.invoice(i.v2, 125, [i.line("credited")])
    record_clean(i.truth, credited)
    first_learner = i.sessions["credited"].learners("attended")[:1]
    note = "Goodwill credit: the session started late"
    credit = i.invoice(
        i.v2, 100, [i.line("credited", first_learner)], doc_type="credit_note", preceding=credited.number, note=note
    )
    line = credit.lines[0]
    extra = {"document_type": "credit_note", "preceding_invoice": credited.number}
    i.expect("credit_note", credit, line, [], -line.amount, **extra)

    orphan_ref = f"{i.v2.prefix}-{(i.as_of - timedelta(days=200)).year}-0042"  # never issued
    lines = [i.line("unmatched", i.sessions["unmatched"].learners("attended")[:1])]
    note = "Credit for a cancelled seat"
    orphan = i.invoice(i.v2, 105, lines, doc_type="credit_note", preceding=orphan_ref, note=note)
    line = orphan.lines[0]
    extra = {"document_type": "credit_note", "preceding_invoice": orphan_ref}
    i.expect("credit_note_unmatched", orphan, line, ["credit_note_unmatched"], -line.amount, **extra)


def _unreadable_lines(i: _Issuer) -> None:
    learners = i.sessions["malformed_xml"].learners("attended")
    broken_xml = i.invoice(i.v2, 110, [i.line("malformed_xml", learners[:1]), i.line("malformed_xml", learners[1:2])])
    broken_xml.lines[1].price_text = "38O.00"
    # the document claims the unreadable line's amount without a line to check it against
    unitemised = money(broken_xml.lines[1].amount)
    i.expect("unreadable_line", broken_xml, broken_xml.lines[0], [], _ZERO, unitemised=unitemised)
    broken_csv = i.invoice(i.v1, 50, [i.line("malformed_csv")])
    broken_csv.lines[0].quantity_text = "abc"


def _foreign_and_uncontracted(i: _Issuer) -> None:
    # billed in another currency than the contract's: nothing is contracted in it
    other = "EUR" if i.v1.currency != "EUR" else "GBP"
    foreign = i.invoice(i.v1, 58, [i.line("currency")], currency=other)
    line = foreign.lines[0]
    i.expect("currency_mismatch", foreign, line, ["currency_mismatch"], line.amount)

    # a workshop from before the vendor's first contract: no contract is valid on its date
    month = add_months(min(c.valid_from for c in i.v2.contracts).replace(day=1), -1)
    description = f"Training needs analysis – {month.strftime('%B %Y')}"
    workshop = Line("NA-WORKSHOP", description, 1, i.v2.contracts[0].rate, [], (month, month_end(month)))
    uncontracted = i.invoice(i.v2, 75, [workshop])
    i.expect("no_contract", uncontracted, workshop, ["no_contract"], workshop.amount)
