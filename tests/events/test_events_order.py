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
from tests.conftest import client_for, group_payload, patch_payload, user_payload
from tests.events.helpers import all_events

WRITERS = 8
CHANGES = 2000


class Follower:
    """A consumer reading ``GET /events?after=``: checks each batch continues the last, and
    keeps a mirror of users and groups (members from the member events)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.position = 0
        self.mirror: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = {}
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
            self._apply(event)
        assert page["next_after"] == self.position

    def _apply(self, event: dict[str, Any]) -> None:
        rid, kind = event["resource_id"], event["type"]
        # One write's events share its version (a group's rename and its new members).
        assert event["version"] >= self.versions.get(rid, 0), "versions out of commit order"
        self.versions[rid] = event["version"]
        if kind.endswith(".deleted"):
            self.mirror.pop(rid)
            self.members.pop(rid, None)
            return
        self.mirror[rid] = event["resource"]
        if kind == "group.created":
            self.members[rid] = set()
        values = {member["value"] for member in event["members"] or ()}
        if kind == "group.members_added":
            self.members[rid] |= values
        elif kind == "group.members_removed":
            self.members[rid] -= values


class Writer:
    """One identity provider connection: users and groups created, changed, deleted."""

    def __init__(self, client: httpx.AsyncClient, seed: int) -> None:
        self.client, self.seed, self.rng = client, seed, random.Random(seed)
        self.users: list[str] = []
        self.groups: list[str] = []

    async def change(self, step: int) -> None:
        roll = self.rng.random()
        if not self.users or roll < 0.25:
            body = user_payload(f"w{self.seed}-{step}", active=True)
            self.users.append(await self._created("/scim/v2/Users", body))
        elif not self.groups or roll < 0.3:
            body = group_payload(f"g{self.seed}-{step}", self.rng.choice(self.users))
            self.groups.append(await self._created("/scim/v2/Groups", body))
        elif roll < 0.35:
            await self._deleted(f"/scim/v2/Users/{self.users.pop()}")
        elif roll < 0.37:
            await self._deleted(f"/scim/v2/Groups/{self.groups.pop()}")
        elif roll < 0.55:
            await self._patched(f"/scim/v2/Groups/{self.rng.choice(self.groups)}", self._member())
        elif roll < 0.6:
            operation = {"op": "replace", "path": "displayName", "value": f"g{self.seed}-{step}"}
            await self._patched(f"/scim/v2/Groups/{self.rng.choice(self.groups)}", operation)
        else:
            operation = {"op": "replace", "path": "displayName", "value": f"n{self.seed}-{step}"}
            await self._patched(f"/scim/v2/Users/{self.rng.choice(self.users)}", operation)

    def _member(self) -> dict[str, Any]:
        member = self.rng.choice(self.users)
        if self.rng.random() < 0.7:
            return {"op": "add", "path": "members", "value": [{"value": member}]}
        return {"op": "remove", "path": f'members[value eq "{member}"]'}

    async def _created(self, path: str, body: dict[str, Any]) -> str:
        response = await self.client.post(path, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def _deleted(self, path: str) -> None:
        response = await self.client.delete(path)
        assert response.status_code == 204, response.text

    async def _patched(self, path: str, operation: dict[str, Any]) -> None:
        response = await self.client.patch(path, json=patch_payload(operation))
        assert response.status_code in (200, 204), response.text


async def _writer(client: httpx.AsyncClient, seed: int, changes: int, done: list[int]) -> None:
    writer = Writer(client, seed)
    for step in range(changes):
        await writer.change(step)
        done[0] += 1


async def _full_read(client: httpx.AsyncClient, endpoint: str) -> dict[str, dict[str, Any]]:
    response = await client.get(f"/scim/v2/{endpoint}", params={"count": 1000})
    body = response.json()
    assert body["totalResults"] <= 1000
    return {r["id"]: r for r in body["Resources"]}


async def _mirrored_now(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, set[str]]]:
    """What a full SCIM read shows: resources as events carry them (groups without their
    members; users without the groups they are in, which the member events carry), and each
    group's member ids."""
    users, groups = await _full_read(client, "Users"), await _full_read(client, "Groups")
    for user in users.values():
        user.pop("groups", None)
    members = {gid: {m["value"] for m in g.pop("members", [])} for gid, g in groups.items()}
    return {**users, **groups}, members


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
    assert follower.seen == len(await all_events(app))
    resources, members = await _mirrored_now(client)
    assert follower.mirror == resources
    assert follower.members == members


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
