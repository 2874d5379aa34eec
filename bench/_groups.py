"""Adding 1,000 members to a big group costs what it costs on a small one (issue 5).

Through HTTP to the live server (group_scale.py does the same in-process): a group of
1,000 members and one of 50,000 are filled with batched PATCH adds of 1,000, planner
statistics are refreshed, then each round adds a fresh chunk of 1,000 users to both
groups (one PATCH ``add`` path ``members`` with 1,000 values, timed) and removes it again
(Entra's value-list remove, not timed), so both groups keep their size. Rounds alternate
which group goes first, so machine noise falls on both alike; the result is the median
per group, with the server + database CPU time of each timed PATCH beside it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from typing import Any

import httpx
import orjson
from _database import analyze
from _procs import cpu_seconds

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SIZES = {"add_1k": 1_000, "add_50k": 50_000}
BATCH = 1_000


def users_needed(rounds: int) -> int:
    return sum(SIZES.values()) + rounds * BATCH


def _body(op: str, ids: Sequence[str]) -> bytes:
    values = [{"value": member} for member in ids]
    operation = {"op": op, "path": "members", "value": values}
    return orjson.dumps({"schemas": [PATCH_OP], "Operations": [operation]})


async def _patch(client: httpx.AsyncClient, group: str, body: bytes) -> None:
    response = await client.patch(f"/scim/v2/Groups/{group}", content=body)
    if response.status_code not in (200, 204):  # 204: the default group PATCH answer
        raise RuntimeError(f"group PATCH: {response.status_code} {response.text[:300]}")


async def _group(client: httpx.AsyncClient, name: str, members: Sequence[str]) -> str:
    created = await client.post("/scim/v2/Groups", json={"schemas": [GROUP], "displayName": name})
    created.raise_for_status()
    group: str = created.json()["id"]
    for start in range(0, len(members), BATCH):
        await _patch(client, group, _body("add", members[start : start + BATCH]))
    return group


async def _rounds(
    client: httpx.AsyncClient,
    groups: dict[str, str],
    spares: Sequence[str],
    rounds: tuple[int, int],
    cpu_roots: Sequence[int],
) -> dict[str, dict[str, list[float]]]:
    warm_up, measured = rounds
    samples: dict[str, dict[str, list[float]]] = {k: {"ms": [], "cpu_ms": []} for k in groups}
    for index in range(warm_up + measured):
        chunk = spares[index * BATCH : (index + 1) * BATCH]
        add, remove = _body("add", chunk), _body("remove", chunk)
        order = list(groups.items()) if index % 2 == 0 else list(groups.items())[::-1]
        for key, group in order:
            cpu = cpu_seconds(cpu_roots)
            began = time.perf_counter()
            await _patch(client, group, add)
            elapsed = time.perf_counter() - began
            spent = cpu_seconds(cpu_roots) - cpu
            await _patch(client, group, remove)
            if index >= warm_up:
                samples[key]["ms"].append(1000 * elapsed)
                samples[key]["cpu_ms"].append(1000 * spent)
    return samples


async def _measure(
    base_url: str,
    headers: dict[str, str],
    database_url: str,
    users: Sequence[str],
    rounds: tuple[int, int],
    cpu_roots: Sequence[int],
) -> dict[str, dict[str, Any]]:
    headers = {**headers, "Content-Type": "application/scim+json"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=600) as client:
        began = time.perf_counter()
        groups, taken = {}, 0
        for key, size in SIZES.items():
            groups[key] = await _group(client, f"bench {key}", users[taken : taken + size])
            taken += size
        fill = time.perf_counter() - began
        await analyze(database_url, "resources", "memberships")
        samples = await _rounds(client, groups, users[taken:], rounds, cpu_roots)
    return {
        key: {
            "ms": statistics.median(values["ms"]),
            "cpu_ms": statistics.median(values["cpu_ms"]),
            "samples_ms": values["ms"],
            "fill_s": fill,
        }
        for key, values in samples.items()
    }


def measure(
    base_url: str,
    headers: dict[str, str],
    database_url: str,
    users: Sequence[str],
    rounds: tuple[int, int] = (1, 7),
    cpu_roots: Sequence[int] = (),
) -> dict[str, dict[str, Any]]:
    """Median wall and CPU ms of adding 1,000 members, per group size (see docstring)."""
    if len(users) < users_needed(sum(rounds)):
        raise ValueError(f"groups need {users_needed(sum(rounds)):,} users, got {len(users):,}")
    return asyncio.run(_measure(base_url, headers, database_url, users, rounds, cpu_roots))
