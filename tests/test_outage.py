"""PostgreSQL stopped hard under load: 503s with Retry-After, never a 500 or a dropped
connection; /livez stays up, /readyz goes down; back to 2xx within 5 s; no acknowledged
write lost. On a throwaway cluster (tests/outage.py), never the shared server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests import outage
from tests.conftest import ERROR_SCHEMA, user_payload
from tests.live import LiveServer, run_cli, serve

pytestmark = pytest.mark.skipif(not outage.available(), reason="needs initdb and pg_ctl")

LOOPS = 12


@dataclass
class Load:
    statuses: list[int] = field(default_factory=list)
    slowest: float = 0.0
    acknowledged: list[str] = field(default_factory=list)
    retry_after: set[str] = field(default_factory=set)
    envelopes_ok: bool = True
    last_ok: float = 0.0
    stopping: bool = False
    back: float = float("inf")
    """When the database was started again."""
    recovered: asyncio.Event = field(default_factory=asyncio.Event)


async def _one(c: httpx.AsyncClient, server: LiveServer, load: Load, name: str) -> None:
    started = time.monotonic()
    try:
        response = await c.post(f"{server.base_url}/Users", json=user_payload(name))
    except httpx.TransportError:
        load.statuses.append(0)
        return
    load.slowest = max(load.slowest, time.monotonic() - started)
    load.statuses.append(response.status_code)
    if response.status_code == 201:
        load.acknowledged.append(response.json()["id"])
        load.last_ok = time.monotonic()
        if load.last_ok >= load.back:
            load.recovered.set()
    elif response.status_code == 503:
        load.retry_after.add(response.headers.get("retry-after", ""))
        load.envelopes_ok &= response.json()["schemas"] == [ERROR_SCHEMA]


async def _read(c: httpx.AsyncClient, server: LiveServer, load: Load, name: str) -> None:
    try:
        response = await c.get(
            f"{server.base_url}/Users", params={"filter": f'userName eq "{name}"'}
        )
    except httpx.TransportError:
        load.statuses.append(0)
        return
    load.statuses.append(200 if response.status_code == 200 else response.status_code)


async def _loop(c: httpx.AsyncClient, server: LiveServer, load: Load, index: int) -> None:
    sequence = 0
    while not load.stopping:
        sequence += 1
        await _one(c, server, load, f"load-{index}-{sequence}")
        await _read(c, server, load, f"load-{index}-{sequence}")


async def _scenario(cluster: outage.Cluster, server: LiveServer) -> dict[str, object]:
    load = Load()
    async with httpx.AsyncClient(headers=server.headers, timeout=30) as c:
        loops = [asyncio.create_task(_loop(c, server, load, i)) for i in range(LOOPS)]
        await asyncio.sleep(1.5)
        await asyncio.to_thread(cluster.stop_hard)
        await asyncio.sleep(2.5)
        ready = (await c.get(f"{server.origin}/readyz")).status_code
        live = (await c.get(f"{server.origin}/livez")).status_code
        await asyncio.to_thread(cluster.start)
        load.back = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(load.recovered.wait(), 15)
        recovered = load.last_ok - load.back
        await asyncio.sleep(0.5)
        load.stopping = True
        await asyncio.gather(*loops)
        lost = [
            user_id
            for user_id in load.acknowledged
            if (await c.get(f"{server.base_url}/Users/{user_id}")).status_code != 200
        ]
    return {"load": load, "ready": ready, "live": live, "recovered": recovered, "lost": lost}


def test_a_hard_stop_under_load_is_503_then_recovers(tmp_path: Path) -> None:
    with outage.cluster() as cluster:
        assert run_cli(cluster.url, "migrate").returncode == 0
        env = {"SCIM_DB_POOL_TIMEOUT_SECONDS": "1"}
        with serve(cluster.url, tmp_path / "log", env=env, migrate=False) as server:
            found = asyncio.run(_scenario(cluster, server))
    load = found["load"]
    assert isinstance(load, Load)
    statuses = set(load.statuses)
    assert 503 in statuses and 201 in statuses
    assert statuses <= {200, 201, 503}, sorted(statuses)
    assert load.retry_after == {"1"}
    assert load.envelopes_ok
    assert load.slowest < 2.5
    assert (found["ready"], found["live"]) == (503, 200)
    assert 0 <= float(found["recovered"]) < 5  # type: ignore[arg-type]
    assert found["lost"] == []
    log = (tmp_path / "log").read_text()
    assert "Exception in ASGI application" not in log
