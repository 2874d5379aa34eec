"""SIGTERM during a burst of writes: in-flight requests finish, nothing is half-written."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import patch_payload, user_payload
from tests.live import UNLIMITED, LiveServer, live_database, serve

BURST = 40


@pytest.fixture
def sigterm_url(database_url: str, tmp_path: Path) -> str:
    return live_database(database_url, tmp_path, "sigterm")


async def _burst(server: LiveServer, user_id: str) -> set[str]:
    """PATCH-add one e-mail per request, SIGTERM once a few have landed; the e-mails of
    the PATCHes that were answered 200."""
    acknowledged: set[str] = set()
    answered = asyncio.Event()

    async def patch(c: httpx.AsyncClient, index: int) -> None:
        value = f"p{index}@example.com"
        operation = {"op": "add", "path": "emails", "value": [{"value": value}]}
        try:
            response = await c.patch(
                f"{server.base_url}/Users/{user_id}", json=patch_payload(operation)
            )
        except httpx.TransportError:
            return
        if response.status_code == 200:
            acknowledged.add(value)
            if len(acknowledged) >= 3:
                answered.set()
        else:
            assert response.status_code == 503, response.text

    limits = httpx.Limits(max_connections=BURST)
    async with httpx.AsyncClient(headers=server.headers, timeout=30, limits=limits) as c:
        tasks = [asyncio.create_task(patch(c, i)) for i in range(BURST)]
        await asyncio.wait_for(answered.wait(), 30)
        os.kill(server.pid, signal.SIGTERM)
        await asyncio.gather(*tasks)
    return acknowledged


def test_sigterm_during_patches_keeps_exactly_the_acknowledged_ones(
    sigterm_url: str, tmp_path: Path
) -> None:
    with serve(sigterm_url, tmp_path / "first.log", env=UNLIMITED) as server:
        created = httpx.post(
            f"{server.base_url}/Users", json=user_payload(), headers=server.headers, timeout=10
        ).json()
        acknowledged = asyncio.run(_burst(server, created["id"]))
    assert 3 <= len(acknowledged) <= BURST
    with serve(sigterm_url, tmp_path / "second.log", env=UNLIMITED) as again:
        stored = httpx.get(
            f"{again.base_url}/Users/{created['id']}", headers=again.headers, timeout=10
        ).json()
    assert {e["value"] for e in stored.get("emails", [])} == acknowledged
