"""invoices_xml arithmetic beyond the totals: a line amount against quantity × price (EN 16931's line net
amount calculation, PEPPOL-EN16931-R120) and the XRechnung third-party payments extension (BR-DEX-09).
Documents: `einvoice_documents.py`."""

from __future__ import annotations

import json
from decimal import Decimal

from einvoice_documents import (
    INVOICE,
    LINE,
    PEPPOL,
    TWO_LINES,
    XRECHNUNG_EXTENSION,
    assert_quarantined,
    cii,
    cii_allowance_charge,
    cii_line,
    only_reject,
    parse,
    third_party,
    ubl,
    ubl_allowance_charge,
    ubl_line,
)

# --- a line's amount is its quantity × price -----------------------------------------------------------------


def test_a_cii_line_whose_amount_has_the_wrong_sign_quarantines_the_document(write) -> None:
    """Quantity −2 at 9.95 with amount +19.90 was accepted (over-quantity logic could be fooled)."""
    document = cii([cii_line(1, "-2", "9.95", "19.90")], "19.90")
    reject = assert_quarantined(
        parse(write("sign.xml", document)),
        "einvoice.line_amount_mismatch",
        1,
        "line 1",
        "19.90",
        "-19.90",
        "difference 39.80",
    )
    assert (reject.column_name, reject.value, reject.source_file) == ("line_amount", "19.90", "sign.xml")


def test_a_ubl_line_whose_amount_is_not_quantity_times_price_quarantines_the_document(write) -> None:
    """Under Peppol BIS (the documents here declare it) the calculation is a rule: PEPPOL-EN16931-R120."""
    lines = [ubl_line(1), ubl_line(2, "3", "100.00", "200.00")]
    assert_quarantined(
        parse(write("ubl.xml", ubl(lines, "219.90"))), "einvoice.line_amount_mismatch", 2, "300.00", "-100.00"
    )


def test_negative_quantity_corrections_and_credit_notes_are_legitimate(write) -> None:
    lines = [ubl_line(1, "5", "9.95", "49.75"), ubl_line(2, "-2", "9.95", "-19.90")]
    result = parse(write("correction.xml", ubl(lines, "29.85")))
    assert result.rejects == []
    assert [line["quantity"] for line in result.records[LINE]] == [Decimal("5"), Decimal("-2")]
    credit = [ubl_line(1, "2", "9.95", "19.90", tag="CreditNoteLine", quantity_tag="CreditedQuantity")]
    assert parse(write("credit.xml", ubl(credit, "19.90", root="CreditNote"))).rejects == []
    assert parse(write("cii.xml", cii([cii_line(1, "-2", "9.95", "-19.90")], "-19.90"))).rejects == []


def test_line_charges_and_allowances_and_the_price_base_quantity_count(write) -> None:
    """BT-131 = BT-129 × (BT-146 ÷ BT-149) + Σ BT-141 − Σ BT-136."""
    extra = ubl_allowance_charge(True, "5.00") + ubl_allowance_charge(False, "2.00")
    per_two = "<cbc:BaseQuantity>2</cbc:BaseQuantity>"
    lines = [ubl_line(1, "3", "10.00", "33.00", extra=extra), ubl_line(2, "10", "200", "1000.00", price_extra=per_two)]
    assert parse(write("ok.xml", ubl(lines, "1033.00"))).rejects == []

    lines = [ubl_line(1, "3", "10.00", "30.00", extra=extra), lines[1]]
    assert_quarantined(
        parse(write("charges.xml", ubl(lines, "1030.00"))),
        "einvoice.line_amount_mismatch",
        1,
        "charges 5.00",
        "allowances 2.00",
        "33.00",
    )
    lines = [ubl_line(1, "10", "200", "2000.00", price_extra=per_two)]
    assert_quarantined(
        parse(write("base.xml", ubl(lines, "2000.00"))), "einvoice.line_amount_mismatch", 1, "base quantity 2"
    )

    settlement = cii_allowance_charge(False, "0.90")
    document = cii([cii_line(1, "2", "9.95", "19.00", settlement=settlement)], "19.00", customization=PEPPOL)
    assert parse(write("cii-ok.xml", document)).rejects == []
    document = cii([cii_line(1, "2", "9.95", "19.90", settlement=settlement)], "19.90", customization=PEPPOL)
    assert_quarantined(parse(write("cii.xml", document)), "einvoice.line_amount_mismatch", 1, "allowances 0.90")


def test_line_amounts_are_rounded_to_the_cent_as_the_standard_allows(write) -> None:
    """3 × 0.333 = 0.999 is billed 1.00 (BR-DEC-23: two decimals); 1.10 is not a rounding."""
    assert parse(write("ok.xml", ubl([ubl_line(1, "3", "0.333", "1.00")], "1.00"))).rejects == []
    assert_quarantined(
        parse(write("off.xml", ubl([ubl_line(1, "3", "0.333", "1.10")], "1.10"))),
        "einvoice.line_amount_mismatch",
        1,
        "1.00",
        "difference 0.10",
    )


