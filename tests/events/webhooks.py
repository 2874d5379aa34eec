"""Helpers for webhook tests: endpoints made as the CLI makes them, and a fast worker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI

from app.delivery import signing
from app.delivery.model import ACTIVE, Endpoint
from app.delivery.worker import Deliverer, DeliveryConfig
from app.storage.webhooks import SqlWebhooks

FAST = DeliveryConfig(timeout=2.0, backoff_first=0.01, backoff_max=0.05, poll=0.02, lease=30.0)


def hooks(app: FastAPI) -> SqlWebhooks:
    found: SqlWebhooks = app.state.webhooks
    return found


async def add_endpoint(
    app: FastAPI, url: str, *, types: list[str] | None = None, tenant: str = "default"
) -> Endpoint:
    endpoint = Endpoint(
        id=uuid.uuid4(),
        tenant=tenant,
        url=url,
        event_types=types or ["*"],
        secret=signing.new_secret(),
        previous_secret=None,
        previous_until=None,
        state=ACTIVE,
        position=0,
        attempts=0,
        next_attempt=None,
        failing_since=None,
        last_error=None,
        created=datetime.now(UTC),
    )
    await hooks(app).add_endpoint(endpoint)
    return endpoint


def deliverer(app: FastAPI, config: DeliveryConfig = FAST) -> Deliverer:
    return Deliverer(hooks(app), app.state.store, config)


async def deliver_until(worker: Deliverer, done: Callable[[], bool], *, rounds: int = 2000) -> None:
    """Run delivery rounds until ``done()`` (bounded: fails the test if it never is)."""
    for _ in range(rounds):
        if done():
            return
        if not await worker.round():
            await asyncio.sleep(0.01)
    raise AssertionError("delivery did not reach the expected state")
