"""The UBL writer: an invoice or credit note as a Peppol BIS Billing 3.0 (UBL 2.1) document, written
as text line by line so the files are stable byte for byte.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from demo.common import CENT, money

if TYPE_CHECKING:
    from demo.invoices import Invoice, Line

_CUSTOMER = [
    "  <cac:AccountingCustomerParty>",
    "    <cac:Party>",
    '      <cbc:EndpointID schemeID="0088">5060012340004</cbc:EndpointID>',
    "      <cac:PartyName>",
    "        <cbc:Name>Acme Corporation Ltd</cbc:Name>",
    "      </cac:PartyName>",
    "      <cac:PostalAddress>",
    "        <cbc:StreetName>1 Acme Square</cbc:StreetName>",
    "        <cbc:CityName>London</cbc:CityName>",
    "        <cbc:PostalZone>EC1A 1AA</cbc:PostalZone>",
    "        <cac:Country>",
    "          <cbc:IdentificationCode>GB</cbc:IdentificationCode>",
    "        </cac:Country>",
    "      </cac:PostalAddress>",
    "      <cac:PartyTaxScheme>",
    "        <cbc:CompanyID>GB123456789</cbc:CompanyID>",
    "        <cac:TaxScheme>",
    "          <cbc:ID>VAT</cbc:ID>",
    "        </cac:TaxScheme>",
    "      </cac:PartyTaxScheme>",
    "      <cac:PartyLegalEntity>",
    "        <cbc:RegistrationName>Acme Corporation Ltd</cbc:RegistrationName>",
    "      </cac:PartyLegalEntity>",
    "    </cac:Party>",
    "  </cac:AccountingCustomerParty>",
]
_EXEMPTION_REASONS = {"AE": ("vatex-eu-ae", "Reverse charge"), "O": ("vatex-eu-o", "Not subject to VAT")}
_CITY = {"GB": "London", "NL": "Amsterdam", "US": "New York"}


def ubl(doc: Invoice) -> str:
    """A Peppol BIS Billing 3.0 (UBL 2.1) Invoice or CreditNote."""
    root = "CreditNote" if doc.doc_type == "credit_note" else "Invoice"
    net = doc.total
    tax = (net * doc.vendor.tax[1] / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    cur = doc.document_currency
    out = [*_header(doc, root), *_supplier(doc), *_CUSTOMER]
    if root == "Invoice":
        out += [
            "  <cac:PaymentMeans>",
            '    <cbc:PaymentMeansCode name="Credit transfer">30</cbc:PaymentMeansCode>',
            f"    <cbc:PaymentID>{escape(doc.number)}</cbc:PaymentID>",
            "  </cac:PaymentMeans>",
        ]
    out += [
        "  <cac:TaxTotal>",
        _amount(cur, "TaxAmount", tax, 4),
        "    <cac:TaxSubtotal>",
        _amount(cur, "TaxableAmount", net, 6),
        _amount(cur, "TaxAmount", tax, 6),
        *_tax_category(doc, "TaxCategory", 6, reason=True),
        "    </cac:TaxSubtotal>",
        "  </cac:TaxTotal>",
        "  <cac:LegalMonetaryTotal>",
        _amount(cur, "LineExtensionAmount", net, 4),
        _amount(cur, "TaxExclusiveAmount", net, 4),
        _amount(cur, "TaxInclusiveAmount", net + tax, 4),
        _amount(cur, "PayableAmount", net + tax, 4),
        "  </cac:LegalMonetaryTotal>",
    ]
    for line in doc.lines:
        out += _line(doc, line, root)
    out.append(f"</{root}>")
    return "\n".join(out) + "\n"


def _amount(currency: str, tag: str, value: Decimal, indent: int) -> str:
    return f'{" " * indent}<cbc:{tag} currencyID="{currency}">{money(value)}</cbc:{tag}>'


def _header(doc: Invoice, root: str) -> list[str]:
    credit = root == "CreditNote"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2"',
        '    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"',
        '    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">',
        "  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
        "</cbc:CustomizationID>",
        "  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>",
        f"  <cbc:ID>{escape(doc.number)}</cbc:ID>",
        f"  <cbc:IssueDate>{doc.issue.isoformat()}</cbc:IssueDate>",
    ]
    if not credit:
        out.append(f"  <cbc:DueDate>{(doc.issue + timedelta(days=30)).isoformat()}</cbc:DueDate>")
    out.append(f"  <cbc:{root}TypeCode>{381 if credit else 380}</cbc:{root}TypeCode>")
    if doc.note:
        out.append(f"  <cbc:Note>{escape(doc.note)}</cbc:Note>")
    out += [
        f"  <cbc:DocumentCurrencyCode>{doc.document_currency}</cbc:DocumentCurrencyCode>",
        "  <cbc:BuyerReference>ACME-L&amp;D</cbc:BuyerReference>",
        "  <cac:InvoicePeriod>",
        f"    <cbc:StartDate>{doc.period[0].isoformat()}</cbc:StartDate>",
        f"    <cbc:EndDate>{doc.period[1].isoformat()}</cbc:EndDate>",
        "  </cac:InvoicePeriod>",
        "  <cac:OrderReference>",
        f"    <cbc:ID>PO-ACME-{doc.vendor.vid}-{doc.period[0].year}</cbc:ID>",
        "  </cac:OrderReference>",
    ]
    if doc.preceding:
        out += [
            "  <cac:BillingReference>",
            "    <cac:InvoiceDocumentReference>",
            f"      <cbc:ID>{escape(doc.preceding)}</cbc:ID>",
            "    </cac:InvoiceDocumentReference>",
            "  </cac:BillingReference>",
        ]
    return out


def _supplier(doc: Invoice) -> list[str]:
    vendor = doc.vendor
    return [
        "  <cac:AccountingSupplierParty>",
        "    <cac:Party>",
        f'      <cbc:EndpointID schemeID="0088">{vendor.gln}</cbc:EndpointID>',
        "      <cac:PartyName>",
        f"        <cbc:Name>{escape(vendor.name)}</cbc:Name>",
        "      </cac:PartyName>",
        "      <cac:PostalAddress>",
        f"        <cbc:StreetName>{10 + int(vendor.vid[1:])} Learning Lane</cbc:StreetName>",
        f"        <cbc:CityName>{_CITY.get(vendor.country, 'London')}</cbc:CityName>",
        "        <cac:Country>",
        f"          <cbc:IdentificationCode>{vendor.country}</cbc:IdentificationCode>",
        "        </cac:Country>",
        "      </cac:PostalAddress>",
        "      <cac:PartyTaxScheme>",
        f"        <cbc:CompanyID>{vendor.vat}</cbc:CompanyID>",
        "        <cac:TaxScheme>",
        "          <cbc:ID>VAT</cbc:ID>",
        "        </cac:TaxScheme>",
        "      </cac:PartyTaxScheme>",
        "      <cac:PartyLegalEntity>",
        f"        <cbc:RegistrationName>{escape(vendor.name)}</cbc:RegistrationName>",
        "      </cac:PartyLegalEntity>",
        "    </cac:Party>",
        "  </cac:AccountingSupplierParty>",
    ]


def _tax_category(doc: Invoice, tag: str, indent: int, reason: bool) -> list[str]:
    """The vendor's VAT category; ``reason``: with the exemption reason its category needs."""
    pad = " " * indent
    category, percent = doc.vendor.tax
    out = [f"{pad}<cac:{tag}>", f"{pad}  <cbc:ID>{category}</cbc:ID>", f"{pad}  <cbc:Percent>{percent}</cbc:Percent>"]
    if reason and category in _EXEMPTION_REASONS:
        code, text = _EXEMPTION_REASONS[category]
        out += [
            f"{pad}  <cbc:TaxExemptionReasonCode>{code}</cbc:TaxExemptionReasonCode>",
            f"{pad}  <cbc:TaxExemptionReason>{text}</cbc:TaxExemptionReason>",
        ]
    out += [
        f"{pad}  <cac:TaxScheme>",
        f"{pad}    <cbc:ID>VAT</cbc:ID>",
        f"{pad}  </cac:TaxScheme>",
        f"{pad}</cac:{tag}>",
    ]
    return out


