"""Group membership at scale: PATCH and GET cost at 1,000, 10,000 and 100,000 members.

Run on PostgreSQL (issue 5 target: each timing at 100,000 members within 1.5x of its time
at 1,000):

    .venv/bin/python bench/group_scale.py [postgresql+asyncpg://postgres@127.0.0.1:5432/bench_groups]

The database is created when missing, its ``public`` schema dropped and migrated. Users
are inserted in bulk straight into the database (setup, not measured); the group is
filled through the API with batched PATCH adds of 1,000 members, and every timed request
goes through the real ASGI stack in-process (httpx ASGITransport). Each timing is the
median of several runs; the server's peak memory for the full 100,000-member GET is
measured with tracemalloc around that one request.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.main import create_app
from app.scim.documents import search_document
from app.scim.resources import USER
from app.settings import Settings
from app.storage.migrations import upgrade
from app.storage.tables import ResourceRow

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_groups"
SIZES = (1_000, 10_000, 100_000)
BATCH = 1_000
RUNS = 9
WARM_UP = 3
TOKEN = "bench-token"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


async def _reset(url: str) -> None:
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        exists = await connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": target.database}
        )
        if not exists:
            await connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    await admin.dispose()
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        await connection.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()


def _user_row(index: int, now: datetime) -> dict[str, Any]:
    name = f"user{index:06d}"
    document = {"schemas": [USER_URN], "userName": name, "displayName": f"User {index}"}
    return {
        "id": uuid.uuid4(),
        "tenant": "default",
        "resource_type": "User",
        "name_key": name,
        "external_id": None,
        "active": None,
        "display_name": document["displayName"],
        "version": 1,
        "created": now,
        "last_modified": now,
        "document": document,
        "search": search_document(USER, document),
    }


async def _bulk_users(url: str, count: int) -> list[str]:
    """Setup only: users straight into the table, 5,000 per executemany."""
    table = ResourceRow.__table__  # type: ignore[attr-defined]
    engine = create_async_engine(url)
    ids: list[str] = []
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        for start in range(0, count, 5_000):
            rows = [_user_row(i, now) for i in range(start, min(count, start + 5_000))]
            await connection.execute(table.insert(), rows)
            ids.extend(str(r["id"]) for r in rows)
    await engine.dispose()
    await _analyze(url)
    return ids


async def _analyze(url: str) -> None:
    """Planner statistics, as autovacuum keeps them on a server that grows gradually.

    Without them, plans cached right after a bulk load (foreign-key checks among them)
    assume empty tables and scan; the bench measures the steady state instead.
    """
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(sa.text("ANALYZE resources"))
        await connection.execute(sa.text("ANALYZE memberships"))
    await engine.dispose()


def _ops(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


async def _median(call: Callable[[], Awaitable[None]], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def _measure(client: httpx.AsyncClient, group: str, spares: list[str]) -> dict[str, float]:
    """Median PATCH add-one, PATCH remove-one (members[value eq]) and GET without members."""
    url = f"/scim/v2/Groups/{group}"
    add_times: list[float] = []
    remove_times: list[float] = []
    warm_up: list[float] = []
    for spare in spares[:WARM_UP]:
        add = _ops({"op": "add", "path": "members", "value": [{"value": spare}]})
        remove = _ops({"op": "remove", "path": f'members[value eq "{spare}"]'})
        for body in (add, remove):
            start = time.perf_counter()
            assert (await client.patch(url, json=body)).status_code == 200
            warm_up.append(time.perf_counter() - start)
    for spare in spares[:RUNS]:
        add = _ops({"op": "add", "path": "members", "value": [{"value": spare}]})
        remove = _ops({"op": "remove", "path": f'members[value eq "{spare}"]'})
        for body, bucket in ((add, add_times), (remove, remove_times)):
            start = time.perf_counter()
            response = await client.patch(url, json=body)
            bucket.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text

    async def get_excluded() -> None:
        response = await client.get(url, params={"excludedAttributes": "members"})
        assert response.status_code == 200 and "members" not in response.json()

    return {
        "patch_add_one": statistics.median(add_times),
        "patch_remove_one": statistics.median(remove_times),
        "get_excluded": await _median(get_excluded),
    }


async def _fill(client: httpx.AsyncClient, group: str, ids: list[str]) -> None:
    for start in range(0, len(ids), BATCH):
        value = [{"value": i} for i in ids[start : start + BATCH]]
        response = await client.patch(
            f"/scim/v2/Groups/{group}", json=_ops({"op": "add", "path": "members", "value": value})
        )
        assert response.status_code == 200, response.text


async def _full_get(client: httpx.AsyncClient, group: str) -> tuple[float, int, int]:
    """Median time of the full GET, then its peak memory in a separate, traced run."""
    url = f"/scim/v2/Groups/{group}"

    async def full() -> None:
        assert (await client.get(url)).status_code == 200

    elapsed = await _median(full, runs=3)
    tracemalloc.start()
    response = await client.get(url)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak, len(response.json()["members"])


async def main(url: str) -> None:
    spares_count = RUNS
    ids = await _bulk_users(url, SIZES[-1] + spares_count)
    members, spares = ids[: SIZES[-1]], ids[SIZES[-1] :]
    app = create_app(Settings(database_url=url, bootstrap_token=TOKEN, db_pool_size=4))
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    results: dict[int, dict[str, float]] = {}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers=headers, timeout=600
    ) as client:
        created = await client.post(
            "/scim/v2/Groups",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Everyone",
            },
        )
        group = created.json()["id"]
        filled = 0
        for size in SIZES:
            fill_start = time.perf_counter()
            await _fill(client, group, members[filled:size])
            print(
                f"filled to {size:>7,} members in {time.perf_counter() - fill_start:6.1f}s "
                f"(batched PATCH adds of {BATCH:,})",
                flush=True,
            )
            filled = size
            await _analyze(url)
            results[size] = await _measure(client, group, spares)
        full, peak, count = await _full_get(client, group)
    await app.state.store.engine.dispose()
    _report(results, full, peak, count)


def _report(results: dict[int, dict[str, float]], full: float, peak: int, count: int) -> None:
    print(f"\n{'operation':<20}" + "".join(f"{s:>12,}" for s in SIZES) + f"{'100k/1k':>10}")
    worst = 0.0
    for name in ("patch_add_one", "patch_remove_one", "get_excluded"):
        ratio = results[SIZES[-1]][name] / results[SIZES[0]][name]
        worst = max(worst, ratio)
        cells = "".join(f"{results[s][name] * 1000:>10.2f}ms" for s in SIZES)
        print(f"{name:<20}{cells}{ratio:>9.2f}x")
    print(
        f"\nworst ratio 100k/1k: {worst:.2f}x (target <= 1.50x): "
        f"{'PASS' if worst <= 1.5 else 'FAIL'}"
    )
    print(
        f"full GET of {count:,} members: {full * 1000:.0f} ms, "
        f"(median of 3); peak traced memory of that request {peak / 2**20:.1f} MiB "
        f"(response body included)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (app + bench client + setup): {rss:.0f} MiB")


if __name__ == "__main__":
    database = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_URL
    asyncio.run(_reset(database))
    upgrade(database)  # Alembic runs its own event loop
    asyncio.run(main(database))
