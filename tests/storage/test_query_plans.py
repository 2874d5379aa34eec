"""Hot paths hit their index on PostgreSQL, with planner statistics and without.

EXPLAIN of the statements a request really runs, over 10,000 users, in two databases of
their own: one analysed, and one loaded without ANALYZE (autovacuum off for the table, as
on a freshly loaded directory where it lags), where PostgreSQL takes ``tenant = ...`` for
a rare value and would happily walk a (tenant, ...) index instead of the intended one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.scim.documents import search_document
from app.scim.resources import USER
from app.storage.migrations import upgrade
from app.storage.tables import ResourceRow
from tests.conftest import USER_SCHEMA, MakeApp, client_for, patch_payload

USERS = 10_000
PK = "pk_resources"
NAME = "uq_resources_tenant_resource_type_name_key"
CREATED = "ix_resources_tenant_resource_type_created_id"
EXTERNAL = "ix_resources_external_id"
SEARCH = "ix_resources_search"

pytestmark = pytest.mark.postgresql_only
TABLE = ResourceRow.__table__  # type: ignore[attr-defined]


def _rows() -> Iterator[dict[str, Any]]:
    start = datetime.now(UTC) - timedelta(days=1)  # a directory that exists already
    for i in range(USERS):
        document = {
            "schemas": [USER_SCHEMA],
            "userName": f"user{i:05d}",
            "externalId": f"ext-{i}",
            "emails": [
                {"value": f"user{i}@example.com", "type": "work"},
                {"value": f"u{i}@home.example", "type": "home"},
            ],
        }
        keys = USER.keys(document)
        moment = start + timedelta(microseconds=i)
        yield {
            "id": uuid.UUID(int=i + 1),
            "tenant": "default",
            "resource_type": "User",
            "version": 1,
            "created": moment,
            "last_modified": moment,
            "name_key": keys.name_key,
            "external_id": keys.external_id,
            "active": None,
            "display_name": None,
            "document": document,
            "search": search_document(USER, document),
        }


async def _load(url: str, *, analyse: bool) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("ALTER TABLE resources SET (autovacuum_enabled = false)"))
        rows = list(_rows())
        for chunk in range(0, len(rows), 1000):
            await connection.execute(TABLE.insert(), rows[chunk : chunk + 1000])
        if analyse:
            await connection.execute(sa.text("ANALYZE resources"))
    await engine.dispose()


async def _fresh(url: str, name: str) -> str:
    target = make_url(url).set(database=name)
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return target.render_as_string(hide_password=False)


@pytest.fixture(scope="module", params=["analysed", "no statistics"])
def plans_database(request: pytest.FixtureRequest, database_url: str) -> str:
    """A database of its own, 10,000 users, analysed or never analysed."""
    analyse = request.param == "analysed"
    name = f"{make_url(database_url).database}_plans_{'stats' if analyse else 'nostats'}"
    url = asyncio.run(_fresh(database_url, name))
    upgrade(url)
    asyncio.run(_load(url, analyse=analyse))
    return url


@pytest.fixture
async def planned(make_app: MakeApp, plans_database: str) -> AsyncIterator[FastAPI]:
    yield make_app(database_url=plans_database)


async def _plans(
    app: FastAPI,
    method: str,
    path: str,
    *,
    before: str | None = None,
    explain: str = "EXPLAIN ",
    plans_as: str = "auto",
    **kwargs: Any,
) -> list[Any]:
    """EXPLAIN of every statement on ``resources`` the request ran, with its parameters
    (after a ``before`` GET, not explained)."""
    engine = app.state.store.engine
    executed: list[tuple[str, Any]] = []
    if before is not None:
        async with client_for(app) as client:
            assert (await client.get(before)).status_code == 200

    def grab(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "resources" in statement and not statement.startswith("EXPLAIN"):
            executed.append((statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", grab)
    try:
        async with client_for(app) as client:
            response = await client.request(method, path, **kwargs)
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", grab)
    assert response.status_code < 300, response.text
    plans = []
    async with engine.connect() as connection:
        # ``force_generic_plan``: as a prepared statement is planned after its fifth run.
        await connection.exec_driver_sql(f"SET plan_cache_mode = {plans_as}")
        for statement, parameters in executed:
            rows = list(await connection.exec_driver_sql(explain + statement, parameters))
            text = isinstance(rows[0][0], str)  # FORMAT JSON comes back decoded
            plans.append("\n".join(row[0] for row in rows) if text else rows[0][0])
    assert plans
    return plans


def _uses(plans: list[str], index: str) -> None:
    for plan in plans:
        assert index in plan, plan
        assert "Seq Scan on resources" not in plan, plan


def _filter(expression: str) -> str:
    return f"/scim/v2/Users?{httpx.QueryParams(filter=expression, startIndex=1, count=100)}"


@pytest.mark.parametrize(
    ("expression", "index"),
    [
        ('userName eq "USER05000"', NAME),
        ('userName eq "nobody"', NAME),
        ('externalId eq "ext-5000"', EXTERNAL),
        ('emails.value eq "user5000@example.com"', SEARCH),
        ('emails[type eq "work"].value eq "user5000@example.com"', SEARCH),
    ],
)
async def test_hot_filter_uses_its_index(planned: FastAPI, expression: str, index: str) -> None:
    _uses(await _plans(planned, "GET", _filter(expression)), index)


async def test_get_by_id_uses_the_primary_key(planned: FastAPI) -> None:
    _uses(await _plans(planned, "GET", f"/scim/v2/Users/{uuid.UUID(int=5000)}"), PK)


async def test_patch_reads_and_writes_by_primary_key(planned: FastAPI) -> None:
    body = patch_payload({"op": "replace", "value": {"active": False}})
    plans = await _plans(planned, "PATCH", f"/scim/v2/Users/{uuid.UUID(int=5001)}", json=body)
    _uses(plans, PK)


async def test_first_list_page_walks_the_creation_order_index(planned: FastAPI) -> None:
    _uses(await _plans(planned, "GET", "/scim/v2/Users?startIndex=1&count=100"), CREATED)


async def test_next_deep_page_seeks_in_the_creation_order_index(planned: FastAPI) -> None:
    """Okta's import: each page starts where the one before ended (app.storage.positions)."""
    before = "/scim/v2/Users?startIndex=9801&count=100"
    plans = await _plans(planned, "GET", "/scim/v2/Users?startIndex=9901&count=100", before=before)
    _uses(plans, CREATED)
    assert all("AND (ROW(created, id) >= ROW(" in p for p in plans), plans


