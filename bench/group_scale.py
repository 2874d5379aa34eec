"""Group membership at scale: PATCH and GET cost at 1,000, 10,000 and 100,000 members.

Run on PostgreSQL (issue 5 target: each timing at 100,000 members within 1.5x of its time
at 1,000):

    .venv/bin/python bench/group_scale.py [postgresql+asyncpg://postgres@127.0.0.1:5432/bench_groups]

The database is created when missing, its ``public`` schema dropped and migrated. Users
are inserted in bulk straight into the database (setup, not measured). Groups of 1,000,
10,000 and 100,000 members are filled through the API with batched PATCH adds of 1,000
members. Every timed request goes through the real ASGI stack in-process (httpx
ASGITransport); each round times every operation on every size, in a shuffled order, so
load from other processes on the machine falls on all sizes alike, and each timing is the
median over the rounds. The full 100,000-member GET is driven through the ASGI app
without a client-side buffer, and tracemalloc measures the server's peak memory during it.
"""

from __future__ import annotations

import asyncio
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from _database import analyze, bulk_users, fresh_database

from app.main import create_app
from app.settings import Settings
from app.storage.migrations import upgrade

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_groups"
SIZES = (1_000, 10_000, 100_000)
BATCH = 1_000
RUNS = 25
WARM_UP = 3
TOKEN = "bench-token"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


async def _bulk_users(url: str, count: int) -> list[str]:
    """Setup only: users straight into the table (bench/_database.py)."""
    ids = [user_id for user_id, _name in await bulk_users(url, 0, count)]
    await _analyze(url)
    return ids


async def _analyze(url: str) -> None:
    """Planner statistics, as autovacuum keeps them on a server that grows gradually.

    Without them, plans cached right after a bulk load (foreign-key checks among them)
    assume empty tables and scan; and an autovacuum started by the bulk load would run
    during the timings. The bench measures the steady state instead.
    """
    await analyze(url, "resources", "memberships", vacuum=True)


def _ops(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


async def _timed(call: Awaitable[httpx.Response]) -> float:
    start = time.perf_counter()
    response = await call
    elapsed = time.perf_counter() - start
    assert response.status_code in (200, 204), response.text  # group PATCH: 204 by default
    return elapsed


async def _round(client: httpx.AsyncClient, group: str, spare: str) -> dict[str, float]:
    """One PATCH add-one, one PATCH remove-one (members[value eq]) and one GET without members."""
    url = f"/scim/v2/Groups/{group}"
    add = _ops({"op": "add", "path": "members", "value": [{"value": spare}]})
    remove = _ops({"op": "remove", "path": f'members[value eq "{spare}"]'})
    return {
        "patch_add_one": await _timed(client.patch(url, json=add)),
        "patch_remove_one": await _timed(client.patch(url, json=remove)),
        "get_excluded": await _timed(client.get(url, params={"excludedAttributes": "members"})),
    }


async def _measure(
    client: httpx.AsyncClient, groups: dict[int, str], spares: list[str]
) -> dict[int, dict[str, float]]:
    """Medians per size; each round visits every size once, in a shuffled order, so the
    load other processes put on the machine falls on all sizes alike."""
    samples: dict[int, dict[str, list[float]]] = {size: {} for size in groups}
    shuffle = random.Random(5)
    for index, spare in enumerate(spares[: WARM_UP + RUNS]):
        order = list(groups.items())
        shuffle.shuffle(order)
        for size, group in order:
            timings = await _round(client, group, spare)
            if index < WARM_UP:
                continue
            for name, value in timings.items():
                samples[size].setdefault(name, []).append(value)
    return {
        size: {name: statistics.median(values) for name, values in by_name.items()}
        for size, by_name in samples.items()
    }


async def _fill(client: httpx.AsyncClient, group: str, ids: list[str]) -> None:
    for start in range(0, len(ids), BATCH):
        value = [{"value": i} for i in ids[start : start + BATCH]]
        response = await client.patch(
            f"/scim/v2/Groups/{group}", json=_ops({"op": "add", "path": "members", "value": value})
        )
        assert response.status_code in (200, 204), response.text


async def _raw_get(app: Any, path: str) -> tuple[int, int]:
    """GET through the ASGI app itself, counting body bytes and keeping none of them.

    httpx's ASGITransport buffers the whole body client-side; this driver does not, so
    tracemalloc sees only what the server holds.
    """
    status, size = 0, 0
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "server": ("bench", 80),
        "client": ("127.0.0.1", 1),
        "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {TOKEN}".encode())],
    }

    requested = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not requested.is_set():
            requested.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client never disconnects
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, size
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    await app(scope, receive, send)
    return status, size


async def _timed_raw(call: Callable[[], Awaitable[None]]) -> float:
    start = time.perf_counter()
    await call()
    return time.perf_counter() - start


async def _full_get(app: Any, group: str) -> tuple[float, int, int]:
    """Median time of the full GET, then the server's peak memory in a traced run."""
    path = f"/scim/v2/Groups/{group}"

    async def full() -> None:
        assert (await _raw_get(app, path))[0] == 200

    elapsed = statistics.median([await _timed_raw(full) for _ in range(3)])
    tracemalloc.start()
    status, size = await _raw_get(app, path)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert status == 200
    return elapsed, peak, size


async def _group(client: httpx.AsyncClient, name: str, members: list[str]) -> str:
    created = await client.post(
        "/scim/v2/Groups",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name},
    )
    group: str = created.json()["id"]
    start = time.perf_counter()
    await _fill(client, group, members)
    print(
        f"filled {name!r} to {len(members):>7,} members in {time.perf_counter() - start:6.1f}s "
        f"(batched PATCH adds of {BATCH:,})",
        flush=True,
    )
    return group


async def main(url: str) -> None:
    ids = await _bulk_users(url, SIZES[-1] + WARM_UP + RUNS)
    members, spares = ids[: SIZES[-1]], ids[SIZES[-1] :]
    app = create_app(Settings(database_url=url, bootstrap_token=TOKEN, db_pool_size=4))
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers=headers, timeout=600
    ) as client:
        groups = {size: await _group(client, f"Size {size}", members[:size]) for size in SIZES}
        await _analyze(url)
        results = await _measure(client, groups, spares)
        full, peak, size = await _full_get(app, groups[SIZES[-1]])
    await app.state.store.close()
    _report(results, full, peak, size)


def _report(results: dict[int, dict[str, float]], full: float, peak: int, size: int) -> None:
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
        f"full GET of {SIZES[-1]:,} members ({size / 2**20:.1f} MiB body, streamed): "
        f"{full * 1000:.0f} ms (median of 3); server peak traced memory during it "
        f"{peak / 2**20:.1f} MiB"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (app + bench client + setup): {rss:.0f} MiB")


if __name__ == "__main__":
    database = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_URL
    asyncio.run(fresh_database(database))
    upgrade(database)  # Alembic runs its own event loop
    asyncio.run(main(database))
