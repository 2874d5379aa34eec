"""Shared fixtures: the database backend is a parameter, every test runs on each one.

SQLite always runs; PostgreSQL runs when ``SCIM_TEST_POSTGRES_URL`` is set (``.ci/run``
sets it). Each backend is migrated once per session with Alembic; each test starts from
empty tables.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from app.main import create_app
from app.settings import Settings
from app.storage.migrations import upgrade

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BASE = "https://scim.test/scim/v2"

POSTGRES_URL = os.environ.get("SCIM_TEST_POSTGRES_URL")
PGBOUNCER_URL = os.environ.get("SCIM_TEST_PGBOUNCER_URL")
"""The PostgreSQL test database through PgBouncer in transaction mode: when set, the apps
under test reach PostgreSQL through it (SCIM_DB_POOLER=transaction); fixtures go direct."""
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


async def _reset_postgres_schema(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        await connection.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) the SQLite variant of tests about PostgreSQL alone."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("database_url") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("postgresql_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database of one backend, shared by the session."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "scim.db"
        url = f"sqlite+aiosqlite:///{path}"
    else:
        assert POSTGRES_URL is not None
        url = POSTGRES_URL
        asyncio.run(_reset_postgres_schema(url))
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


async def _truncate(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        tables = [
            t
            for t in (
                "memberships",
                "unique_values",
                "resources",
                "tokens",
                "resource_counts",
                "request_log",
                *EXTRA_TABLES,
            )
            if await connection.run_sync(lambda c, t=t: sa.inspect(c).has_table(t))
        ]
        if url.startswith("sqlite"):
            for table in tables:
                await connection.execute(sa.text(f"DELETE FROM {table}"))
        else:
            await connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    await engine.dispose()


EXTRA_TABLES = ("webhook_attempts", "webhook_endpoints", "events", "event_sequences")
"""Tables of later features, emptied after each test too."""

MakeApp = Callable[..., FastAPI]


@pytest.fixture
async def make_app(database_url: str) -> AsyncIterator[MakeApp]:
    """Build an app on the test database with settings overridden per test."""
    built: list[FastAPI] = []

    def build(**overrides: Any) -> FastAPI:
        values: dict[str, Any] = {
            "database_url": database_url,
            "bootstrap_token": TOKEN,
            # The limiter runs in every test; tests of the limits set their own.
            "rate_limit": "100000/second",
            "max_in_flight_per_tenant": 0,
        }
        if PGBOUNCER_URL and database_url == POSTGRES_URL:
            values.update(database_url=PGBOUNCER_URL, db_pooler="transaction")
        settings = Settings(**{**values, **overrides})
        app = create_app(settings)
        built.append(app)
        return app

    yield build
    for app in built:
        await app.state.request_log.close()
        await app.state.runtime.authenticator.close()
        await app.state.store.close()
    await _truncate(database_url)


@pytest.fixture
async def app(make_app: MakeApp) -> FastAPI:
    return make_app()


def client_for(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(
        transport=transport,
        base_url="https://scim.test",
        headers=headers if headers is not None else AUTH,
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An authenticated client talking to the app through the real ASGI stack."""
    async with client_for(app) as c:
        yield c


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, headers={}) as c:
        yield c


def user_payload(user_name: str = "bjensen", **extra: Any) -> dict[str, Any]:
    return {"schemas": [USER_SCHEMA], "userName": user_name, **extra}


CreateUser = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def create_user(client: httpx.AsyncClient) -> CreateUser:
    """POST a user and return its representation; fails the test on anything but 201."""

    async def create(user_name: str = "bjensen", **extra: Any) -> dict[str, Any]:
        response = await client.post("/scim/v2/Users", json=user_payload(user_name, **extra))
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return create


def group_payload(display_name: str = "Admins", *member_ids: str, **extra: Any) -> dict[str, Any]:
    members = [{"value": member_id} for member_id in member_ids]
    return {
        "schemas": [GROUP_SCHEMA],
        "displayName": display_name,
        **({"members": members} if members else {}),
        **extra,
    }


def patch_payload(*operations: dict[str, Any]) -> dict[str, Any]:
    """A PatchOp body (RFC 7644 §3.5.2) carrying ``operations``."""
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}


