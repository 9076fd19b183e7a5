import pickle
from pathlib import Path

import pytest
from pydantic import ValidationError

from connectors.hris.bamboohr import BambooHrOptions
from connectors.lms.xapi_lrs import XapiLrsOptions
from connectors.options import SecretEnv
from pipeline.config import ConfigError, find_config, load_config
from pipeline.demo_config import write_demo_config


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


API_SOURCES = """
  - name: lrs
    kind: xapi_lrs
    url: https://lrs.example.com/xAPI/
    username_env: LRS_USER
    password_env: LRS_PASSWORD
    lookback: 10m
    params: {activity: "https://lms.example.com/c/1"}
  - {name: bamboo, kind: bamboohr, company_domain: acme, api_key_env: BHR_KEY, max_retries: 2}
"""


def test_api_sources_are_their_kinds_validated_options(tmp_path):
    config = load_config(write(tmp_path, GOOD + API_SOURCES))
    lrs = config.source("lrs")
    assert isinstance(lrs, XapiLrsOptions) and lrs.path is None and lrs.glob is None
    assert (lrs.lookback, lrs.limit, lrs.password_env) == (600.0, 500, "LRS_PASSWORD")
    assert isinstance(lrs.password_env, SecretEnv)  # a name, resolved only when the connector builds its client
    bamboo = config.source("bamboo")
    assert isinstance(bamboo, BambooHrOptions) and bamboo.base_url.endswith("/gateway.php/acme/")
    assert bamboo.max_retries == 2 and bamboo.timeout == 60.0
    with pytest.raises(ValidationError, match="frozen"):
        lrs.lookback = 1.0  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(config)).sources == config.sources  # Dask ships sources to its workers


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("url: ftp://lrs", "sources[2].url: expected an http:// or https:// URL"),
        ("lookback: soon", 'sources[2].lookback: expected a duration such as 300, "5m", "2h", "7d" or "PT5M"'),
        ("limit: 0", "sources[2].limit: expected a whole number ≥ 1, got 0"),
        ("timeout: -1", "sources[2].timeout: expected a number ≥ 0.001, got -1"),
        ("verify_tls: 3", "sources[2].verify_tls: expected true, false or a CA bundle path, got 3"),
        ("page_size: 10", "sources[2].page_size: unknown key for kind xapi_lrs (known: name, kind, connect_timeout"),
        ("password_env: 'hunter2 hunter2'", "sources[2].password_env: expected the NAME of an environment variable"),
    ],
)
def test_api_options_are_validated_at_load_naming_file_and_key(tmp_path, source, message):
    key = source.split(":")[0]
    lines = [line for line in API_SOURCES.splitlines() if not line.strip().startswith(f"{key}:")]
    text = GOOD + "\n".join(lines).replace("    kind: xapi_lrs", f"    kind: xapi_lrs\n    {source}") + "\n"
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {message}")
    assert "hunter2" not in str(info.value) and "\n" not in str(info.value)


def test_required_keys_and_one_of_rules_name_the_source(tmp_path):
    missing = GOOD + "  - {name: m, kind: merge_hris, api_key_env: MERGE_KEY}\n"
    with pytest.raises(ConfigError, match=r"sources\[2\]\.account_token_env: required for kind merge_hris"):
        load_config(write(tmp_path, missing))
    neither = GOOD + "  - {name: b, kind: bamboohr, company_domain: acme}\n"
    with pytest.raises(ConfigError, match=r"sources\[2\]: give api_key_env \(API key\) or token_env"):
        load_config(write(tmp_path, neither))
    no_kind = GOOD + "  - {name: x, path: ./x}\n"
    with pytest.raises(ConfigError, match=r"sources\[2\]\.kind: required \(file kinds: hris_csv"):
        load_config(write(tmp_path, no_kind))


def test_paths_expand_home_and_variables(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    monkeypatch.setenv("DROPS", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    text = GOOD.replace("./drops/hris", "$DROPS/hris").replace("home: ./data", "home: ~/trainops")
    config = load_config(write(tmp_path, text))
    assert config.source("hr").path == tmp_path / "elsewhere" / "hris"
    assert config.home == tmp_path / "me" / "trainops"
