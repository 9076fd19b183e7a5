"""connectors/registry.py: one registry of every kind, streams declared per kind, options models,
and a broken connector module failing loudly (never as an "unknown kind")."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from connectors import registry, schemas
from connectors.base import SourceError
from connectors.files import FileDropOptions
from connectors.options import ConnectorOptions, HttpOptions

REPO = Path(__file__).resolve().parents[3]


def test_every_kind_once_with_its_options_model_and_streams():
    kinds = [*registry.FILE_KINDS, *registry.API_CONNECTORS]
    assert len(kinds) == len(set(kinds)) == 11
    for kind in kinds:
        model = registry.options_model(kind)
        assert issubclass(model, ConnectorOptions) and model.model_config["extra"] == "forbid"
        assert issubclass(model, FileDropOptions if kind in registry.FILE_KINDS else HttpOptions)
        specs = registry.kind_streams(kind)
        assert specs and all(spec.entity in schemas.ENTITIES for spec in specs)
        assert all(spec.key == schemas.KEYS[spec.entity] for spec in specs)
        assert registry.state_type(kind).from_json({}).describe() == "nothing loaded yet"


def test_stream_modes():
    modes = {
        kind: {spec.mode for spec in registry.kind_streams(kind)}
        for kind in [*registry.FILE_KINDS, *registry.API_CONNECTORS]
    }
    assert {kind for kind, mode in modes.items() if mode == {"snapshot"}} == {
        "hris_csv", "bamboohr", "workday_raas", "merge_hris",
    }  # fmt: skip
    assert modes["xapi_lrs"] == {"watermark"}
    assert all(modes[kind] == {"append"} for kind in ("xapi_files", "lms_csv", "sessions_csv", "bookings_csv"))
    invoices = registry.kind_streams("invoices_xml")
    assert [spec.entity for spec in invoices] == ["vendor.invoice", "vendor.invoice_line"]


def test_unknown_kinds_are_named_with_the_known_ones():
    with pytest.raises(SourceError, match=r"unknown kind 'sftp' \(file kinds: hris_csv, .*; API kinds: xapi_lrs"):
        registry.api_connector("sftp")
    assert registry.read_unit("xapi_lrs", {}) is None


BROKEN_IMPORT = """
import importlib.abc, sys

class Broken(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "connectors.hris.merge":
            raise ImportError("No module named 'merge_sdk' (simulated)")
        return None

sys.meta_path.insert(0, Broken())
from pipeline.config import load_config
load_config(sys.argv[1])
"""


@pytest.mark.parametrize("sources", ["[{name: hr, kind: merge_hris, api_key_env: K, account_token_env: A}]",
                                     "[{name: hr, kind: hris_csv, path: ./hr}]"])  # fmt: skip
def test_a_connector_that_cannot_be_imported_fails_with_its_own_error(tmp_path, sources):
    config = tmp_path / "trainops.yaml"
    config.write_text(f"reference_dir: .\nsources: {sources}\n")
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(BROKEN_IMPORT), str(config)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode != 0
    assert "ImportError: No module named 'merge_sdk' (simulated)" in run.stderr
    assert "unknown kind" not in run.stderr
