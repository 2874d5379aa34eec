"""Deep pages cost what the first page costs: index paging vs cursor paging over 10,000 users.

Usage: ``.venv/bin/python bench/query_paging.py [postgresql+asyncpg://postgres@127.0.0.1/bench_query]``
(or ``SCIM_BENCH_POSTGRES_URL``). The database is created when missing, its ``public``
schema dropped and migrated, 10,000 users inserted in bulk; then, through the real HTTP
stack, it times (median of many runs) the first page (startIndex=1, count=100), the page at
startIndex=9901, and the cursor page at the same depth, and prints both ratios. Targets:
index deep/first <= 2.0, cursor deep/first <= 1.2 (issue 3).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from typing import Any

import httpx
from _database import analyze, bulk_users, fresh_database

from app.main import create_app
from app.settings import Settings
from app.storage.migrations import upgrade

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_query"
USERS, COUNT, DEEP, RUNS = 10_000, 100, 9_901, 60
TOKEN = "bench-token"


async def _load(url: str) -> None:
    await bulk_users(url, 0, USERS)
    await analyze(url, "resources", vacuum=True)


async def _time(client: httpx.AsyncClient, params: dict[str, Any]) -> float:
    began = time.perf_counter()
    response = await client.get("/scim/v2/Users", params=params)
    elapsed = time.perf_counter() - began
    assert response.status_code == 200 and len(response.json()["Resources"]) == COUNT
    return elapsed


async def _medians(client: httpx.AsyncClient, cases: list[dict[str, Any]]) -> list[float]:
    """Interleaved runs (one of each case per round), so load on a shared machine hits all
    cases alike; the median of each."""
    timings: list[list[float]] = [[] for _ in cases]
    for _ in range(RUNS):
        for index, params in enumerate(cases):
            timings[index].append(await _time(client, params))
    return [statistics.median(each) for each in timings]


async def _cursor_at_depth(client: httpx.AsyncClient) -> str:
    body = (await client.get("/scim/v2/Users", params={"cursor": "", "count": COUNT})).json()
    for _ in range((DEEP - 1) // COUNT - 1):
        body = (
            await client.get(
                "/scim/v2/Users", params={"cursor": body["nextCursor"], "count": COUNT}
            )
        ).json()
    return str(body["nextCursor"])


async def main(url: str) -> None:
    await _load(url)
    app = create_app(Settings(database_url=url, bootstrap_token=TOKEN))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        cursor = await _cursor_at_depth(client)
        cases = [
            {"startIndex": 1, "count": COUNT},
            {"startIndex": DEEP, "count": COUNT},
            {"cursor": cursor, "count": COUNT},
            {"cursor": "", "count": COUNT},
        ]
        await _medians(client, cases)  # warm up
        first, deep, keyset, first_cursor = await _medians(client, cases)
    await app.state.store.close()
    print(f"users={USERS} count={COUNT} runs={RUNS} (median per request, full HTTP stack)")
    print(f"first page (startIndex=1):        {first * 1000:7.2f} ms")
    print(f"index page (startIndex={DEEP}):   {deep * 1000:7.2f} ms")
    print(f"cursor page (same depth):         {keyset * 1000:7.2f} ms")
    print(f"first cursor page (cursor=''):    {first_cursor * 1000:7.2f} ms")
    print(f"ratio index deep/first:  {deep / first:.2f}  (target <= 2.0)")
    print(f"ratio cursor deep/first: {keyset / first:.2f}  (target <= 1.2)")


if __name__ == "__main__":
    database = (
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SCIM_BENCH_POSTGRES_URL", DEFAULT_URL)
    )
    asyncio.run(fresh_database(database))
    upgrade(database)  # Alembic runs its own event loop
    asyncio.run(main(database))
