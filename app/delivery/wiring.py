"""Delivery built from settings, and run beside the server or on its own (issue 12)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.delivery import metrics, retention
from app.delivery.model import WebhookStore
from app.delivery.worker import Deliverer, DeliveryConfig
from app.scim.store import EventFeed
from app.settings import Settings


def config(settings: Settings) -> DeliveryConfig:
    return DeliveryConfig(
        timeout=settings.webhook_timeout_seconds,
        backoff_first=settings.webhook_backoff_first_seconds,
        backoff_max=settings.webhook_backoff_max_seconds,
        retry_window=settings.webhook_retry_window_seconds,
        lease=settings.webhook_lease_seconds,
        poll=settings.webhook_poll_seconds,
    )


@asynccontextmanager
async def running(
    settings: Settings, hooks: WebhookStore, feed: EventFeed
) -> AsyncIterator[Deliverer]:
    """The delivery loop and hourly retention pruning as tasks, stopped on exit."""
    deliverer = Deliverer(hooks, feed, config(settings))
    tasks = [
        asyncio.create_task(deliverer.run(), name="webhook-delivery"),
        asyncio.create_task(
            retention.prune_forever(feed, settings.events_retention_days), name="event-retention"
        ),
        asyncio.create_task(metrics.watch_backlog(hooks), name="webhook-backlog"),
    ]
    try:
        yield deliverer
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await deliverer.close()
