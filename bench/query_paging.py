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
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from _database import fresh_database
from sqlalchemy.ext.asyncio import create_async_engine

from app.main import create_app
from app.scim.documents import search_document
from app.scim.resources import USER
from app.settings import Settings
from app.storage.migrations import upgrade
from app.storage.tables import ResourceRow

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_query"
USERS, COUNT, DEEP, RUNS = 10_000, 100, 9_901, 60
TOKEN = "bench-token"


def _rows() -> list[dict[str, Any]]:
    start = datetime.now(UTC)
    rows = []
    for i in range(USERS):
        document = {
            "schemas": [USER.core.urn],
            "userName": f"user{i:05d}",
            "emails": [{"value": f"user{i}@example.com", "type": "work"}],
        }
        keys = USER.keys(document)
        moment = start + timedelta(microseconds=i)
        rows.append(
            {
                "id": uuid.uuid4(),
                "tenant": "default",
                "resource_type": "User",
                "version": 1,
                "created": moment,
                "last_modified": moment,
                "name_key": keys.name_key,
                "external_id": None,
                "active": None,
                "display_name": None,
                "document": document,
                "search": search_document(USER, document),
            }
        )
    return rows


async def _load(url: str) -> None:
    engine = create_async_engine(url)
    rows = _rows()
    async with engine.begin() as connection:
        for chunk in range(0, len(rows), 1000):
            await connection.execute(ResourceRow.__table__.insert(), rows[chunk : chunk + 1000])  # type: ignore[attr-defined]
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(sa.text("VACUUM ANALYZE resources"))
    await engine.dispose()


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
    await app.state.store.engine.dispose()
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
