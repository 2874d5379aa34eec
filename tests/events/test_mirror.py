"""examples/mirror.py end to end: the mirror equals a full SCIM read, pulled or pushed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from examples.mirror import Mirror
from tests.conftest import CreateGroup, CreateUser, client_for, patch_payload
from tests.events.receiver import Receiver, listening
from tests.events.webhooks import add_endpoint, deliver_until, deliverer


async def _changes(
    client: httpx.AsyncClient, create_user: CreateUser, create_group: CreateGroup
) -> None:
    alice, bob, carol = [await create_user(n) for n in ("alice", "bob", "carol")]
    admins = await create_group("Admins", alice["id"], bob["id"])
    await create_group("Staff", carol["id"], admins["id"])
    await client.patch(
        f"/scim/v2/Users/{alice['id']}",
        json=patch_payload({"op": "replace", "value": {"active": False}}),
    )
    await client.patch(
        f"/scim/v2/Groups/{admins['id']}",
        json=patch_payload({"op": "replace", "path": "displayName", "value": "Root"}),
    )
    await client.delete(f"/scim/v2/Users/{bob['id']}")


async def _full_read(
    client: httpx.AsyncClient,
) -> tuple[dict[str, int], dict[str, int], set[tuple[str, str]]]:
    def versions(body: dict[str, Any]) -> dict[str, int]:
        return {r["id"]: int(r["meta"]["version"].strip('W/"')) for r in body["Resources"]}

    users = (await client.get("/scim/v2/Users")).json()
    groups = (await client.get("/scim/v2/Groups")).json()
    members = {(g["id"], m["value"]) for g in groups["Resources"] for m in g.get("members", [])}
    return versions(users), versions(groups), members


def _mirrored(mirror: Mirror) -> tuple[dict[str, int], dict[str, int], set[tuple[str, str]]]:
    return mirror.versions("User"), mirror.versions("Group"), mirror.members()


async def test_a_mirror_following_the_feed_equals_a_full_read(
    app: FastAPI,
    client: httpx.AsyncClient,
    create_user: CreateUser,
    create_group: CreateGroup,
    tmp_path: Path,
) -> None:
    mirror = Mirror(str(tmp_path / "mirror.db"), client_for(app))
    await _changes(client, create_user, create_group)
    assert await mirror.sync() > 0
    assert await mirror.sync() == 0
    assert _mirrored(mirror) == await _full_read(client)


async def test_a_mirror_fed_by_webhooks_equals_a_full_read(
    app: FastAPI,
    client: httpx.AsyncClient,
    create_user: CreateUser,
    create_group: CreateGroup,
    tmp_path: Path,
) -> None:
    port = Receiver().port
    endpoint = await add_endpoint(app, f"http://127.0.0.1:{port}/webhook")
    mirror = Mirror(str(tmp_path / "mirror.db"), client_for(app), endpoint.secret)
    await _changes(client, create_user, create_group)
    last = (await client.get("/events/position")).json()["position"]
    worker = deliverer(app)
    async with listening(Receiver(port=port), app=mirror.receiver()):
        await deliver_until(worker, lambda: mirror.position == last)
    await worker.close()
    assert _mirrored(mirror) == await _full_read(client)


async def test_a_mirror_behind_retention_resynchronises(
    app: FastAPI,
    client: httpx.AsyncClient,
    create_user: CreateUser,
    create_group: CreateGroup,
    tmp_path: Path,
) -> None:
    await _changes(client, create_user, create_group)
    await app.state.store.prune_events(datetime.now(UTC) + timedelta(seconds=1))
    await create_user("dave")
    mirror = Mirror(str(tmp_path / "mirror.db"), client_for(app))
    await mirror.sync()
    assert _mirrored(mirror) == await _full_read(client)
    assert mirror.position == (await client.get("/events/position")).json()["position"]


async def test_a_forged_delivery_is_refused(app: FastAPI, tmp_path: Path) -> None:
    secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
    mirror = Mirror(str(tmp_path / "mirror.db"), client_for(app), secret)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": "v1,AAAA"}
    assert await mirror.receive(b"{}", headers) == 401
    assert mirror.position == 0
