"""Rate limits on a real uvicorn with two worker processes sharing their buckets in Redis."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from tests.live import ROOT, serve

REDIS = "redis://127.0.0.1:6379/3"
PREFIX = "scim-test-security"
LIMIT = 10


def _token(database_url: str, tenant: str) -> str:
    """A token of ``tenant`` made with the CLI, as an operator would."""
    command = [sys.executable, "-m", "app", "token", "create", "--name", tenant]
    command += ["--tenant", tenant]
    env = {"SCIM_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    made = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=True, timeout=60)
    return made.stdout.decode().splitlines()[0]


async def _statuses(base_url: str, token: str, count: int) -> list[int]:
    """``count`` requests, each on a new connection, so both workers take some."""

    async def one() -> int:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(headers=headers, timeout=10) as client:
            return (await client.get(f"{base_url}/Users")).status_code

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def test_two_workers_share_one_tenant_limit_through_redis(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    env = {
        "SCIM_RATE_LIMIT": f"{LIMIT}/minute",
        "SCIM_RATE_LIMIT_STORAGE": REDIS,
        "SCIM_RATE_LIMIT_KEY_PREFIX": f"{PREFIX}-{uuid.uuid4().hex}",
        "SCIM_LOG_LEVEL": "info",  # uvicorn says when each worker starts
    }
    with serve(database_url, tmp_path / "server.log", env=env, args=["--workers", "2"]) as server:
        token = _token(database_url, "acme")
        statuses = await _statuses(server.base_url, token, 3 * LIMIT)
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == 2 * LIMIT
    assert (tmp_path / "server.log").read_text().count("Started server process") == 2
