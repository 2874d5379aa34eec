"""Webhook delivery: Standard Webhooks signatures, order, retries, 410, rotation, replay."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook

from tests.conftest import CreateGroup, CreateUser
from tests.events.helpers import all_events
from tests.events.receiver import Receiver, listening
from tests.events.webhooks import FAST, add_endpoint, deliver_until, deliverer, hooks


async def test_a_delivery_is_a_standard_webhook_that_the_library_verifies(
    app: FastAPI, create_user: CreateUser
) -> None:
    receiver = Receiver()
    endpoint = await add_endpoint(app, receiver.url)
    await create_user("bjensen")
    worker = deliverer(app)
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 1)
    await worker.close()
    [got] = receiver.received
    body = Webhook(endpoint.secret).verify(got.body, got.headers)
    [event] = await all_events(app)
    assert body == {"type": "user.created", "timestamp": event["time"], "data": event}
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"


async def test_events_arrive_in_order_one_at_a_time(app: FastAPI, create_user: CreateUser) -> None:
    receiver = Receiver(delay=0.02)
    await add_endpoint(app, receiver.url)
    for i in range(6):
        await create_user(f"u{i}")
    worker = deliverer(app)
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 6)
    await worker.close()
    sequences = [orjson.loads(r.body)["data"]["sequence"] for r in receiver.received]
    assert sequences == [1, 2, 3, 4, 5, 6]
    assert receiver.most_in_flight == 1


async def test_a_receiver_that_was_down_gets_everything_in_order_with_stable_ids(
    app: FastAPI, create_user: CreateUser
) -> None:
    receiver = Receiver(script=[(503, {}), (503, {})])
    endpoint = await add_endpoint(app, receiver.url)
    for i in range(3):
        await create_user(f"u{i}")
    worker = deliverer(app)
    for _ in range(5):  # connection refused: nothing listens yet
        await worker.round()
        await asyncio.sleep(0.06)
    refused = (await hooks(app).get_endpoint(endpoint.id)).last_error  # type: ignore[union-attr]
    assert refused is not None and "Connect" in refused
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 5)
    await worker.close()
    ids = [r.headers["webhook-id"] for r in receiver.received]
    sequences = [orjson.loads(r.body)["data"]["sequence"] for r in receiver.received]
    assert sequences == [1, 1, 1, 2, 3]
    assert len(set(ids[:3])) == 1 and len(set(ids)) == 3
    listed = await hooks(app).list_endpoints()
    assert (listed[0].endpoint.position, listed[0].backlog) == (3, 0)
    outcomes = [a.outcome for a in reversed(await hooks(app).attempts(endpoint.id))]
    assert outcomes[-3:] == ["delivered"] * 3
    assert set(outcomes[:-3]) == {"retry"}


async def test_retry_after_is_honoured(app: FastAPI, create_user: CreateUser) -> None:
    receiver = Receiver(script=[(503, {"Retry-After": "120"})])
    endpoint = await add_endpoint(app, receiver.url)
    await create_user("bjensen")
    worker = deliverer(app)
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 1)
        assert not await worker.round()
    await worker.close()
    found = await hooks(app).get_endpoint(endpoint.id)
    assert found is not None and found.next_attempt is not None
    assert found.next_attempt > datetime.now(UTC) + timedelta(seconds=100)


async def test_a_410_disables_the_endpoint(app: FastAPI, create_user: CreateUser) -> None:
    receiver = Receiver(script=[(410, {})])
    endpoint = await add_endpoint(app, receiver.url)
    await create_user("a")
    await create_user("b")
    worker = deliverer(app)
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 1)
        for _ in range(3):
            assert not await worker.round()
    await worker.close()
    found = await hooks(app).get_endpoint(endpoint.id)
    assert found is not None and (found.state, found.position) == ("disabled", 0)
    assert len(receiver.received) == 1


async def test_a_timeout_is_retried(app: FastAPI, create_user: CreateUser) -> None:
    receiver = Receiver(delay=0.5)
    endpoint = await add_endpoint(app, receiver.url)
    await create_user("a")
    worker = deliverer(app, dataclasses.replace(FAST, timeout=0.1))
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) >= 2)
    await worker.close()
    attempts = await hooks(app).attempts(endpoint.id)
    assert attempts[-1].outcome == "retry" and attempts[-1].error == "timed out"


async def test_an_event_failing_past_the_retry_window_marks_the_endpoint_failed(
    app: FastAPI, create_user: CreateUser
) -> None:
    receiver = Receiver(script=[(500, {})])
    endpoint = await add_endpoint(app, receiver.url)
    await create_user("a")
    worker = deliverer(app, dataclasses.replace(FAST, retry_window=0.0))
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 1)
    await worker.close()
    found = await hooks(app).get_endpoint(endpoint.id)
    assert found is not None and found.state == "failed"
    assert "retry window" in (found.last_error or "")


async def test_during_a_rotation_either_secret_verifies(
    app: FastAPI, create_user: CreateUser
) -> None:
    receiver = Receiver()
    endpoint = await add_endpoint(app, receiver.url)
    new = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
    until = datetime.now(UTC) + timedelta(hours=1)
    assert await hooks(app).rotate_secret(endpoint.id, new, until)
    await create_user("a")
    worker = deliverer(app)
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 1)
    await worker.close()
    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (endpoint.secret, new):
        Webhook(secret).verify(got.body, got.headers)


async def test_after_the_overlap_only_the_new_secret_signs(
    app: FastAPI, create_user: CreateUser
) -> None:
    receiver = Receiver()
    endpoint = await add_endpoint(app, receiver.url)
    new = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="
    assert await hooks(app).rotate_secret(endpoint.id, new, datetime.now(UTC))
    await create_user("a")
    worker = deliverer(app)
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 1)
    await worker.close()
    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(got.body, got.headers)


async def test_a_replay_sends_the_same_bytes_and_ids(app: FastAPI, create_user: CreateUser) -> None:
    receiver = Receiver()
    endpoint = await add_endpoint(app, receiver.url)
    await create_user("a")
    await create_user("b")
    worker = deliverer(app)
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 2)
        assert await hooks(app).replay(endpoint.id, 0)
        await deliver_until(worker, lambda: len(receiver.received) == 4)
    await worker.close()
    first, second = receiver.received[:2], receiver.received[2:]
    assert [r.body for r in first] == [r.body for r in second]
    assert [r.headers["webhook-id"] for r in first] == [r.headers["webhook-id"] for r in second]


async def test_an_endpoint_gets_only_the_event_types_it_asked_for(
    app: FastAPI, create_user: CreateUser, create_group: CreateGroup
) -> None:
    receiver = Receiver()
    endpoint = await add_endpoint(app, receiver.url, types=["group.*"])
    await create_user("a")
    await create_group("Admins")
    await create_user("b")
    worker = deliverer(app)
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 1)
        await worker.round()
    await worker.close()
    assert [orjson.loads(r.body)["type"] for r in receiver.received] == ["group.created"]
    found = await hooks(app).get_endpoint(endpoint.id)
    assert found is not None and found.position == 3


async def test_an_endpoint_is_served_by_one_worker_at_a_time(
    app: FastAPI, create_user: CreateUser
) -> None:
    await add_endpoint(app, "https://receiver.invalid/hook")
    await create_user("a")
    first, second = deliverer(app), deliverer(app)
    assert len(await hooks(app).claim(first.owner, 30.0, 10)) == 1
    assert await hooks(app).claim(second.owner, 30.0, 10) == []
    await first.close()
    await second.close()


async def test_an_expired_lease_hands_the_endpoint_on(
    app: FastAPI, create_user: CreateUser
) -> None:
    await add_endpoint(app, "https://receiver.invalid/hook")
    await create_user("a")
    dead, alive = deliverer(app), deliverer(app)
    assert len(await hooks(app).claim(dead.owner, 0.05, 10)) == 1
    await asyncio.sleep(0.1)
    assert len(await hooks(app).claim(alive.owner, 30.0, 10)) == 1
    await alive.close()


@pytest.mark.postgresql_only
async def test_concurrent_claims_never_share_an_endpoint(
    app: FastAPI, create_user: CreateUser
) -> None:
    for i in range(10):
        await add_endpoint(app, f"https://receiver.invalid/{i}")
    await create_user("a")
    owners = [f"w{i}" for i in range(5)]
    claimed = await asyncio.gather(*(hooks(app).claim(o, 30.0, 3) for o in owners))
    ids = [e.id for batch in claimed for e in batch]
    assert len(ids) == len(set(ids)) == 10


async def test_a_slow_receiver_holds_up_only_its_own_endpoint(
    app: FastAPI, create_user: CreateUser
) -> None:
    slow, quick = Receiver(delay=3.0), Receiver()
    await add_endpoint(app, slow.url)
    await add_endpoint(app, quick.url)
    worker = deliverer(app)
    running = asyncio.create_task(worker.run())
    async with listening(slow), listening(quick):
        await create_user("first")
        async with asyncio.timeout(10):
            while len(quick.received) < 1:  # noqa: ASYNC110 (another task receives)
                await asyncio.sleep(0.01)
            await create_user("second")
            while len(quick.received) < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert slow.in_flight == 1 and len(slow.received) == 1
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await worker.close()


@pytest.mark.postgresql_only
async def test_a_worker_without_endpoints_does_not_listen_for_commits(
    app: FastAPI, create_user: CreateUser
) -> None:
    """Every commit would otherwise wake it (NOTIFY), for nothing to deliver."""
    worker = deliverer(app, dataclasses.replace(FAST, poll=0.05))
    running = asyncio.create_task(worker.run())
    await create_user("nobody-listens")
    await asyncio.sleep(0.2)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await worker.close()
    assert not app.state.store.wakeup.listening


async def test_an_endpoint_added_while_the_worker_rests_is_served_within_the_poll(
    app: FastAPI, create_user: CreateUser
) -> None:
    receiver = Receiver()
    worker = deliverer(app, dataclasses.replace(FAST, poll=0.2))
    running = asyncio.create_task(worker.run())
    async with listening(receiver):
        await asyncio.sleep(0.1)  # resting: no endpoint yet
        await add_endpoint(app, receiver.url)
        await create_user("after-the-endpoint")
        async with asyncio.timeout(5):
            while not receiver.received:  # noqa: ASYNC110 (another task receives)
                await asyncio.sleep(0.01)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await worker.close()
    assert orjson.loads(receiver.received[0].body)["type"] == "user.created"
