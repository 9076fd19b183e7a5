"""``trainops parse FILE --source NAME [--limit N]``: a configured source's reading of a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main

FOREIGN = Path(__file__).resolve().parents[2] / "fixtures" / "foreign"
CONFIG = str(FOREIGN / "trainops.yaml")


def test_records_as_a_table_and_rejects_with_their_location(capsys: pytest.CaptureFixture[str]) -> None:
    file = FOREIGN / "bookings" / "docebo_session_enrollments.csv"
    code = main(["parse", str(file), "--source", "bookings_docebo", "--config", CONFIG, "--limit", "2"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == "lms.booking: 3 record(s), first 2"
    assert out[1].split() == ["line", "session_id", "learner_ref", "status", "booked_at", "updated_at"]
    assert out[2].split()[:4] == ["2", "311", "priya.natarajan@example.com", "booked"]
    assert len([line for line in out if line.startswith("  ") and "@" in line]) == 2  # --limit 2
    assert "rejected: 1 row(s)" in out
    assert any(
        "docebo_session_enrollments.csv:5  [mapping.unmapped_value] value='Waiting list'" in line for line in out
    )


def test_a_refused_file_exits_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    file = FOREIGN / "hris" / "sf_employee_report.csv"
    code = main(["parse", str(file), "--source", "bookings_docebo", "--config", CONFIG])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "\n" not in err
    assert "source 'bookings_docebo'" in err and "mapping.columns.session_id" in err and "'Employee ID'" in err


def test_an_unknown_source_is_a_configuration_error(capsys: pytest.CaptureFixture[str]) -> None:
    file = FOREIGN / "hris" / "sf_employee_report.csv"
    assert main(["parse", str(file), "--source", "nope", "--config", CONFIG]) == 2
    assert "no source named 'nope'" in capsys.readouterr().err


def test_the_preview_reads_naive_timestamps_in_the_sources_assume_timezone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``parse --source`` reads a file as the night would: in the source's ``assume_timezone``."""
    file = tmp_path / "sessions.csv"
    header = "session_id,course_ref,vendor_id,modality,starts_at,ends_at,capacity,location,status\n"
    file.write_text(header + "S1,COC-101,V01,ilt,2026-07-01 09:00:00,,12,London,delivered\n")
    config = tmp_path / "trainops.yaml"
    config.write_text(
        "home: ./home\nreference_dir: .\nsources:\n"
        "  - {name: sessions, kind: sessions_csv, path: ., assume_timezone: Europe/Berlin}\n"
    )
    assert main(["parse", str(file), "--source", "sessions", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "rejected: 0 row(s)" in out and "2026-07-01T07:00:00+00:00" in out  # 09:00 in Berlin (+02:00)
