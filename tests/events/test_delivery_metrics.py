"""Delivery metrics: attempts by outcome, lag, backlog per endpoint state."""

from __future__ import annotations

from fastapi import FastAPI

from app.delivery import metrics
from tests.conftest import CreateUser
from tests.events.receiver import Receiver, listening
from tests.events.webhooks import add_endpoint, deliver_until, deliverer, hooks


def _value(name: str, **labels: str) -> float:
    found = metrics.REGISTRY.get_sample_value(name, labels)
    return found or 0.0


async def test_attempts_are_counted_by_outcome_and_lag_is_observed(
    app: FastAPI, create_user: CreateUser
) -> None:
    receiver = Receiver(script=[(503, {})])
    await add_endpoint(app, receiver.url)
    await create_user("a")
    before = (
        _value("scim_webhook_delivery_attempts_total", outcome="retry"),
        _value("scim_webhook_delivery_attempts_total", outcome="delivered"),
        _value("scim_webhook_delivery_lag_seconds_count"),
    )
    worker = deliverer(app)
    async with listening(receiver):
        await deliver_until(worker, lambda: len(receiver.received) == 2)
    await worker.close()
    after = (
        _value("scim_webhook_delivery_attempts_total", outcome="retry"),
        _value("scim_webhook_delivery_attempts_total", outcome="delivered"),
        _value("scim_webhook_delivery_lag_seconds_count"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
    assert b"scim_webhook_delivery_attempts_total" in metrics.exposition()


async def test_the_backlog_is_summed_by_endpoint_state(
    app: FastAPI, create_user: CreateUser
) -> None:
    await add_endpoint(app, "https://receiver.invalid/a")
    await create_user("a")
    await create_user("b")
    await metrics.measure_backlog(hooks(app))
    assert _value("scim_webhook_backlog_events", state="active") == 2
    assert _value("scim_webhook_backlog_events", state="disabled") == 0