def test_an_unreadable_line_allowance_quarantines_the_document(write) -> None:
    extra = ubl_allowance_charge(False, "lots")
    result = parse(write("allowance.xml", ubl([ubl_line(1, extra=extra)], "19.90")))
    reject = assert_quarantined(result, "parse.invalid_number", 1, "allowance/charge 1")
    assert reject.value == "lots"
    extra = ubl_allowance_charge(False, "1.00").replace(">false<", ">maybe<")
    result = parse(write("indicator.xml", ubl([ubl_line(1, extra=extra)], "19.90")))
    assert assert_quarantined(result, "parse.invalid_value", 1).value == "maybe"


def test_outside_peppol_only_the_sign_of_a_correction_line_is_a_rule(write) -> None:
    """EN 16931's core rules do not make the line calculation a rule (CEN's own examples bill 2 × 800.00 as
    800.00, and a return as quantity 6 with amount −109.98): such documents load; a negative quantity
    billed as a positive amount does not, whatever the specification."""
    core = "urn:cen.eu:en16931:2017"
    lines = [ubl_line(1), ubl_line(2, "3", "100.00", "200.00"), ubl_line(3, "6", "18.33", "-109.98")]
    result = parse(write("cen.xml", ubl(lines, "109.92", customization=core)))
    assert result.rejects == []
    assert [line["line_amount"] for line in result.records[LINE]] == [
        Decimal("19.90"),
        Decimal("200.00"),
        Decimal("-109.98"),
    ]
    lines = [ubl_line(1), ubl_line(2, "-2", "9.95", "19.90")]
    assert_quarantined(
        parse(write("cen-sign.xml", ubl(lines, "39.80", customization=core))),
        "einvoice.line_amount_mismatch",
        2,
        "-19.90",
        "negative quantity",
    )
    document = cii([cii_line(1, "-2", "9.95", "19.90")], "19.90", customization=core)
    assert_quarantined(parse(write("cii-sign.xml", document)), "einvoice.line_amount_mismatch", 1)


# --- XRechnung extension: third-party payments ------------------------------------------------------------


def test_third_party_payments_are_part_of_the_amount_due_under_the_xrechnung_extension(write) -> None:
    """BR-DEX-09: payable (BT-115) = tax inclusive − prepaid + rounding + Σ third-party payments (BT-DEX-002);
    it replaces BR-CO-16, which rejected such a document."""
    payments = third_party("50.00") + third_party("5.10", "Levy", "Chamber levy")
    document = ubl(TWO_LINES, "119.90", prepaid="10.00", payable="165.00", tail=payments,
                   customization=XRECHNUNG_EXTENSION)  # fmt: skip
    result = parse(write("xrechnung-ext.xml", document))
    assert result.rejects == []
    (invoice,) = result.records[INVOICE]
    raw = json.loads(invoice["raw"])
    assert (raw["payable_amount"], raw["prepaid_amount"]) == ("165.00", "10.00")
    assert raw["third_party_payments"] == [
        {"type": "Deposit", "amount": "50.00", "description": "Paid by the sponsor"},
        {"type": "Levy", "amount": "5.10", "description": "Chamber levy"},
    ]
    assert invoice["total_incl_tax"] == Decimal("119.90")  # what was billed is unchanged


def test_third_party_payments_outside_the_extension_and_wrong_amounts_due_are_quarantined(write) -> None:
    payments = third_party("50.00")
    document = ubl(TWO_LINES, "119.90", payable="169.90", tail=payments)  # declares Peppol BIS, not the extension
    reject = assert_quarantined(parse(write("peppol.xml", document)), "parse.totals_mismatch", 0, "BR-CO-16")
    assert "XRechnung extension" in reject.message and "difference 50.00" in reject.message

    document = ubl(TWO_LINES, "119.90", payable="160.00", tail=payments, customization=XRECHNUNG_EXTENSION)
    reject = assert_quarantined(parse(write("wrong.xml", document)), "parse.totals_mismatch", 0, "BR-DEX-09")
    assert "difference -9.90" in reject.message

    document = ubl(TWO_LINES, "119.90", payable="169.90", tail=third_party("50.00", currency="USD"),
                   customization=XRECHNUNG_EXTENSION)  # fmt: skip
    assert_quarantined(parse(write("usd.xml", document)), "einvoice.currency_mismatch", 0, "cbc:PaidAmount", "USD")
    document = ubl(TWO_LINES, "119.90", payable="169.90", tail=third_party("fifty"), customization=XRECHNUNG_EXTENSION)
    assert only_reject(parse(write("fifty.xml", document))).value == "fifty"
