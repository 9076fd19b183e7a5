"""What other systems call the canonical fields and values, in English and German: the tables
``trainops map`` (``pipeline/mapping_proposal.py``) matches a file's columns and status words with.

Names are compared normalised (``normal``): case, accents, spacing and punctuation do not matter, so
``Hire date``, ``HIRE_DATE`` and ``hire-date`` are one name. A field's own name always matches.
"""

from __future__ import annotations

import re
import unicodedata

from connectors import vocabulary

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def normal(name: str) -> str:
    """``"Eintritts-Datum "`` → ``"eintrittsdatum"``; ``"Plätze"`` → ``"platze"``."""
    decomposed = unicodedata.normalize("NFKD", name.replace("ß", "ss"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALNUM.sub("", plain.lower())


# canonical field (a CSV column of the kind's spec) → other names for it
FIELD_SYNONYMS: dict[str, tuple[str, ...]] = {
    # hris.employee
    "employee_id": (
        "ID",
        "Employee ID",
        "Employee Number",
        "Employee No",
        "Emp ID",
        "Worker ID",
        "Staff ID",
        "Personnel Number",
        "Personalnummer",
        "Personal-Nr",
        "Pers.-Nr.",
        "Mitarbeiternummer",
        "Mitarbeiter-ID",
    ),
    "email": (
        "E-Mail",
        "Email Address",
        "Work Email",
        "Business Email",
        "Mail",
        "E-Mail-Adresse",
        "Dienstliche E-Mail",
    ),
    "given_name": ("First name", "Firstname", "Given name", "Forename", "Vorname"),
    "family_name": ("Last name", "Lastname", "Surname", "Family name", "Nachname", "Familienname"),
    "status": (
        "Status",
        "Employment Status",
        "Employee Status",
        "Booking status",
        "Session status",
        "Attendance",
        "State",
        "Beschäftigungsstatus",
        "Mitarbeiterstatus",
        "Buchungsstatus",
        "Terminstatus",
        "Teilnahmestatus",
    ),
    "hire_date": (
        "Hire date",
        "Hired",
        "Start date",
        "Date of hire",
        "Joining date",
        "Original hire date",
        "Eintrittsdatum",
        "Eintritt",
        "Beginn Arbeitsverhältnis",
    ),
    "termination_date": (
        "Termination date",
        "End date",
        "Leaving date",
        "Exit date",
        "Austrittsdatum",
        "Austritt",
        "Ende Arbeitsverhältnis",
    ),
    "job_code": ("Job code", "Position code", "Job ID", "Stellenschlüssel", "Stellencode"),
    "job_title": (
        "Job title",
        "Title",
        "Position",
        "Job",
        "Role",
        "Stellenbezeichnung",
        "Funktion",
        "Berufsbezeichnung",
    ),
    "department": (
        "Department",
        "Dept",
        "Team",
        "Org unit",
        "Organisational unit",
        "Abteilung",
        "Organisationseinheit",
    ),
    "cost_center": ("Cost center", "Cost centre", "Kostenstelle"),
    "country": ("Country", "Country code", "Work country", "Land", "Arbeitsland"),
    "region": ("Region",),
    "manager_id": (
        "Manager",
        "Manager ID",
        "Supervisor",
        "Reports to",
        "Line manager",
        "Vorgesetzter",
        "Vorgesetzte",
        "Führungskraft",
    ),
    "employment_type": ("Employment type", "Contract type", "Worker type", "Beschäftigungsart", "Vertragsart"),
    "updated_at": (
        "Last update",
        "Last updated",
        "Updated at",
        "Last modified",
        "Modified",
        "Last changed",
        "Geändert am",
        "Änderungsdatum",
    ),
    "snapshot_date": ("Snapshot date", "Export date", "As of", "Report date", "Stichtag", "Exportdatum"),
    # lms.learning_record
    "record_id": (
        "Attempt ID",
        "Transcript ID",
        "Record ID",
        "Completion ID",
        "Enrollment ID",
        "Transcript ID",
        "Datensatz-ID",
    ),
    "learner_ref": (
        "User ID",
        "Learner",
        "Learner ID",
        "User",
        "Username",
        "Login",
        "Participant",
        "Attendee",
        "Teilnehmer",
        "Teilnehmer-ID",
        "Lernende",
        "Benutzer",
        "Email",
        "User email",
        "Learner email",
    ),
    "course_ref": (
        "Course code",
        "LO ID",
        "Training ID",
        "Learning object ID",
        "Course ID",
        "Course",
        "Course Code",
        "Training",
        "Module",
        "Kurs",
        "Kurs-ID",
        "Schulung",
    ),
    "verb": (
        "Transcript Status",
        "Enrollment status",
        "Completion Status",
        "Status",
        "Result",
        "Outcome",
        "Ergebnis",
        "Abschlussstatus",
    ),
    "occurred_at": (
        "Transcript Completed Date",
        "Completed date",
        "Completion Date",
        "Completed at",
        "Completed on",
        "Date completed",
        "Date",
        "Timestamp",
        "Abschlussdatum",
        "Abgeschlossen am",
    ),
    "success": ("Success", "Passed", "Pass", "Bestanden", "Erfolgreich"),
    "score_scaled": (
        "Transcript Score",
        "Score",
        "Result score",
        "Grade",
        "Percent",
        "Punktzahl",
        "Ergebnis in Prozent",
    ),
    "activity_id": ("Activity ID", "Activity IRI"),
    "stored_at": ("Stored at", "Recorded at"),
    "completion": ("Completion", "Completed", "Abgeschlossen"),
    "duration_seconds": ("Duration", "Time spent", "Dauer"),
    "registration": ("Registration", "Registration ID"),
    # lms.session
    "session_id": (
        "id_session",
        "Session ID",
        "Session",
        "Class ID",
        "Event ID",
        "Termin-ID",
        "Termin",
        "Veranstaltungs-ID",
    ),
    "vendor_id": (
        "Supplier ID",
        "Lieferantennummer",
        "Kreditor",
        "Vendor",
        "Vendor ID",
        "Supplier",
        "Supplier ID",
        "Provider",
        "Anbieter",
        "Lieferant",
    ),
    "modality": (
        "Session type",
        "Delivery Type",
        "Modality",
        "Format",
        "Delivery",
        "Delivery method",
        "Type",
        "Durchführungsart",
    ),
    "starts_at": (
        "Date begin",
        "Start Date/Time",
        "Start date",
        "Start",
        "Starts at",
        "Start time",
        "Begin",
        "Beginn",
        "Startzeit",
    ),
    "ends_at": ("Date end", "End Date/Time", "End date", "End", "Ends at", "End time", "Ende", "Endzeit"),
    "capacity": (
        "Max enroll",
        "Max Registration",
        "Max enrollments",
        "Capacity",
        "Seats",
        "Max participants",
        "Plätze",
        "Kapazität",
        "Max. Teilnehmer",
    ),
    "location": ("Facility", "Location", "Venue", "Room", "Ort", "Veranstaltungsort", "Raum"),
    # lms.booking
    "booked_at": (
        "Booked",
        "Enrollment date",
        "Booked at",
        "Booking date",
        "Enrolled at",
        "Registered at",
        "Gebucht am",
        "Buchungsdatum",
    ),
    # vendor.invoice / invoice_line
    "invoice_number": (
        "Invoice #",
        "Invoice number",
        "Invoice No",
        "Invoice",
        "Invoice ID",
        "Rechnungsnummer",
        "Rechnungs-Nr",
    ),
    "document_type": (
        "Transaction Type",
        "Invoice Type",
        "Document type",
        "Type",
        "Invoice type",
        "Belegart",
        "Dokumentart",
    ),
    "issue_date": ("Issue date", "Invoice date", "Date", "Rechnungsdatum", "Belegdatum"),
    "due_date": ("Due date", "Payment due", "Fällig am", "Fälligkeitsdatum"),
    "currency": ("Currency", "Währung"),
    "period_start": ("Period start", "Service from", "From", "Leistung von", "Leistungszeitraum von"),
    "period_end": ("Period end", "Service to", "To", "Leistung bis", "Leistungszeitraum bis"),
    "line_id": ("Line #", "Pos.", "Line", "Line ID", "Line number", "Position", "Pos", "Positionsnummer"),
    "item_ref": (
        "Product/Service",
        "Part Number",
        "Item",
        "Item ID",
        "Article",
        "Product",
        "SKU",
        "Artikel",
        "Artikelnummer",
    ),
    "description": ("Description", "Text", "Beschreibung", "Bezeichnung"),
    "quantity": ("Quantity", "Qty", "Units", "Menge", "Anzahl"),
    "unit_price": ("Unit price", "Price", "Rate", "Einzelpreis", "Preis"),
    "line_amount": (
        "Gesamtbetrag",
        "Line amount",
        "Amount",
        "Net amount",
        "Line total",
        "Betrag",
        "Nettobetrag",
        "Gesamtpreis",
    ),
    "learner_refs": ("Learners", "Participants", "Attendees", "Teilnehmer", "Teilnehmende"),
    "purchase_order": ("PO Number", "Purchase order", "PO", "PO number", "Bestellnummer"),
    "preceding_invoice": ("Preceding invoice", "Original invoice", "Corrects invoice", "Bezugsrechnung"),
    "tax_total": ("Tax", "Tax total", "VAT", "Steuer", "MwSt", "Umsatzsteuer"),
    "total_incl_tax": ("Total incl tax", "Gross", "Gross amount", "Total", "Brutto", "Bruttobetrag"),
}

# The fields a kind's status-like columns take their words from, and the words' other spellings.
VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("hris_csv", "status"): vocabulary.EMPLOYEE_STATUSES,
    ("sessions_csv", "status"): vocabulary.SESSION_STATUSES,
    ("sessions_csv", "modality"): vocabulary.SESSION_MODALITIES,
    ("bookings_csv", "status"): vocabulary.BOOKING_STATUSES,
    ("invoices_csv", "document_type"): vocabulary.DOCUMENT_TYPES,
    ("lms_csv", "verb"): vocabulary.KNOWN_VERBS,
}

VALUE_SYNONYMS: dict[str, tuple[str, ...]] = {
    # employees
    "active": ("Aktiv", "Employed", "Current", "Beschäftigt"),
    "leave": ("On leave", "Onleave", "Leave of absence", "LOA", "Beurlaubt", "Ruhend", "Elternzeit"),
    "terminated": ("Inactive", "Former", "Left", "Terminated", "Ausgetreten", "Inaktiv", "Ausgeschieden"),
    # sessions
    "ilt": ("Classroom", "In person", "Instructor-led", "Präsenz", "Vor Ort"),
    "vilt": ("Virtual", "Online", "Virtual classroom", "Webinar", "Virtuell"),
    "self_paced": ("Self-paced", "E-Learning", "Selbstlernen", "WBT"),
    "scheduled": ("Planned", "Open", "Confirmed", "Approved", "Geplant", "Bestätigt"),
    "delivered": ("Held", "Completed", "Done", "Durchgeführt", "Stattgefunden"),
    "cancelled_by_vendor": ("Cancelled by vendor", "Abgesagt (Anbieter)", "Vom Anbieter abgesagt"),
    "cancelled_by_client": ("Cancelled by client", "Abgesagt (Kunde)", "Vom Kunden abgesagt"),
    # bookings
    "booked": ("Registered", "Enrolled", "Confirmed", "Gebucht", "Angemeldet"),
    "attended": ("Present", "Participated", "Completed", "Teilgenommen", "Anwesend"),
    "no_show": ("No show", "Absent", "Did not attend", "Nicht erschienen", "Abwesend"),
    "cancelled": ("Canceled", "Withdrawn", "Storniert", "Abgemeldet", "Abgesagt"),
    # invoices
    "invoice": ("Rechnung", "Bill", "Standard"),
    "credit_note": ("Credit note", "Credit memo", "Credit", "Gutschrift", "Stornorechnung"),
    # learning records
    "completed": ("Complete", "Done", "Finished", "Abgeschlossen", "Erledigt"),
    "passed": ("Pass", "Success", "Bestanden"),
    "failed": ("Fail", "Not passed", "Nicht bestanden", "Durchgefallen"),
    "attempted": ("In progress", "Started", "Begonnen", "In Bearbeitung"),
    "registered": ("Enrolled", "Assigned", "Angemeldet", "Zugewiesen"),
}

BOOLEAN_WORDS: dict[str, str] = {
    **{normal(word): "true" for word in ("Ja", "Wahr", "Passed", "Pass", "Bestanden", "X")},
    **{normal(word): "false" for word in ("Nein", "Falsch", "Failed", "Fail", "Nicht bestanden")},
}


def canonical_word(kind: str, column: str, text: str) -> str | None:
    """The canonical word a source's value obviously stands for, or None."""
    words = VOCABULARIES.get((kind, column))
    if words is None:
        return None
    key = normal(text)
    for word in words:
        if normal(word) == key:
            return word
    for word in words:
        if any(normal(other) == key for other in VALUE_SYNONYMS.get(word, ())):
            return word
    return None
