"""python -m app log: newest first, one line per request, bodies with --body."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from app.cli import main
from app.scim.store import LoggedRequest
from app.storage.engine import create_engine
from app.storage.repository import SqlStore

NOW = datetime.now(UTC)
ROWS = [
    LoggedRequest(
        "req-create", NOW - timedelta(minutes=5), "POST", "/scim/v2/Users", 201, 12.5,
        tenant="default", token_name="okta", resource_type="User", resource_id="u-1",
        body='{"userName":"bjensen","password":"[redacted]"}',
    ),
    LoggedRequest(
        "req-dup", NOW - timedelta(minutes=1), "POST", "/scim/v2/Users", 409, 3.0,
        tenant="default", token_name="okta", resource_type="User", scim_type="uniqueness",
        detail="userName is taken", body='{"userName":"bjensen"}',
    ),
    LoggedRequest(
        "req-old", NOW - timedelta(days=2), "DELETE", "/scim/v2/Groups/{resource_id}", 204,
        2.0, tenant="default", resource_type="Group", resource_id="g-1",
    ),
]  # fmt: skip


async def _with_store(database_url: str, rows: list[LoggedRequest]) -> None:
    """Write ``rows``, or empty the log when there are none."""
    store = SqlStore(create_engine(database_url))
    try:
        if rows:
            await store.write_request_log(rows)
        else:
            await store.prune_request_log(NOW + timedelta(days=1))
    finally:
        await store.close()


@pytest.fixture
def logged(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    asyncio.run(_with_store(database_url, ROWS))
    yield database_url
    asyncio.run(_with_store(database_url, []))


def _lines(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    assert main(["log", *argv]) == 0
    return capsys.readouterr().out.splitlines()


def _ids(lines: list[str]) -> list[str]:
    return [line.split("  ")[1] for line in lines if not line.startswith("    ")]


def test_log_prints_newest_first(logged: str, capsys: pytest.CaptureFixture[str]) -> None:
    ids = _ids(_lines(capsys))
    assert ids[:3] == ["req-dup", "req-create", "req-old"]


def test_log_status_4xx_keeps_the_failures(logged: str, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _lines(capsys, "--status", "4xx")
    assert _ids(lines) == ["req-dup"]
    assert "scimType=uniqueness" in lines[0] and "detail='userName is taken'" in lines[0]


def test_log_since_leaves_out_older_requests(
    logged: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "req-old" not in _ids(_lines(capsys, "--since", "1h"))


def test_log_by_resource_and_request_id(logged: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _ids(_lines(capsys, "--resource", "g-1")) == ["req-old"]
    assert _ids(_lines(capsys, "--request-id", "req-create")) == ["req-create"]


def test_log_by_user_name_finds_its_requests_by_body(
    logged: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _ids(_lines(capsys, "--user", "bjensen")) == ["req-dup", "req-create"]


def test_log_body_prints_the_redacted_body(logged: str, capsys: pytest.CaptureFixture[str]) -> None:
    lines = _lines(capsys, "--request-id", "req-create", "--body")
    assert lines[1] == '    {"userName":"bjensen","password":"[redacted]"}'
