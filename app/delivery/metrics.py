"""Delivery metrics (prometheus-client): attempts by outcome, delivery lag (commit to 2xx)
and the event backlog per endpoint state.

They live in their own registry, ``REGISTRY``, which the process's ``/metrics`` serves
beside the HTTP metrics; no label carries a tenant or an endpoint id. The backlog is read
from the database by the delivery loop every ``BACKLOG_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from app.delivery.model import ACTIVE, DISABLED, FAILED, WebhookStore

logger = logging.getLogger("app.delivery")

BACKLOG_SECONDS = 15.0
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)

REGISTRY = CollectorRegistry()
ATTEMPTS = Counter(
    "scim_webhook_delivery_attempts",
    "Webhook delivery attempts, by outcome (delivered, retry, disabled, failed).",
    ("outcome",),
    registry=REGISTRY,
)
LAG = Histogram(
    "scim_webhook_delivery_lag_seconds",
    "From an event's commit to its receiver's 2xx.",
    buckets=LAG_BUCKETS,
    registry=REGISTRY,
)
BACKLOG = Gauge(
    "scim_webhook_backlog_events",
    "Events after the endpoints' positions, summed by endpoint state.",
    ("state",),
    registry=REGISTRY,
)


def delivered(event: dict[str, Any]) -> None:
    ATTEMPTS.labels("delivered").inc()
    committed = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    LAG.observe(max((datetime.now(UTC) - committed).total_seconds(), 0.0))


def failed(outcome: str) -> None:
    ATTEMPTS.labels(outcome).inc()


async def measure_backlog(hooks: WebhookStore) -> None:
    totals: dict[str, int] = defaultdict(int, {ACTIVE: 0, DISABLED: 0, FAILED: 0})
    for listed in await hooks.list_endpoints():
        totals[listed.endpoint.state] += listed.backlog
    for state, total in totals.items():
        BACKLOG.labels(state).set(total)


async def watch_backlog(hooks: WebhookStore, every: float = BACKLOG_SECONDS) -> None:
    while True:
        try:
            await measure_backlog(hooks)
        except Exception:
            logger.warning("reading the webhook backlog failed", exc_info=True)
        await asyncio.sleep(every)


def exposition() -> bytes:
    """The delivery metrics in Prometheus' text format."""
    return generate_latest(REGISTRY)
