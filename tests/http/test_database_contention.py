"""What a request meets when another transaction holds the rows it needs (PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.conftest import (
    CreateGroup,
    CreateUser,
    MakeApp,
    assert_scim_error,
    client_for,
    patch_payload,
    user_payload,
)

pytestmark = pytest.mark.postgresql_only


@pytest.fixture
async def other_session(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A second client of the database, outside the app, to hold locks."""
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


async def test_statement_timeout_is_503_with_retry_after(
    make_app: MakeApp, other_session: AsyncEngine
) -> None:
    async with client_for(make_app(db_statement_timeout_ms=300)) as client:
        user = (await client.post("/scim/v2/Users", json=user_payload("bjensen"))).json()
        async with other_session.begin() as blocker:
            await blocker.execute(
                sa.text("SELECT 1 FROM resources WHERE id = :id FOR UPDATE"), {"id": user["id"]}
            )
            response = await client.patch(
                f"/scim/v2/Users/{user['id']}",
                json=patch_payload({"op": "replace", "path": "displayName", "value": "B"}),
            )
            await blocker.rollback()
        assert_scim_error(response, 503)
        assert response.headers["retry-after"]
        fetched = (await client.get(f"/scim/v2/Users/{user['id']}")).json()
        assert "displayName" not in fetched


async def test_member_deleted_while_being_added_is_400_invalid_value(
    client: httpx.AsyncClient,
    create_user: CreateUser,
    create_group: CreateGroup,
    other_session: AsyncEngine,
) -> None:
    alice = await create_user("alice")
    group = await create_group("Admins")
    add = patch_payload({"op": "add", "path": "members", "value": [{"value": alice["id"]}]})
    async with other_session.connect() as deleter:
        await deleter.begin()
        await deleter.execute(sa.text("DELETE FROM resources WHERE id = :id"), {"id": alice["id"]})
        patching = asyncio.create_task(client.patch(f"/scim/v2/Groups/{group['id']}", json=add))
        await asyncio.sleep(0.5)  # the PATCH saw alice, and now waits on the deleter's lock
        await deleter.commit()
    response = await patching
    assert_scim_error(response, 400, "invalidValue")
    fetched = (await client.get(f"/scim/v2/Groups/{group['id']}")).json()
    assert fetched.get("members", []) == []
    assert fetched["meta"]["version"] == group["meta"]["version"]
