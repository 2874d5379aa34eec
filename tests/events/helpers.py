"""Reading the outbox in tests: every event of a tenant, oldest first."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


async def all_events(app: FastAPI, tenant: str = "default") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while batch := await app.state.store.events_after(
        tenant, found[-1]["sequence"] if found else 0, 1000
    ):
        found += batch
    return found


async def types(app: FastAPI, tenant: str = "default") -> list[str]:
    return [event["type"] for event in await all_events(app, tenant)]
