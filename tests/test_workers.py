"""Several uvicorn worker processes on one database (``serve --workers``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import group_payload, patch_payload, user_payload
from tests.live import UNLIMITED, LiveServer, live_database, serve


@pytest.fixture
def workers_url(database_url: str, tmp_path: Path) -> str:
    return live_database(database_url, tmp_path, "workers")


def fresh_client(server: LiveServer) -> httpx.AsyncClient:
    """No kept-alive connections: each request is a new connection, which any worker may
    accept."""
    return httpx.AsyncClient(
        headers=server.headers,
        timeout=30,
        limits=httpx.Limits(max_keepalive_connections=0, max_connections=50),
    )


async def gather(count: int, make: Callable[[int], Awaitable[httpx.Response]]) -> list[int]:
    responses = await asyncio.gather(*(make(i) for i in range(count)))
    return [r.status_code for r in responses]


def request_count(metrics: str, route: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if (
                sample.name == "http_server_request_duration_seconds_count"
                and sample.labels["http_route"] == route
            ):
                total += sample.value
    return total


def test_two_workers_report_every_request_in_metrics(workers_url: str, tmp_path: Path) -> None:
    sent = 40

    async def run(server: LiveServer) -> list[float]:
        async with fresh_client(server) as c:
            statuses = await gather(sent, lambda _: c.get(f"{server.base_url}/Users"))
            assert statuses == [200] * sent
            scrapes = [await c.get(f"{server.origin}/metrics") for _ in range(4)]
        return [request_count(s.text, "/scim/v2/Users") for s in scrapes]

    with serve(
        workers_url, tmp_path / "log", env=UNLIMITED, arguments=("--workers", "2")
    ) as server:
        counts = asyncio.run(run(server))
    assert counts == [sent] * 4


@pytest.mark.postgresql_only
def test_four_workers_keep_uniqueness_membership_and_cursors(
    workers_url: str, tmp_path: Path
) -> None:
    async def run(server: LiveServer) -> None:
        base = server.base_url
        async with fresh_client(server) as c:
            racing = await gather(50, lambda _: c.post(f"{base}/Users", json=user_payload("racer")))
            assert sorted(racing) == [201] + [409] * 49

            async def create(i: int) -> httpx.Response:
                return await c.post(f"{base}/Users", json=user_payload(f"member{i:02}"))

            members = [(await create(i)).json()["id"] for i in range(20)]
            group = (await c.post(f"{base}/Groups", json=group_payload("Everyone"))).json()

            def add(i: int) -> Awaitable[httpx.Response]:
                operation = {"op": "add", "path": "members", "value": [{"value": members[i]}]}
                return c.patch(f"{base}/Groups/{group['id']}", json=patch_payload(operation))

            assert set(await gather(20, add)) == {204}  # group PATCH answers 204 by default
            read = (await c.get(f"{base}/Groups/{group['id']}")).json()
            assert sorted(m["value"] for m in read["members"]) == sorted(members)

            first = (await c.get(f"{base}/Users", params={"cursor": "", "count": 5})).json()
            pages: list[Any] = await asyncio.gather(
                *(
                    c.get(f"{base}/Users", params={"cursor": first["nextCursor"], "count": 5})
                    for _ in range(12)
                )
            )
            assert {p.status_code for p in pages} == {200}
            assert len({tuple(u["id"] for u in p.json()["Resources"]) for p in pages}) == 1

    with serve(
        workers_url, tmp_path / "log", env=UNLIMITED, arguments=("--workers", "4")
    ) as server:
        asyncio.run(run(server))
