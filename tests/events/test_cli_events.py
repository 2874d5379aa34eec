"""python -m app events tail|prune."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from app.cli import main
from tests.conftest import CreateUser, printed


def _events(out: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in printed(out).splitlines()]


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SCIM_DATABASE_URL", database_url)
    return database_url


async def test_tail_from_a_position_prints_one_json_line_per_event(
    cli_db: str, create_user: CreateUser, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a", "b", "c"):
        await create_user(name)
    code = await asyncio.to_thread(main, ["events", "tail", "--from", "1", "--limit", "2"])
    printed = _events(capsys.readouterr().out)
    assert code == 0
    assert [event["sequence"] for event in printed] == [2, 3]


async def test_tail_prints_what_commits_after_it_started(
    cli_db: str, create_user: CreateUser, capsys: pytest.CaptureFixture[str]
) -> None:
    await create_user("before")
    tail = asyncio.create_task(asyncio.to_thread(main, ["events", "tail", "--limit", "1"]))
    await asyncio.sleep(1.0)
    await create_user("after")
    assert await tail == 0
    [event] = _events(capsys.readouterr().out)
    assert event["resource"]["userName"] == "after"


async def test_prune_keeps_recent_events(
    cli_db: str, create_user: CreateUser, capsys: pytest.CaptureFixture[str]
) -> None:
    await create_user("a")
    assert await asyncio.to_thread(main, ["events", "prune"]) == 0
    assert "pruned 0 events" in capsys.readouterr().err
