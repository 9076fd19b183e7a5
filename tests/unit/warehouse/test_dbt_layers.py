"""The dbt layer rules of docs/ARCHITECTURE.md ("dbt layers"), checked on the parsed manifest: only
staging reads sources, intermediate reads staging and intermediate, marts never read staging
directly, and every model's name says its layer."""

from __future__ import annotations

from typing import Any

import pytest

NAME_PREFIXES = {"staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_", "rpt_")}
# the ref()s inside staging: every landed-entity model drops quarantined rows through the first; the
# learning records and their id conflicts read the one version of each record id the second keeps
STAGING_MAY_REF = {"stg_quarantine__rows", "stg_lms__learning_record_versions"}


def models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def layer(node: dict[str, Any]) -> str:
    """The models/ folder a model lives in (restricted models live under marts/)."""
    return str(node["fqn"][1])


def reads(node: dict[str, Any], kind: str) -> set[str]:
    """The names of the nodes of one resource type (model, source, seed) a model depends on."""
    return {uid.split(".")[-1] for uid in node["depends_on"]["nodes"] if uid.startswith(f"{kind}.")}


def layer_of(manifest: dict[str, Any], name: str) -> str:
    return layer(models(manifest)[name])


def test_every_layer_has_models(manifest):
    layers = {layer(node) for node in models(manifest).values()}
    assert {"staging", "intermediate", "marts"} <= layers


def test_only_staging_reads_sources(manifest):
    offenders = {
        name: reads(node, "source")
        for name, node in models(manifest).items()
        if layer(node) != "staging" and reads(node, "source")
    }
    assert not offenders, f"models outside staging reading sources: {offenders}"


def test_staging_reads_only_sources(manifest):
    offenders = {
        name: reads(node, "model") - STAGING_MAY_REF
        for name, node in models(manifest).items()
        if layer(node) == "staging" and reads(node, "model") - STAGING_MAY_REF
    }
    assert not offenders, f"staging models reading other models: {offenders}"


def test_intermediate_reads_staging_and_intermediate(manifest):
    offenders = {
        name: {ref for ref in reads(node, "model") if layer_of(manifest, ref) not in {"staging", "intermediate"}}
        for name, node in models(manifest).items()
        if layer(node) == "intermediate"
    }
    offenders = {name: refs for name, refs in offenders.items() if refs}
    assert not offenders, f"intermediate models reading marts: {offenders}"


def test_marts_never_read_staging_directly(manifest):
    found = {
        name: {ref for ref in reads(node, "model") if layer_of(manifest, ref) == "staging"}
        for name, node in models(manifest).items()
        if layer(node) == "marts"
    }
    found = {name: refs for name, refs in found.items() if refs}
    assert not found, f"marts reading staging directly (route them through an intermediate model): {found}"


@pytest.mark.parametrize("folder", sorted(NAME_PREFIXES))
def test_model_names_say_their_layer(manifest, folder):
    prefixes = NAME_PREFIXES[folder]
    in_folder = [name for name, node in models(manifest).items() if layer(node) == folder]
    assert in_folder
    misnamed = [name for name in in_folder if not name.startswith(prefixes)]
    assert not misnamed, f"{folder} models not named {'/'.join(prefixes)}*: {misnamed}"


def test_no_model_outside_the_known_layers(manifest):
    folders = {layer(node) for node in models(manifest).values()}
    assert folders <= {*NAME_PREFIXES, "semantic"}, folders
