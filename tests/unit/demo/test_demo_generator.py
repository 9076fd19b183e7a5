"""The demo generator (`demo/`): deterministic, in the file-drop formats of docs/data-model.md, and with a
ground truth that is consistent with the files it describes.

These tests read the files with the standard library only, so they check the generator, not the
parsers; they never recompute a mart.
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from demo import generate

AS_OF = date(2026, 3, 31)  # a month end: snapshots on shorter months clamp (Feb 28)
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
FOLDERS = ("hris", "xapi", "lms", "sessions", "bookings", "invoices_csv", "invoices_xml")
HEADERS = {
    "hris": "employee_id,email,given_name,family_name,status,hire_date,termination_date,job_code,job_title,"
    "department,cost_center,country,region,manager_id,employment_type,updated_at",
    "lms": "record_id,learner_ref,course_ref,verb,occurred_at,success,score_scaled",
    "sessions": "session_id,course_ref,vendor_id,modality,starts_at,ends_at,capacity,location,status",
    "bookings": "session_id,learner_ref,status,booked_at,updated_at",
    "invoices_csv": "vendor_id,invoice_number,document_type,issue_date,currency,period_start,period_end,line_id,"
    "item_ref,description,quantity,unit_price,line_amount,learner_refs",
}
REFERENCE_HEADERS = {
    "courses.csv": "course_ref,title,modality,vendor_id,duration_minutes,activity_id",
    "course_equivalences.csv": "course_ref,satisfies_course_ref",
    "training_requirements.csv": "requirement_id,title,course_refs,applies_to_job_codes,applies_to_departments,"
    "applies_to_countries,applies_to_regions,due_within_days,recurrence_months,grace_days,regime,effective_from,"
    "effective_to",
    "exemptions.csv": "employee_id,requirement_id,reason,approved_by,valid_from,valid_to",
    "vendors.csv": "vendor_id,name,identifiers",
    "vendor_contracts.csv": "contract_id,vendor_id,pricing_model,currency,per_learner_rate,retainer_fee,"
    "retainer_period,included_learners,overage_rate,bills_no_shows,valid_from,valid_to,sla_on_time_delivery_pct,"
    "sla_reporting_days",
}
TRUTH_KEYS = {
    "seed", "as_of", "timezone", "params", "counts", "compliance", "terminated_at_as_of", "utilization", "billing",
    "clean_lines", "unresolved_learners", "voided_record_ids", "malformed",
}  # fmt: skip
FLAGS = {
    "unknown_learner", "terminated_learner", "no_show_billed", "rate_mismatch", "over_quantity", "duplicate_invoice",
    "currency_mismatch", "credit_note_unmatched", "no_contract",
}  # fmt: skip


# --- reading the drops ----------------------------------------------------------------------------------


def drops(root: Path, folder: str) -> list[Path]:
    return sorted((root / "drops" / folder).iterdir())


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def all_rows(root: Path, folder: str) -> list[tuple[str, int, dict[str, str]]]:
    """(file name, line number, row) for every data row of a CSV drop folder (header = line 1)."""
    return [(path.name, index, row) for path in drops(root, folder) for index, row in enumerate(csv_rows(path), 2)]


def statements(root: Path) -> list[tuple[str, int, dict]]:
    """(file name, line or index, statement) for every parseable statement of the xAPI folder."""
    found = []
    for path in drops(root, "xapi"):
        if path.suffix == ".jsonl":
            for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                try:
                    found.append((path.name, number, json.loads(text)))
                except json.JSONDecodeError:
                    continue
        else:
            document = json.loads(path.read_text(encoding="utf-8"))
            found += [(path.name, index, stmt) for index, stmt in enumerate(document["statements"], 1)]
    return found


def invoice_lines(root: Path) -> dict[tuple[str, str, str], dict]:
    """(vendor_id, invoice_number, line_id) → line, from both invoice folders (vendor via vendors.csv)."""
    lines: dict[tuple[str, str, str], dict] = {}
    for _name, _line, row in all_rows(root, "invoices_csv"):
        lines[(row["vendor_id"], row["invoice_number"], row["line_id"])] = {
            "document_type": row["document_type"],
            "item_ref": row["item_ref"],
            "quantity": row["quantity"],
            "unit_price": row["unit_price"],
            "learners": [ref for ref in row["learner_refs"].split(";") if ref],
        }
    vendor_of = {}
    for vendor in csv_rows(root / "reference" / "vendors.csv"):
        for identifier in vendor["identifiers"].split(";"):
            vendor_of[identifier] = vendor["vendor_id"]
    for path in drops(root, "invoices_xml"):
        doc = ET.parse(path).getroot()
        endpoint = doc.find("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", NS)
        vendor = vendor_of[f"{endpoint.get('schemeID')}:{endpoint.text}"]
        number = doc.find("cbc:ID", NS).text
        credit = doc.tag.endswith("}CreditNote")
        for element in doc.findall("cac:CreditNoteLine" if credit else "cac:InvoiceLine", NS):
            learners = [
                prop.find("cbc:Value", NS).text
                for prop in element.findall("cac:Item/cac:AdditionalItemProperty", NS)
                if prop.find("cbc:Name", NS).text == "learner"
            ]
            quantity = element.find("cbc:CreditedQuantity" if credit else "cbc:InvoicedQuantity", NS)
            lines[(vendor, number, element.find("cbc:ID", NS).text)] = {
                "document_type": "credit_note" if credit else "invoice",
                "preceding": doc.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", None, NS),
                "item_ref": element.findtext("cac:Item/cac:SellersItemIdentification/cbc:ID", None, NS),
                "quantity": quantity.text,
                "unit_price": element.findtext("cac:Price/cbc:PriceAmount", None, NS),
                "learners": learners,
            }
    return lines


def last_snapshot(root: Path) -> dict[str, dict[str, str]]:
    return {row["employee_id"]: row for row in csv_rows(drops(root, "hris")[-1])}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("demo")
    return root, generate(root, as_of=AS_OF, seed=3, employees=150, months=6)


# --- determinism and layout -----------------------------------------------------------------------------


def tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_same_arguments_write_byte_identical_files(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", as_of=AS_OF, seed=5, employees=100, months=4)
    second = generate(tmp_path / "b", as_of=AS_OF, seed=5, employees=100, months=4)
    assert first == second
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    other = generate(tmp_path / "c", as_of=AS_OF, seed=6, employees=100, months=4)
    assert tree(tmp_path / "c") != tree(tmp_path / "a")
    assert other["compliance"] != first["compliance"]


def test_regenerating_into_the_same_folder_replaces_the_previous_demo(tmp_path: Path) -> None:
    generate(tmp_path, as_of=AS_OF, seed=5, employees=100, months=5)
    generate(tmp_path, as_of=AS_OF, seed=5, employees=100, months=3)
    assert len(drops(tmp_path, "hris")) == 3


def test_folders_files_and_exact_headers(demo: tuple[Path, dict]) -> None:
    root, _truth = demo
    assert sorted(path.name for path in (root / "drops").iterdir()) == sorted(FOLDERS)
    for folder, header in HEADERS.items():
        for path in drops(root, folder):
            assert path.suffix == ".csv"
            assert path.read_text(encoding="utf-8").split("\n", 1)[0] == header, path.name
    for name, header in REFERENCE_HEADERS.items():
        assert (root / "reference" / name).read_text(encoding="utf-8").split("\n", 1)[0] == header, name
    snapshots = [path.name for path in drops(root, "hris")]
    assert snapshots == [
        "employees_2025-10-31.csv", "employees_2025-11-30.csv", "employees_2025-12-31.csv",
        "employees_2026-01-31.csv", "employees_2026-02-28.csv", "employees_2026-03-31.csv",
    ]  # fmt: skip
    xapi = [path.name for path in drops(root, "xapi")]
    assert "statements_2026-03.jsonl" in xapi and "statements_2025-10.jsonl" in xapi
    json_files = [name for name in xapi if name.endswith(".json")]
    assert json_files
    for name in json_files:
        assert list(json.loads((root / "drops" / "xapi" / name).read_text(encoding="utf-8"))) == ["statements"]
    roots = Counter(ET.parse(path).getroot().tag.split("}")[1] for path in drops(root, "invoices_xml"))
    assert roots["Invoice"] > 0 and roots["CreditNote"] >= 1


def test_ground_truth_file_is_what_generate_returns(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    assert json.loads((root / "ground_truth.json").read_text(encoding="utf-8")) == truth
    assert set(truth) == TRUTH_KEYS
    assert truth["as_of"] == AS_OF.isoformat() and truth["seed"] == 3 and truth["timezone"] == "Europe/London"
    assert truth["params"] == {"employees": 150, "months": 6, "vendors": 4}


@pytest.mark.parametrize("kwargs", [{"employees": 10}, {"months": 1}, {"vendors": 2}])
def test_sizes_too_small_for_the_planted_cases_are_refused(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        generate(tmp_path, as_of=AS_OF, **kwargs)


# --- the roster -----------------------------------------------------------------------------------------


def test_roster_history(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    last = last_snapshot(root)
    assert len(last) == truth["counts"]["employees_in_last_snapshot"] == 150
    statuses = Counter(row["status"] for row in last.values())
    assert set(statuses) == {"active", "leave", "terminated"}
    assert all(re.fullmatch(r"E\d{6}", eid) for eid in last)
    for eid, row in last.items():
        assert row["email"] == row["email"].lower() and row["email"].endswith(f".{int(eid[1:])}@acme.example")
        assert (row["status"] == "terminated") == bool(row["termination_date"])
        assert row["manager_id"] in last or row["job_code"] == "EXE-CEO"
    first = {row["employee_id"]: row for row in csv_rows(drops(root, "hris")[0])}
    assert len(first) < len(last)  # people were hired during the window
    moved = [eid for eid, row in first.items() if row["department"] != last[eid]["department"]]
    assert moved  # and some transferred
    assert sorted(eid for eid, row in last.items() if row["status"] == "terminated") == truth["terminated_at_as_of"]
    earlier = [row for _, _, row in all_rows(root, "hris") if row["employee_id"] in truth["terminated_at_as_of"]]
    assert any(row["status"] == "active" for row in earlier)  # terminations happened within the window


# --- planted cases are consistent with the files --------------------------------------------------------


def test_planted_compliance_cases(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    last = last_snapshot(root)
    cases = truth["compliance"]
    assert {case["status"] for case in cases} == {"exempt", "compliant", "overdue", "due_soon", "not_yet_due"}
    assert len({(case["employee_id"], case["requirement_id"]) for case in cases}) == len(cases)
    requirements = {row["requirement_id"]: row for row in csv_rows(root / "reference" / "training_requirements.csv")}
    exemptions = csv_rows(root / "reference" / "exemptions.csv")
    for case in cases:
        employee = last[case["employee_id"]]
        assert employee["status"] in ("active", "leave"), case
        assert case["requirement_id"] in requirements
        if case["status"] == "overdue":
            assert case["days_overdue"] == (AS_OF - date.fromisoformat(case["due_date"])).days > 0
        if case["status"] == "due_soon":
            assert (date.fromisoformat(case["due_date"]) - AS_OF).days <= 30
        if case["status"] == "not_yet_due":
            assert (date.fromisoformat(case["due_date"]) - AS_OF).days > 30
        if case["status"] == "compliant":
            assert case["evidence_record_id"]
        exempt_rows = [
            row
            for row in exemptions
            if (row["employee_id"], row["requirement_id"]) == (case["employee_id"], case["requirement_id"])
        ]
        valid = [row for row in exempt_rows if row["valid_from"] <= AS_OF.isoformat() <= row["valid_to"]]
        assert bool(valid) == (case["status"] == "exempt"), case
    by_case = {case["case"]: case for case in cases}
    transfer = by_case["transfer_into_scope"]
    rows = [row for _, _, row in all_rows(root, "hris") if row["employee_id"] == transfer["employee_id"]]
    departments = [row["department"] for row in rows]
    assert departments[0] != "Clinical Operations" and departments[-1] == "Clinical Operations"
    assert any(case["evidence_source"] == "lms_csv" for case in cases if case.get("evidence_source"))


def learner_of(stmt: dict, employees: dict[str, dict[str, str]]) -> str | None:
    actor = stmt.get("actor") or {}
    if "account" in actor:
        return actor["account"]["name"] if actor["account"]["name"] in employees else None
    email = actor.get("mbox", "").removeprefix("mailto:").lower()
    return next((eid for eid, row in employees.items() if row["email"] == email), None)


def test_evidence_records_exist_and_belong_to_the_employee(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    last = last_snapshot(root)
    by_id = {stmt["id"]: stmt for _, _, stmt in statements(root)}
    legacy = {row["record_id"]: row for _, _, row in all_rows(root, "lms")}
    requirements = {row["requirement_id"]: row for row in csv_rows(root / "reference" / "training_requirements.csv")}
    equivalences = csv_rows(root / "reference" / "course_equivalences.csv")
    satisfies = {row["course_ref"]: row["satisfies_course_ref"] for row in equivalences}
    for case in truth["compliance"]:
        record_id = case["evidence_record_id"]
        if not record_id:
            continue
        courses = requirements[case["requirement_id"]]["course_refs"].split(";")
        if record_id in by_id:
            stmt = by_id[record_id]
            assert learner_of(stmt, last) == case["employee_id"]
            assert stmt["verb"]["id"].rsplit("/", 1)[1] in ("completed", "passed", "satisfied")
            course = stmt["object"]["id"].rsplit("/", 1)[1]
            occurred = datetime.fromisoformat(stmt["timestamp"].replace("Z", "+00:00"))
        else:
            row = legacy[record_id]
            assert row["learner_ref"] == case["employee_id"] and row["verb"] in ("completed", "passed")
            course = row["course_ref"]
            occurred = datetime.fromisoformat(row["occurred_at"].replace("Z", "+00:00"))
        assert course in courses or satisfies.get(course) in courses
        assert occurred.date() < AS_OF
    assert any(
        "account" in by_id[case["evidence_record_id"]]["actor"]
        for case in truth["compliance"]
        if case["evidence_record_id"] in by_id
    )


def test_planted_history_facts_are_earlier_month_ends_backed_by_the_files(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    by_id = {stmt["id"]: stmt for _, _, stmt in statements(root)}
    facts = [fact for case in truth["compliance"] for fact in case.get("history", [])]
    assert {fact["status"] for fact in facts} >= {"compliant", "overdue", None}
    for fact in facts:
        on = date.fromisoformat(fact["on"])
        assert on < AS_OF and (on + timedelta(days=1)).day == 1, fact
        if fact["status"] == "overdue":
            assert fact["days_overdue"] == (on - date.fromisoformat(fact["due_date"])).days > 0
        if fact["evidence_record_id"]:
            stmt = by_id[fact["evidence_record_id"]]
            assert datetime.fromisoformat(stmt["timestamp"].replace("Z", "+00:00")).date() <= on
    rehired = next(case for case in truth["compliance"] if case["case"] == "rehired")
    rows = [row for _, _, row in all_rows(root, "hris") if row["employee_id"] == rehired["employee_id"]]
    assert [row["status"] for row in rows][-3:] == ["active", "terminated", "active"]
    assert rows[-1]["hire_date"] > rows[-2]["termination_date"] > rows[-3]["hire_date"]
    assert rehired["employee_id"] not in truth["terminated_at_as_of"]
    evidence = [by_id.get(case["evidence_record_id"]) for case in truth["compliance"] if case["evidence_record_id"]]
    verbs = {stmt["verb"]["id"] for stmt in evidence if stmt}
    assert "https://w3id.org/xapi/adl/verbs/satisfied" in verbs


def test_voided_records_have_a_voiding_statement(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    found = statements(root)
    voiding = {stmt["object"]["id"] for _, _, stmt in found if stmt["verb"]["id"].endswith("/voided")}
    ids = {stmt["id"] for _, _, stmt in found}
    assert truth["voided_record_ids"]
    assert set(truth["voided_record_ids"]) == voiding
    assert voiding <= ids


def test_xapi_statements_look_like_an_lrs_export(demo: tuple[Path, dict]) -> None:
    root, _truth = demo
    found = [stmt for _, _, stmt in statements(root) if "actor" in stmt]
    stamps = [stmt["timestamp"] for stmt in found]
    assert any(stamp.endswith("Z") and "." not in stamp for stamp in stamps)
    assert any(re.search(r"\.\d{3}Z$", stamp) for stamp in stamps)
    assert any(stamp.endswith("+02:00") for stamp in stamps) and any(stamp.endswith("-05:00") for stamp in stamps)
    mboxes = [stmt["actor"]["mbox"] for stmt in found if "mbox" in stmt["actor"]]
    assert all(mbox.startswith("mailto:") for mbox in mboxes)
    assert any(mbox != mbox.lower() for mbox in mboxes)
    assert any("account" in stmt["actor"] for stmt in found)
    for stmt in found:
        assert set(stmt) >= {"id", "actor", "verb", "object", "timestamp", "stored", "authority"}
    assert all(stmt["result"]["success"] is False for stmt in found if stmt["verb"]["id"].endswith("/failed"))


def test_utilization_counts_every_session_from_its_bookings(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    malformed = {(bad["file"], bad["line"]) for bad in truth["malformed"]}
    sessions = {
        row["session_id"]: row for name, line, row in all_rows(root, "sessions") if (name, line) not in malformed
    }
    counts: dict[str, Counter] = {sid: Counter() for sid in sessions}
    for name, line, row in all_rows(root, "bookings"):
        if (name, line) not in malformed:
            counts[row["session_id"]][row["status"]] += 1
    planted = {entry["session_id"]: entry for entry in truth["utilization"]}
    assert len(planted) == len(truth["utilization"]) and set(planted) == set(sessions)
    for sid, entry in planted.items():
        seen = counts[sid]
        assert entry == {
            "session_id": sid,
            "capacity": int(sessions[sid]["capacity"]),
            "booked": seen["booked"] + seen["attended"] + seen["no_show"],
            "attended": seen["attended"],
            "no_show": seen["no_show"],
            "cancelled": seen["cancelled"],
        }
    statuses = Counter(row["status"] for row in sessions.values())
    assert set(statuses) == {"scheduled", "delivered", "cancelled_by_vendor", "cancelled_by_client"}


def test_billing_cases_name_real_lines(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    lines = invoice_lines(root)
    last = last_snapshot(root)
    emails = {row["email"] for row in last.values()}
    cases = {case["case"]: case for case in truth["billing"]}
    assert set(cases) >= {
        "unknown_learner", "terminated_learner", "no_show_billed", "duplicate_invoice", "rate_mismatch", "credit_note",
    }  # fmt: skip
    for case in truth["billing"]:
        key = (case["vendor_id"], case["invoice_number"], case["line_id"])
        assert key in lines, case
        assert set(case["flags"]) <= FLAGS
    for clean in truth["clean_lines"]:
        line = lines[(clean["vendor_id"], clean["invoice_number"], clean["line_id"])]
        assert line["learners"] and set(line["learners"]) <= emails
        assert int(line["quantity"]) == len(line["learners"]) or len(line["learners"]) == 1
    assert not {(c["vendor_id"], c["invoice_number"], c["line_id"]) for c in truth["clean_lines"]} & {
        (c["vendor_id"], c["invoice_number"], c["line_id"]) for c in truth["billing"]
    }
    unknown = lines[tuple(cases["unknown_learner"][k] for k in ("vendor_id", "invoice_number", "line_id"))]
    assert set(unknown["learners"]) - emails <= set(truth["unresolved_learners"])
    assert set(unknown["learners"]) - emails
    credit = cases["credit_note"]
    line = lines[(credit["vendor_id"], credit["invoice_number"], credit["line_id"])]
    assert line["document_type"] == "credit_note"
    assert any(key[:2] == (credit["vendor_id"], line["preceding"]) for key in lines)
    copies = [case for case in truth["billing"] if case["case"] == "duplicate_invoice"]
    for copy in copies:
        original = lines[(copy["vendor_id"], copy["duplicate_of"], copy["line_id"])]
        assert lines[(copy["vendor_id"], copy["invoice_number"], copy["line_id"])] == original


def test_invoice_amounts_are_exact_two_decimal_strings(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    malformed = {(bad["file"], bad["line"]) for bad in truth["malformed"]}
    for name, number, row in all_rows(root, "invoices_csv"):
        if (name, number) in malformed:
            continue
        assert re.fullmatch(r"-?\d+\.\d{2}", row["unit_price"]) and re.fullmatch(r"-?\d+\.\d{2}", row["line_amount"])
        assert Decimal(row["quantity"]) * Decimal(row["unit_price"]) == Decimal(row["line_amount"])


def test_unresolved_learners_are_not_employees_but_are_referenced(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    emails = {row["email"] for _, _, row in all_rows(root, "hris")}
    text = "\n".join(
        path.read_text(encoding="utf-8").lower()
        for folder in ("xapi", "lms", "bookings", "invoices_csv", "invoices_xml")
        for path in drops(root, folder)
    )
    assert truth["unresolved_learners"]
    for ref in truth["unresolved_learners"]:
        assert ref not in emails and ref in text


# --- malformed rows -------------------------------------------------------------------------------------


ALLOWED = {
    ("hris", "status"): {"active", "leave", "terminated"},
    ("lms", "verb"): {"completed", "passed", "failed", "attempted", "voided"},
    ("bookings", "status"): {"booked", "attended", "no_show", "cancelled"},
}


def not_a_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return True
    return False


def not_a_timestamp(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return True
    return False


def not_a_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return True
    return False


def is_defective(folder: str, column: str, defect: str, value: str) -> bool:
    """Whether a CSV value really has the defect the ground truth names."""
    if defect == "invalid_date":
        return not_a_date(value)
    if defect == "invalid_timestamp":
        return not_a_timestamp(value)
    if defect == "invalid_number":
        return not_a_number(value)
    if defect == "missing_required":
        return value == ""
    if defect == "out_of_range":
        return Decimal(value) <= 0
    return defect == "not_in_set" and value not in ALLOWED[(folder, column)]


def test_malformed_rows_are_where_the_ground_truth_says(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    assert {bad["folder"] for bad in truth["malformed"]} == set(FOLDERS)
    for bad in truth["malformed"]:
        path = root / "drops" / bad["folder"] / bad["file"]
        line, column, defect, value = bad["line"], bad["column"], bad["defect"], bad["value"]
        if path.suffix == ".csv":
            physical = path.read_text(encoding="utf-8").splitlines()
            header = next(csv.reader([physical[0]]))
            row = dict(zip(header, next(csv.reader([physical[line - 1]])), strict=True))
            assert row[column] == value, bad
            assert is_defective(bad["folder"], column, defect, value), bad
        elif path.suffix == ".jsonl":
            text = path.read_text(encoding="utf-8").splitlines()[line - 1]
            if defect == "malformed_json":
                with pytest.raises(json.JSONDecodeError):
                    json.loads(text)
            else:
                assert defect == "missing_required" and column not in json.loads(text)
        elif path.suffix == ".json":
            stmt = json.loads(path.read_text(encoding="utf-8"))["statements"][line - 1]
            assert stmt[column] == value and not_a_timestamp(value)
        else:
            elements = ET.parse(path).getroot().findall("cac:InvoiceLine", NS)
            assert elements[line - 1].findtext("cac:Price/cbc:PriceAmount", None, NS) == value
            assert not_a_number(value)


def test_malformed_rows_are_in_no_planted_case(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    bad_rows = [bad for bad in truth["malformed"] if bad["folder"] in ("hris", "sessions", "bookings")]
    planted_ids = {case["employee_id"] for case in truth["compliance"]} | set(truth["terminated_at_as_of"])
    session_ids = {entry["session_id"] for entry in truth["utilization"]}
    for bad in bad_rows:
        path = root / "drops" / bad["folder"] / bad["file"]
        physical = path.read_text(encoding="utf-8").splitlines()
        row = dict(zip(physical[0].split(","), next(csv.reader([physical[bad["line"] - 1]])), strict=True))
        if bad["folder"] == "hris":
            assert row["employee_id"] not in planted_ids
            assert row["employee_id"] not in last_snapshot(root) or not row["employee_id"]
        if bad["folder"] == "sessions":
            assert row["session_id"] not in session_ids


# --- counts and scale -----------------------------------------------------------------------------------


def test_counts_are_the_raw_rows_of_the_files(demo: tuple[Path, dict]) -> None:
    root, truth = demo
    counts = truth["counts"]
    assert counts["sessions"] == len(all_rows(root, "sessions"))
    assert counts["bookings"] == len(all_rows(root, "bookings"))
    assert counts["hris_rows"] == len(all_rows(root, "hris"))
    assert counts["lms_records"] == len(all_rows(root, "lms"))
    raw_statements = 0
    for path in drops(root, "xapi"):
        if path.suffix == ".jsonl":
            raw_statements += len(path.read_text(encoding="utf-8").splitlines())
        else:
            raw_statements += len(json.loads(path.read_text(encoding="utf-8"))["statements"])
    assert counts["xapi_statements"] == raw_statements
    assert (
        counts["invoice_lines"]
        == len(invoice_lines(root))
        == counts["invoices_csv_rows"] + counts["invoices_xml_lines"]
    )
    sessions = {row["session_id"] for _, _, row in all_rows(root, "sessions")}
    malformed_sessions = sum(1 for bad in truth["malformed"] if bad["folder"] == "sessions")
    assert len(truth["utilization"]) == len(sessions) - malformed_sessions


def test_scale_parameters_change_the_sizes(tmp_path: Path) -> None:
    small = generate(tmp_path / "small", as_of=AS_OF, employees=100, months=3, vendors=3)
    large = generate(tmp_path / "large", as_of=AS_OF, employees=300, months=8, vendors=6)
    for key in ("employees_in_last_snapshot", "hris_rows", "xapi_statements", "sessions", "bookings", "invoice_lines"):
        assert large["counts"][key] > small["counts"][key], key
    assert small["counts"]["employees_in_last_snapshot"] == 100
    assert len(drops(tmp_path / "small", "hris")) == 3 and len(drops(tmp_path / "large", "hris")) == 8
    assert len(csv_rows(tmp_path / "small" / "reference" / "vendors.csv")) == 3
    assert len(csv_rows(tmp_path / "large" / "reference" / "vendors.csv")) == 6
    models = {row["pricing_model"] for row in csv_rows(tmp_path / "large" / "reference" / "vendor_contracts.csv")}
    assert models == {"per_learner", "retainer", "hybrid"}
