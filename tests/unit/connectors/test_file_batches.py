"""The file-drop connector lands new files in batches bounded by the memory their records hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors import files, registry
from connectors.base import ParseContext
from connectors.files import FileDropConnector, FileDropOptions, FileDropState


def drop(name: str, kind: str, path: Path, glob: str | None = None) -> FileDropConnector:
    return registry.file_connector(name, kind, FileDropOptions(path=path, glob=glob), ParseContext())


def statement(n: int) -> str:
    return json.dumps(
        {
            "id": f"s-{n}",
            "actor": {"mbox": f"mailto:p{n}@x.example"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://lms.example.com/courses/C-1"},
            "timestamp": "2026-01-01T12:00:00Z",
        }
    )


def test_batches_of_whole_files_bounded_by_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for month in range(1, 6):
        (tmp_path / f"statements_2026-{month:02d}.jsonl").write_text(
            "\n".join(statement(month * 100 + n) for n in range(50)) + "\n"
        )
    connector = drop("lrs", "xapi_files", tmp_path)
    one_batch = list(connector.extract(FileDropState()))
    assert len(one_batch) == 1 and len(one_batch[0][0].files) == 5

    first_file = next(iter(drop("lrs", "xapi_files", tmp_path, "*01.jsonl").extract(FileDropState())))
    monkeypatch.setattr(files, "BATCH_BYTES", files.batch_bytes(first_file[1]) * 2 - 1)  # two files are too many
    batches = list(connector.extract(FileDropState()))
    assert [len(unit.files) for unit, _ in batches] == [2, 2, 1]
    assert sum(result.raw_rows for _, result in batches) == 250
    assert [f.name for unit, _ in batches for f in unit.files] == sorted(p.name for p in tmp_path.iterdir())


def test_dict_records_are_counted_by_their_estimated_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = "session_id,learner_ref,status,booked_at,updated_at\n"
    for day in range(1, 4):
        stamp = f"2026-01-0{day}T09:00:00Z"
        rows = "".join(f"S{day},p{n}@x.example,booked,{stamp},{stamp}\n" for n in range(10))
        (tmp_path / f"bookings_2026-01-0{day}.csv").write_text(header + rows)
    monkeypatch.setattr(files, "BATCH_BYTES", 15 * files.DICT_RECORD_BYTES)
    connector = drop("bookings", "bookings_csv", tmp_path)
    assert [len(unit.files) for unit, _ in connector.extract(FileDropState())] == [2, 1]
