"""Hot paths hit indexes on PostgreSQL: EXPLAIN of the statements a list really runs,
over 10,000 users (SQLite serves the column hot paths by index too, but has no JSON index)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from tests.conftest import BulkUsers

USERS = 10_000


def _corpus() -> list[dict[str, Any]]:
    return [
        {
            "userName": f"user{i:05d}",
            "externalId": f"ext-{i}",
            "emails": [
                {"value": f"user{i}@example.com", "type": "work"},
                {"value": f"u{i}@home.example", "type": "home"},
            ],
        }
        for i in range(USERS)
    ]


async def _plans(app: FastAPI, client: httpx.AsyncClient, expression: str) -> list[str]:
    """EXPLAIN of every statement GET /Users?filter=... executed, with its parameters."""
    engine = app.state.store.engine
    executed: list[tuple[str, Any]] = []

    def grab(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "FROM resources" in statement:
            executed.append((statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", grab)
    try:
        response = await client.get("/scim/v2/Users", params={"filter": expression})
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", grab)
    assert response.status_code == 200, response.text
    assert response.json()["totalResults"] == 1
    plans = []
    async with engine.connect() as connection:
        for statement, parameters in executed:
            rows = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            plans.append("\n".join(row[0] for row in rows))
    return plans


@pytest.fixture
async def loaded(app: FastAPI, bulk_users: BulkUsers) -> FastAPI:
    await bulk_users(_corpus())
    async with app.state.store.engine.begin() as connection:
        await connection.execute(sa.text("ANALYZE resources"))
    return app


@pytest.mark.postgresql_only
@pytest.mark.parametrize(
    ("expression", "index"),
    [
        ('userName eq "USER05000"', "uq_resources_tenant_resource_type_name_key"),
        ('externalId eq "ext-5000"', "ix_resources_tenant_resource_type_external_id"),
        ('emails.value eq "user5000@example.com"', "ix_resources_search"),
        ('emails[type eq "work"].value eq "user5000@example.com"', "ix_resources_search"),
    ],
)
async def test_hot_path_filter_uses_an_index(
    loaded: FastAPI, client: httpx.AsyncClient, expression: str, index: str
) -> None:
    plans = await _plans(loaded, client, expression)
    assert len(plans) == 2  # the count and the page, both from one WHERE
    for plan in plans:
        assert index in plan, plan
        assert "Seq Scan on resources" not in plan, plan
