"""``python -m app serve`` delivers webhooks with nothing else started (``make run``)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks import Webhook

from tests.conftest import user_payload
from tests.events.receiver import Receiver, listening
from tests.live import ROOT, serve


async def _fresh_database(url: str, directory: Path) -> str:
    if url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{directory / 'delivery.db'}"
    parsed = make_url(url)
    fresh = parsed.set(database=f"{parsed.database}_delivery")
    engine = create_async_engine(parsed, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(
            sa.text(f'DROP DATABASE IF EXISTS "{fresh.database}" WITH (FORCE)')
        )
        await connection.execute(sa.text(f'CREATE DATABASE "{fresh.database}"'))
    await engine.dispose()
    return fresh.render_as_string(hide_password=False)


def _add_endpoint(database_url: str, url: str) -> tuple[str, str]:
    env = {"SCIM_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "app", "webhook", "add", "--url", url, "--allow-insecure"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    )
    endpoint_id, secret = done.stdout.decode().split()
    return endpoint_id, secret


async def test_the_server_process_delivers_webhooks(database_url: str, tmp_path: Path) -> None:
    url = await _fresh_database(database_url, tmp_path)
    receiver = Receiver()
    env = {"SCIM_WEBHOOK_POLL_SECONDS": "0.2"}
    with serve(url, tmp_path / "server.log", env=env) as server:
        _, secret = await asyncio.to_thread(_add_endpoint, url, receiver.url)
        async with listening(receiver), httpx.AsyncClient(headers=server.headers) as client:
            response = await client.post(f"{server.base_url}/Users", json=user_payload("live"))
            assert response.status_code == 201
            async with asyncio.timeout(30):
                while not receiver.received:  # noqa: ASYNC110 (the receiver is another task)
                    await asyncio.sleep(0.05)
    body = Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert body["data"]["resource"]["userName"] == "live"
