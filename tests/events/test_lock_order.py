"""Writers take their locks in one order (count shard, then event counter): no deadlock
between a one-statement create and a transaction that inserted or deleted earlier."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from app.storage.events import COUNT_SHARDS
from tests.conftest import POSTGRES_URL, user_payload

pytestmark = pytest.mark.postgresql_only


def _dsn() -> str:
    assert POSTGRES_URL is not None
    return POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")


async def test_the_shard_count_is_the_triggers(app: FastAPI) -> None:
    connection = await asyncpg.connect(_dsn())
    try:
        source = await connection.fetchval(
            "SELECT prosrc FROM pg_proc WHERE proname = 'resources_count'"
        )
    finally:
        await connection.close()
    assert f"pg_backend_pid() % {COUNT_SHARDS}" in source


async def _lock_waits(connection: asyncpg.Connection) -> int:
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    return int(await connection.fetchval(query))


async def test_a_create_takes_its_count_shard_before_the_counter(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The other transaction holds the create's count shard and then takes the counter:
    had the create taken the counter first, the two would deadlock."""
    assert (await client.post("/scim/v2/Users", json=user_payload("warm"))).status_code == 201
    async with app.state.store.pg.connection() as pooled:
        shard = await pooled.fetchval("SELECT pg_backend_pid()") % COUNT_SHARDS
    other, watcher = await asyncpg.connect(_dsn()), await asyncpg.connect(_dsn())
    try:
        await other.execute(
            "INSERT INTO resource_counts VALUES ('default', 'User', $1, 0, 0) "
            "ON CONFLICT DO NOTHING",
            shard,
        )
        transaction = other.transaction()
        await transaction.start()
        await other.execute(
            "UPDATE resource_counts SET live = live WHERE tenant = 'default' "
            "AND resource_type = 'User' AND shard = $1",
            shard,
        )
        create = asyncio.create_task(client.post("/scim/v2/Users", json=user_payload("late")))
        while not await _lock_waits(watcher):  # noqa: ASYNC110 (a database state)
            await asyncio.sleep(0.01)
        async with asyncio.timeout(10):
            await other.execute(
                "INSERT INTO event_sequences AS q VALUES ('default', 1) "
                "ON CONFLICT (tenant) DO UPDATE SET last = q.last + 1"
            )
        await transaction.commit()
        assert (await create).status_code == 201
    finally:
        await other.close()
        await watcher.close()