CreateGroup = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def create_group(client: httpx.AsyncClient) -> CreateGroup:
    """POST a group (members by id) and return its representation; 201 or the test fails."""

    async def create(
        display_name: str = "Admins", *member_ids: str, **extra: Any
    ) -> dict[str, Any]:
        payload = group_payload(display_name, *member_ids, **extra)
        response = await client.post("/scim/v2/Groups", json=payload)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return create


def assert_scim_error(response: httpx.Response, status: int, scim_type: str | None = None) -> None:
    """The RFC 7644 §3.12 envelope, with a string status and the expected scimType."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/scim+json; charset=utf-8"
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert "detail" in body


@pytest.fixture(autouse=True)
def _no_leaked_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings come from the fixtures, never from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("SCIM_") and key != "SCIM_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)
    yield


PatchUser = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
def patch_user(client: httpx.AsyncClient) -> PatchUser:
    """PATCH a user with some operations; returns the response whatever its status."""

    async def patch(
        user_id: str, *operations: dict[str, Any], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await client.patch(
            f"/scim/v2/Users/{user_id}", json=patch_payload(*operations), headers=headers
        )

    return patch


@pytest.fixture(scope="session")
def live_database_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of the current backend for the live server alone (``<db>_live`` on PostgreSQL)."""
    from tests.live import live_database

    return live_database(database_url, tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="session")
def live_server(live_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``python -m app serve`` on default settings (what an operator gets), on a free
    loopback port, stopped at the end of the session."""
    from tests.live import serve

    log = tmp_path_factory.mktemp("live-log") / "server.log"
    with serve(live_database_url, log) as server:
        yield server


AGENT_TYPES = {"SCIM_RESOURCE_TYPES": "Agent,AgenticApplication"}
"""The one setting of ``agent_server``: the optional bundled agent types served too."""


@pytest.fixture(scope="session")
def agent_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A live server on its own database with the optional agent types on, for the external
    suites' Agent and AgenticApplication phases (off by default, so ``live_server`` skips them)."""
    from tests.live import live_database, serve

    url = live_database(database_url, tmp_path_factory.mktemp("agents"), "agents")
    log = tmp_path_factory.mktemp("agents-log") / "server.log"
    with serve(url, log, env=AGENT_TYPES) as server:
        yield server


BulkUsers = Callable[..., Awaitable[list[str]]]


@pytest.fixture
def bulk_users(app: FastAPI) -> BulkUsers:
    """Insert user documents straight into ``resources`` (no HTTP), for large corpora.

    Documents are stored as the service would store them (canonical form assumed, search
    twin and keys computed by the same functions); ``created`` grows by one microsecond per
    row so creation order is the list order. Returns the ids in order.
    """
    import uuid
    from datetime import UTC, datetime, timedelta

    from app.scim.documents import search_document
    from app.scim.resources import USER
    from app.storage.tables import ResourceRow

    async def insert(
        documents: list[dict[str, Any]], tenant: str = "default", *, age: timedelta | None = None
    ) -> list[str]:
        """``age``: how long ago the first was created (a directory that exists already)."""
        start = datetime.now(UTC) - (age or timedelta())
        rows = []
        for index, document in enumerate(documents):
            document = {"schemas": [USER_SCHEMA], **document}
            keys = USER.keys(document)
            moment = start + timedelta(microseconds=index)
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "tenant": tenant,
                    "resource_type": "User",
                    "version": 1,
                    "created": moment,
                    "last_modified": moment,
                    "name_key": keys.name_key,
                    "external_id": keys.external_id,
                    "active": keys.active,
                    "display_name": keys.display_name,
                    "document": document,
                    "search": search_document(USER, document),
                }
            )
        async with app.state.store.engine.begin() as connection:
            for chunk in range(0, len(rows), 1000):
                await connection.execute(
                    ResourceRow.__table__.insert(),
                    rows[chunk : chunk + 1000],  # type: ignore[attr-defined]
                )
        return [str(row["id"]) for row in rows]

    return insert


def printed(out: str) -> str:
    """What a command printed to stdout, without the JSON request log lines that the
    in-process app of the same test writes there too (``app.logs``)."""
    kept = []
    for line in out.splitlines(keepends=True):
        if line.startswith("{") and '"level":' in line and '"timestamp":' in line:
            continue
        kept.append(line)
    return "".join(kept)
