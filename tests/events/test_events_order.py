"""Sequences are gap-free and in commit order, so a reader following "after N" sees every
committed change exactly once, even one that commits late (issue 12, "Proof")."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from scim2_models import Context

from app.scim.context import RequestContext
from app.scim.events import Snapshot, created
from app.scim.resources import USER
from app.scim.service import to_write, validate
from tests.conftest import client_for, patch_payload, user_payload
from tests.events.helpers import all_events

WRITERS = 8
CHANGES = 2000


class Follower:
    """A consumer reading ``GET /events?after=``: checks each batch continues the last."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.position = 0
        self.mirror: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, int] = {}
        self.seen = 0

    async def poll(self) -> None:
        response = await self.client.get("/events", params={"after": self.position, "limit": 1000})
        assert response.status_code == 200, response.text
        page = response.json()
        for event in page["events"]:
            assert event["sequence"] == self.position + 1, "a gap or a repeat"
            self.position = event["sequence"]
            self.seen += 1
            rid = event["resource_id"]
            assert event["version"] > self.versions.get(rid, 0), "versions out of commit order"
            self.versions[rid] = event["version"]
            if event["type"] == "user.deleted":
                self.mirror.pop(rid)
            else:
                self.mirror[rid] = event["resource"]
        assert page["next_after"] == self.position


async def _writer(client: httpx.AsyncClient, seed: int, changes: int, done: list[int]) -> None:
    rng = random.Random(seed)
    mine: list[str] = []
    for step in range(changes):
        if not mine or rng.random() < 0.3:
            response = await client.post(
                "/scim/v2/Users", json=user_payload(f"w{seed}-{step}", active=True)
            )
            assert response.status_code == 201, response.text
            mine.append(response.json()["id"])
        elif rng.random() < 0.1:
            response = await client.delete(f"/scim/v2/Users/{mine.pop()}")
            assert response.status_code == 204, response.text
        else:
            target = rng.choice(mine)
            op = {"op": "replace", "path": "displayName", "value": f"n{seed}-{step}"}
            response = await client.patch(f"/scim/v2/Users/{target}", json=patch_payload(op))
            assert response.status_code == 200, response.text
        done[0] += 1


async def _full_read(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    response = await client.get("/scim/v2/Users", params={"count": 1000})
    body = response.json()
    assert body["totalResults"] <= 1000
    return {r["id"]: r for r in body["Resources"]}


async def test_a_follower_sees_every_concurrent_change_once_in_commit_order(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    follower, done = Follower(client), [0]
    writers = [
        asyncio.create_task(_writer(client, seed, CHANGES // WRITERS, done))
        for seed in range(WRITERS)
    ]
    while not all(w.done() for w in writers):
        await follower.poll()
        await asyncio.sleep(0.01)
    await asyncio.gather(*writers)
    await follower.poll()
    assert done[0] == CHANGES
    assert follower.seen == CHANGES
    assert follower.mirror == await _full_read(client)


async def _waiting_for_a_lock(app: FastAPI) -> int:
    async with app.state.store.engine.connect() as connection:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return int((await connection.execute(sa.text(query))).scalar_one())


@pytest.mark.postgresql_only
async def test_a_late_commit_is_never_skipped(app: FastAPI) -> None:
    """A write that began first but commits last still comes first: the later write waits
    for the counter until the earlier one commits, and a reader meanwhile sees neither."""
    store = app.state.store
    ctx = RequestContext(tenant="default", base_url="https://scim.test/scim/v2")
    write = to_write(USER, validate(ctx, USER, user_payload("early"), _creation()), _creation())
    emitted, release = asyncio.Event(), asyncio.Event()

    async def early() -> None:
        async with store.transaction(write=True) as tx:
            stored = await tx.insert("default", USER, write, datetime.now(UTC))
            snap = Snapshot(
                USER, stored.id, 1, stored.created, stored.last_modified, write.document
            )
            await tx.emit("default", [created(ctx, snap)], datetime.now(UTC))
            emitted.set()
            await release.wait()

    first = asyncio.create_task(early())
    await emitted.wait()
    async with client_for(app) as client:
        late = asyncio.create_task(client.post("/scim/v2/Users", json=user_payload("late")))
        while not await _waiting_for_a_lock(app):  # noqa: ASYNC110 (a database state)
            await asyncio.sleep(0.01)
        assert await store.events_after("default", 0, 10) == []
        release.set()
        await first
        assert (await late).status_code == 201
    names = [e["resource"]["userName"] for e in await all_events(app)]
    assert names == ["early", "late"]


def _creation() -> Context:
    return Context.RESOURCE_CREATION_REQUEST
