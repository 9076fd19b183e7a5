"""A roster that shrinks by more than half against the previous snapshot rejects its load."""

from pathlib import Path

from pipeline.config import parse_config
from pipeline.quarantine import list_quarantine
from pipeline.steps import extract_source, validate_pending

HEADER = (
    "employee_id,email,given_name,family_name,status,hire_date,termination_date,job_code,job_title,"
    "department,cost_center,country,region,manager_id,employment_type,updated_at\n"
)


def roster(drops: Path, day: str, size: int) -> None:
    rows = "".join(
        f"E{n:03d},e{n}@acme.example,A,B,active,2020-01-01,,J1,Job,Ops,CC1,GB,EMEA,,full_time,{day}T00:00:00Z\n"
        for n in range(size)
    )
    (drops / f"employees_{day}.csv").write_text(HEADER + rows)


def test_roster_shrink_is_critical_and_the_rejected_load_is_no_baseline(tmp_path, monkeypatch):
    monkeypatch.delenv("TRAINOPS_HOME", raising=False)
    drops = tmp_path / "drops"
    drops.mkdir()
    data = {"home": "./home", "reference_dir": ".", "sources": [{"name": "hr", "kind": "hris_csv", "path": "./drops"}]}
    config = parse_config(data, tmp_path / "trainops.yaml")
    source = config.sources[0]

    roster(drops, "2026-10-31", 10)
    roster(drops, "2026-11-01", 9)  # same load, small change: fine
    extract_source(config, source)
    assert validate_pending(config).critical == []

    roster(drops, "2026-11-02", 4)  # the next night's extract lost most of the company
    extract_source(config, source)
    critical = validate_pending(config).critical
    assert len(critical) == 1
    assert (
        "employee.roster_shrink: the roster of 2026-11-02 has 4 employees, 56% fewer than the 9 of 2026-11-01"
        in (critical[0])
    )
    rejected = [row for row in list_quarantine(config.home) if row["rule"] == "load.critical"]
    assert len(rejected) == 4 and {row["_source_file"] for row in rejected} == {"employees_2026-11-02.csv"}

    roster(drops, "2026-11-03", 9)  # compared with 2026-11-01, not with the rejected 2026-11-02
    extract_source(config, source)
    assert validate_pending(config).critical == []
