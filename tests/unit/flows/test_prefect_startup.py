"""The first progress line of ``trainops run`` names the Prefect API without any credential in it."""

from __future__ import annotations

import pytest

from flows.prefect_startup import describe


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:s3cret@prefect.example.com/api", "server at https://prefect.example.com/api"),
        ("http://token@127.0.0.1:4200/api?key=abc#x", "server at http://127.0.0.1:4200/api"),
        ("http://[::1]:4200/api", "server at http://[::1]:4200/api"),
        ("http://127.0.0.1:4200/api", "server at http://127.0.0.1:4200/api"),
    ],
)
def test_the_api_url_is_shown_without_userinfo(monkeypatch: pytest.MonkeyPatch, url: str, shown: str) -> None:
    monkeypatch.setenv("PREFECT_API_URL", url)
    line = describe()
    assert line == shown
    assert "s3cret" not in line and "token" not in line and "key=abc" not in line


def test_an_unparseable_url_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://user:pw@host:notaport/api")
    assert "pw" not in describe()


def test_without_a_url_the_ephemeral_server_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert describe().startswith("an ephemeral server")
