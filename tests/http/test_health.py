"""``/livez`` and ``/readyz`` (app/http/health.py)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.storage.migrations import upgrade
from tests.conftest import MakeApp, client_for
from tests.live import free_port, live_database

CLOSED = "postgresql+asyncpg://postgres@127.0.0.1:{port}/nowhere"


@pytest.fixture
def unmigrated_url(database_url: str, tmp_path: Path) -> str:
    """An empty database of the current backend, never migrated."""
    return live_database(database_url, tmp_path, "unmigrated")


async def test_livez_answers_without_a_token(make_app: MakeApp) -> None:
    async with client_for(make_app(), headers={}) as c:
        response = await c.get("/livez")
    assert (response.status_code, response.json()) == (200, {"status": "live"})


async def test_livez_does_not_touch_the_database(make_app: MakeApp) -> None:
    app = make_app(database_url=CLOSED.format(port=free_port()))
    async with client_for(app, headers={}) as c:
        assert (await c.get("/livez")).status_code == 200


async def test_readyz_is_200_on_a_migrated_database(make_app: MakeApp) -> None:
    async with client_for(make_app(), headers={}) as c:
        response = await c.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"shutdown": "ok", "database": "ok", "schema": "ok"},
    }


async def test_readyz_is_503_naming_the_database_when_it_cannot_be_reached(
    make_app: MakeApp,
) -> None:
    port = free_port()
    app = make_app(database_url=CLOSED.format(port=port))
    async with client_for(app, headers={}) as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["failed"] == "database"
    assert f"127.0.0.1:{port}" in body["checks"]["database"]


async def test_readyz_is_503_naming_the_schema_when_not_migrated(
    make_app: MakeApp, unmigrated_url: str
) -> None:
    app = make_app(database_url=unmigrated_url)
    async with client_for(app, headers={}) as c:
        response = await c.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == "schema"
    assert "python -m app migrate" in body["checks"]["schema"]


async def test_readyz_is_503_on_a_schema_behind_the_head(
    make_app: MakeApp, unmigrated_url: str
) -> None:
    await asyncio.to_thread(upgrade, unmigrated_url, "e1b5e2a05b70")
    app = make_app(database_url=unmigrated_url)
    async with client_for(app, headers={}) as c:
        body = (await c.get("/readyz")).json()
    assert body["failed"] == "schema"
    assert body["checks"]["schema"].startswith("at e1b5e2a05b70")


async def test_readyz_can_leave_the_database_out(make_app: MakeApp) -> None:
    app = make_app(database_url=CLOSED.format(port=free_port()), readyz_checks_db=False)
    async with client_for(app, headers={}) as c:
        assert (await c.get("/readyz")).status_code == 200


@pytest.fixture
def quiet_sigterm() -> Iterator[None]:
    """SIGTERM does nothing but what the app chains onto it (the test process survives)."""
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    yield
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.usefixtures("quiet_sigterm")
async def test_readyz_turns_503_the_moment_sigterm_arrives(make_app: MakeApp) -> None:
    app = make_app()
    async with app.router.lifespan_context(app), client_for(app, headers={}) as c:
        assert (await c.get("/readyz")).status_code == 200
        os.kill(os.getpid(), signal.SIGTERM)
        response = await c.get("/readyz")
        assert response.status_code == 503
        assert response.json()["failed"] == "shutdown"
        assert (await c.get("/livez")).status_code == 200