def _line(doc: Invoice, line: Line, root: str) -> list[str]:
    """An InvoiceLine or CreditNoteLine; its learners as additional item properties."""
    line_tag, quantity_tag = ("InvoiceLine", "InvoicedQuantity")
    if root == "CreditNote":
        line_tag, quantity_tag = ("CreditNoteLine", "CreditedQuantity")
    unit = "MON" if line.item_ref.startswith(("RETAINER", "PLATFORM-FEE")) else "C62"
    title = line.description.split(" – ")[0]
    out = [
        f"  <cac:{line_tag}>",
        f"    <cbc:ID>{line.line_id}</cbc:ID>",
        f'    <cbc:{quantity_tag} unitCode="{unit}">{line.quantity}</cbc:{quantity_tag}>',
        _amount(doc.document_currency, "LineExtensionAmount", line.amount, 4),
        "    <cac:InvoicePeriod>",
        f"      <cbc:StartDate>{line.service[0].isoformat()}</cbc:StartDate>",
        f"      <cbc:EndDate>{line.service[1].isoformat()}</cbc:EndDate>",
        "    </cac:InvoicePeriod>",
        "    <cac:Item>",
        f"      <cbc:Description>{escape(line.description)}</cbc:Description>",
        f"      <cbc:Name>{escape(title)}</cbc:Name>",
        "      <cac:SellersItemIdentification>",
        f"        <cbc:ID>{escape(line.item_ref)}</cbc:ID>",
        "      </cac:SellersItemIdentification>",
        *_tax_category(doc, "ClassifiedTaxCategory", 6, reason=False),
    ]
    for learner in line.learners:
        out += [
            "      <cac:AdditionalItemProperty>",
            "        <cbc:Name>learner</cbc:Name>",
            f"        <cbc:Value>{escape(learner)}</cbc:Value>",
            "      </cac:AdditionalItemProperty>",
        ]
    price = line.price_text or money(line.unit_price)
    out += [
        "    </cac:Item>",
        "    <cac:Price>",
        f'      <cbc:PriceAmount currencyID="{doc.document_currency}">{price}</cbc:PriceAmount>',
        "    </cac:Price>",
        f"  </cac:{line_tag}>",
    ]
    return out
