from pathlib import Path

import pytest

from pipeline.config import ConfigError, find_config, load_config, write_demo_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trainops.yaml"
    path.write_text(text)
    return path


GOOD = """
home: ./data
reference_dir: ./reference
timezone: Europe/London
sources:
  - name: hr
    kind: hris_csv
    path: ./drops/hris
  - {name: invoices, kind: invoices_xml, path: /srv/drops/einvoices, glob: "*.xml"}
"""


def test_good_config_resolves_paths_against_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    config = load_config(write(tmp_path, GOOD))
    assert config.home == tmp_path / "data"
    assert config.reference_dir == tmp_path / "reference"
    assert config.marts_db == tmp_path / "data" / "warehouse" / "marts.duckdb"
    assert config.source("hr").path == tmp_path / "drops" / "hris"
    assert config.source("invoices").path == Path("/srv/drops/einvoices")
    assert config.source("invoices").glob == "*.xml"
    assert config.timezone == "Europe/London"


def test_target_defaults_to_duckdb_and_env_overrides_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_TARGET", raising=False)
    assert load_config(write(tmp_path, GOOD)).target == "duckdb"
    assert load_config(write(tmp_path, GOOD + "target: postgres\n")).target == "postgres"
    monkeypatch.setenv("TRAINOPS_TARGET", "duckdb")
    assert load_config(write(tmp_path, GOOD + "target: postgres\n")).target == "duckdb"
    monkeypatch.setenv("TRAINOPS_TARGET", "mysql")
    with pytest.raises(ConfigError, match="target \\(from TRAINOPS_TARGET\\): expected one of duckdb, postgres"):
        load_config(write(tmp_path, GOOD))


def test_trainops_home_env_overrides_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TRAINOPS_HOME", str(tmp_path / "elsewhere"))
    assert load_config(write(tmp_path, GOOD)).home == tmp_path / "elsewhere"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (GOOD.replace("kind: hris_csv", "kind: hris_xls"), "sources[0].kind"),
        (GOOD.replace("name: hr", "name: Hr Drops"), "sources[0].name"),
        (GOOD.replace("name: invoices", "name: hr"), "sources[1].name"),
        (GOOD.replace("    path: ./drops/hris\n", ""), "sources[0].path"),
        (GOOD.replace("Europe/London", "Mars/Olympus"), "timezone"),
        (GOOD.replace("reference_dir: ./reference\n", ""), "reference_dir"),
        (GOOD + "colour: blue\n", "colour"),
        (GOOD.replace('glob: "*.xml"', 'glob: "*.xml", token: abc'), "sources[1].token"),
        ("home: ./data\nreference_dir: .\nsources: []\n", "sources"),
        (GOOD + "target: oracle\n", "target"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, key):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message and f": {key}:" in message
    assert "\n" not in message


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "home: ./data\nsources: [\n  - name: hr\n")
    with pytest.raises(ConfigError, match=r"trainops.yaml line \d+: not valid YAML"):
        load_config(path)


def test_lookup_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRAINOPS_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="no configuration found"):
        find_config()
    demo = tmp_path / "data" / "demo"
    demo.mkdir(parents=True)
    demo_config = write_demo_config(demo, home=tmp_path / "data")
    assert find_config() == demo_config
    root = write(tmp_path, GOOD)
    assert find_config() == root
    monkeypatch.setenv("TRAINOPS_CONFIG", str(demo_config))
    assert find_config() == demo_config
    assert find_config(root) == root


def test_demo_config_is_valid_and_points_at_the_demo(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    demo = tmp_path / "data" / "demo"
    demo.mkdir(parents=True)
    config = load_config(write_demo_config(demo, home=tmp_path / "data"))
    assert config.home == tmp_path / "data"
    assert config.reference_dir == demo / "reference"
    assert {source.kind for source in config.sources} == {
        "hris_csv", "xapi_files", "lms_csv", "sessions_csv", "bookings_csv", "invoices_csv", "invoices_xml",
    }  # fmt: skip
