"""GET /events and /events/position: the pull feed (issue 12)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from app.storage import event_log
from tests.conftest import CreateUser, MakeApp, assert_scim_error, client_for, user_payload


async def test_the_feed_serves_events_after_a_position_oldest_first(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    for name in ("a", "b", "c"):
        await create_user(name)
    response = await client.get("/events", params={"after": 1})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert [e["sequence"] for e in body["events"]] == [2, 3]
    assert [e["resource"]["userName"] for e in body["events"]] == ["b", "c"]
    assert body["next_after"] == 3


async def test_limit_bounds_a_page_and_next_after_continues_it(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    for name in ("a", "b", "c"):
        await create_user(name)
    first = (await client.get("/events", params={"limit": 2})).json()
    second = (await client.get("/events", params={"after": first["next_after"]})).json()
    assert [e["sequence"] for e in first["events"] + second["events"]] == [1, 2, 3]


async def test_a_caught_up_reader_gets_no_events_and_keeps_its_position(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("a")
    body = (await client.get("/events", params={"after": 1})).json()
    assert body == {"events": [], "next_after": 1}


@pytest.mark.parametrize(
    "query", [{"limit": "1001"}, {"limit": "0"}, {"after": "x"}, {"wait": "31"}]
)
async def test_out_of_range_parameters_are_400(
    client: httpx.AsyncClient, query: dict[str, str]
) -> None:
    assert_scim_error(await client.get("/events", params=query), 400, "invalidValue")


async def test_the_feed_needs_a_token(anonymous: httpx.AsyncClient) -> None:
    assert_scim_error(await anonymous.get("/events"), 401)


async def test_the_position_is_the_newest_sequence(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    assert (await client.get("/events/position")).json()["position"] == 0
    await create_user("a")
    await create_user("b")
    assert (await client.get("/events/position")).json() == {"position": 2, "oldest": 1}


async def test_a_waiting_reader_gets_the_event_committed_while_it_waits(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    waiting = asyncio.create_task(client.get("/events", params={"wait": 30}))
    await asyncio.sleep(0.05)
    await create_user("late")
    body = (await waiting).json()
    assert [e["resource"]["userName"] for e in body["events"]] == ["late"]


async def test_a_wait_without_events_ends_empty(client: httpx.AsyncClient) -> None:
    body = (await client.get("/events", params={"wait": 0.2})).json()
    assert body == {"events": [], "next_after": 0}


@pytest.mark.postgresql_only
async def test_a_commit_in_another_process_wakes_a_waiting_reader_through_notify(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With polling pushed far beyond the wait, only NOTIFY can answer in time."""
    monkeypatch.setattr(event_log, "POLL_SECONDS", 3600.0)
    reader, writer = make_app(), make_app()
    async with client_for(reader) as feed, client_for(writer) as scim:
        await feed.get("/events/position")
        await reader.state.store.wakeup.waiter()  # LISTEN is open before the write
        waiting = asyncio.create_task(feed.get("/events", params={"wait": 20}))
        await asyncio.sleep(0.1)
        await scim.post("/scim/v2/Users", json=user_payload("elsewhere"))
        async with asyncio.timeout(10):
            body = (await waiting).json()
    assert [e["resource"]["userName"] for e in body["events"]] == ["elsewhere"]


async def test_asking_from_before_the_oldest_kept_event_is_410(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("a")
    await create_user("b")
    await app.state.store.prune_events(datetime.now(UTC) + timedelta(seconds=1))
    await create_user("c")
    response = await client.get("/events", params={"after": 0})
    assert response.status_code == 410
    body = response.json()
    assert "resynchronise" in body["detail"]
    assert (body["oldest"], body["position"]) == (3, 3)


async def test_asking_from_the_last_pruned_event_is_fine(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("a")
    await app.state.store.prune_events(datetime.now(UTC) + timedelta(seconds=1))
    assert (await client.get("/events", params={"after": 1})).status_code == 200
    assert (await client.get("/events", params={"after": 0})).status_code == 410


async def test_pruning_keeps_events_younger_than_the_cut(
    app: FastAPI, create_user: CreateUser
) -> None:
    await create_user("a")
    assert await app.state.store.prune_events(datetime.now(UTC) - timedelta(days=30)) == 0
    assert len(await app.state.store.events_after("default", 0, 10)) == 1
