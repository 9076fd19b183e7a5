"""Every identifier column of a published mart says what kind of identifier it is (docs/privacy.md),
and every direct identifier published is one the privacy decision lists."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]
MARTS = REPO / "dbt" / "models" / "marts"
IDENTIFIER = re.compile(r"(_id|_key|_ref|_by|_email|_name|mbox|_sha1sum)$")
CLASSES = {"direct", "pseudonymous", "none"}


def published_columns() -> list[tuple[str, str, Any]]:
    """(model, column, meta.pii) of every column of a model published from schema marts."""
    found = []
    for path in sorted(MARTS.rglob("*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models") or []:
            if (model.get("config") or {}).get("schema", "marts") != "marts":
                continue  # restricted: never published
            for column in model.get("columns") or []:
                meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
                found.append((model["name"], column["name"], meta.get("pii")))
    return found


def test_every_published_identifier_column_is_classified():
    columns = published_columns()
    assert len({model for model, _, _ in columns}) >= 10  # the marts were found
    unclassified = [
        f"{model}.{column}: {pii!r}"
        for model, column, pii in columns
        if IDENTIFIER.search(column) and pii not in CLASSES
    ]
    assert unclassified == []


def test_the_direct_identifiers_published_are_the_ones_docs_privacy_lists():
    privacy = (REPO / "docs" / "privacy.md").read_text()
    listed = set(re.findall(r"^\| `(\w+)` \|[^|]*\| direct \|", privacy, flags=re.MULTILINE))
    published = {column for _, column, pii in published_columns() if pii == "direct"}
    assert published == listed == {"employee_id", "manager_id", "exemption_approved_by"}
