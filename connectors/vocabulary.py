"""The canonical vocabulary: every closed list of values a column of a canonical entity
(``connectors/schemas.py``), a quarantine row or a reference file may hold, defined once.

Python reads these names (the Great Expectations suites, the connectors that map a source's own
spellings onto them). dbt needs literal lists — its ``accepted_values`` tests and the seeds under
``dbt/seeds/`` — so those keep their own copy, and ``tests/unit/connectors/test_vocabulary.py`` checks
that every such copy equals the list here. Order matters where a list is shown to people (the
suites' messages name the values in this order).
"""

from __future__ import annotations

# -- hris.employee.status -------------------------------------------------------------------------
EMPLOYEE_STATUSES = ("active", "leave", "terminated")
# The statuses under which training requirements apply: terminated staff drop out (docs/semantics.md).
EMPLOYEE_STATUSES_IN_SCOPE = ("active", "leave")

# -- lms.session ----------------------------------------------------------------------------------
SESSION_MODALITIES = ("ilt", "vilt", "self_paced")
SESSION_STATUSES = ("scheduled", "delivered", "cancelled_by_vendor", "cancelled_by_client")

# -- lms.booking.status ---------------------------------------------------------------------------
BOOKING_STATUSES = ("booked", "attended", "no_show", "cancelled")

# -- vendor.invoice.document_type -----------------------------------------------------------------
DOCUMENT_TYPES = ("invoice", "credit_note")

# -- lms.learning_record.verb ---------------------------------------------------------------------
# xAPI verbs as canonical short names: the ADL vocabulary (adlnet.gov/expapi/verbs), the cmi5 verbs,
# and what LMS exports use. An unknown verb is a warning (the record stays); a verb that counts for
# compliance (completed / passed / satisfied) is always in the list.
KNOWN_VERBS = (
    # cmi5 "defined" verbs
    "launched",
    "initialized",
    "completed",
    "passed",
    "failed",
    "abandoned",
    "waived",
    "terminated",
    "satisfied",
    # ADL vocabulary
    "answered",
    "asked",
    "attempted",
    "attended",
    "commented",
    "exited",
    "experienced",
    "imported",
    "interacted",
    "mastered",
    "preferred",
    "progressed",
    "registered",
    "responded",
    "resumed",
    "scored",
    "shared",
    "suspended",
    "voided",
    # LMS exports
    "unregistered",
    "enrolled",
    "viewed",
)

# -- vendor.invoice.currency ----------------------------------------------------------------------
# ISO 4217 List One: the active alphabetic codes (currencies, funds and the X-codes), 2025 edition
# (XCG replaced ANG, ZWG replaced ZWL, SLE replaced SLL, VED is Venezuela's digital bolívar).
ISO_4217_ACTIVE: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN
    BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH
    UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD
    XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 — a table of codes reads better than 180 quoted strings
)
# What an invoice may be in: the list without the testing and "no currency" codes.
INVOICE_CURRENCIES: frozenset[str] = ISO_4217_ACTIVE - {"XTS", "XXX"}

# -- quarantine rows (schemas.QUARANTINE.severity) ------------------------------------------------
# critical blocks the run; error quarantines the row; warning reports it and keeps it.
SEVERITIES = ("critical", "error", "warning")
# The severities at which a finding holds its row back (quarantines it); a warning keeps the row.
HOLDING_SEVERITIES = ("critical", "error")
# Not a rule's: a row of an earlier version of a file corrected in place (rule file.replaced) is
# held back because the file's later version replaces it, never reprocessed.
REPLACED = "replaced"
QUARANTINE_SEVERITIES = (*SEVERITIES, REPLACED)

# -- reference file vendor_contracts.csv ----------------------------------------------------------
# How a contract bills; what each one means for the billing marts is the seed
# dbt/seeds/pricing_models.csv (one row per model).
PRICING_MODELS = ("per_learner", "retainer", "hybrid")
# retainer_period spellings → months in a billing period (dbt/seeds/retainer_periods.csv); a blank
# or unknown period is monthly, and per_learner contracts are always reported by month.
RETAINER_PERIOD_MONTHS: dict[str, int] = {
    "monthly": 1,
    "quarter": 3,
    "quarterly": 3,
    "year": 12,
    "yearly": 12,
    "annual": 12,
    "annually": 12,
}
