"""The LISTEN connection of the event wake-ups is never left open behind the service."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI

from app.storage.wakeup import Wakeup

pytestmark = pytest.mark.postgresql_only


async def test_a_waiter_cancelled_while_listen_starts_leaves_no_connection(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[asyncpg.Connection] = []
    started = asyncio.Event()

    async def slow_listen(self: asyncpg.Connection, *_args: Any) -> None:
        opened.append(self)
        started.set()
        await asyncio.sleep(3600)

    monkeypatch.setattr(asyncpg.Connection, "add_listener", slow_listen)
    wakeup = Wakeup(app.state.store.engine)
    waiting = asyncio.create_task(wakeup.waiter())
    await started.wait()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert [connection.is_closed() for connection in opened] == [True]


async def test_a_close_while_listen_opens_closes_the_connection_it_opened(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[asyncpg.Connection] = []
    started, release = asyncio.Event(), asyncio.Event()
    listen = asyncpg.Connection.add_listener

    async def held_listen(self: asyncpg.Connection, *args: Any) -> None:
        opened.append(self)
        started.set()
        await release.wait()
        await listen(self, *args)

    monkeypatch.setattr(asyncpg.Connection, "add_listener", held_listen)
    wakeup = Wakeup(app.state.store.engine)
    waiting = asyncio.create_task(wakeup.waiter())
    await started.wait()
    await wakeup.close()
    release.set()
    await waiting
    assert [connection.is_closed() for connection in opened] == [True]


async def test_a_waiter_after_close_opens_nothing(app: FastAPI) -> None:
    wakeup = Wakeup(app.state.store.engine)
    await wakeup.close()
    await wakeup.waiter()
    assert not wakeup.listening