def _nodes(plan: dict[str, Any], parent: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield parent, plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child, plan["Node Type"])


@pytest.mark.parametrize("plans_as", ["force_custom_plan", "force_generic_plan"])
async def test_a_deep_page_reads_only_its_own_entries_of_the_index(
    planned: FastAPI, plans_as: str
) -> None:
    """From the position on, not from the tenant's first row (a page at 100,000 used to walk
    100,000 entries), and in the index's order, with no sort of the tenant's rows: also in
    the generic plan, which a prepared statement switches to (a parallel scan and sort of
    the whole tenant took 10 ms where the index takes 1)."""
    before = "/scim/v2/Users?startIndex=9801&count=100"
    path = "/scim/v2/Users?startIndex=9901&count=100"
    explain = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "
    plans = await _plans(planned, "GET", path, before=before, explain=explain, plans_as=plans_as)
    (plan,) = plans
    scans = [
        (parent, node)
        for parent, node in _nodes(plan[0]["Plan"])
        if node.get("Index Name") == CREATED
    ]
    assert [parent for parent, _ in scans] == ["Limit"], plan
    (_, scan) = scans[0]
    # Its index leaves and the heap pages of its rows (never vacuumed, so each row's
    # visibility is read there): 12 here; walking from the tenant's first row read 82.
    read = scan["Shared Hit Blocks"] + scan["Shared Read Blocks"]
    assert read <= 25, (read, scan.get("Heap Fetches"), scan["Actual Rows"])
