"""sortBy / sortOrder on GET /Users (RFC 7644 §3.4.2.3)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from tests.conftest import ENTERPRISE, BulkUsers, assert_scim_error


async def _names(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/scim/v2/Users", params=params)
    assert response.status_code == 200, response.text
    return [r["userName"] for r in response.json()["Resources"]]


CORPUS = [
    {"userName": "u1", "title": "beta"},
    {"userName": "u2"},
    {"userName": "u3", "title": "Alpha"},
    {"userName": "u4", "title": "ALPHA"},
    {"userName": "u5", "title": "Zeta"},
]


async def test_ascending_is_case_insensitive_with_missing_last_and_ties_by_id(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    ids = await bulk_users(CORPUS)
    tie = ["u3", "u4"] if ids[2] < ids[3] else ["u4", "u3"]
    assert await _names(client, sortBy="title") == [*tie, "u1", "u5", "u2"]


async def test_descending_puts_missing_first(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    ids = await bulk_users(CORPUS)
    tie = ["u3", "u4"] if ids[2] > ids[3] else ["u4", "u3"]
    assert await _names(client, sortBy="title", sortOrder="descending") == ["u2", "u5", "u1", *tie]


async def test_sort_by_extension_attribute(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users(
        [
            {"userName": "a", ENTERPRISE: {"department": "Sales"}},
            {"userName": "b", ENTERPRISE: {"department": "eng"}},
        ]
    )
    assert await _names(client, sortBy=f"{ENTERPRISE}:department") == ["b", "a"]


async def test_sort_by_sub_attribute_in_code_point_order(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users(
        [
            {"userName": "a", "name": {"familyName": "éclair"}},
            {"userName": "b", "name": {"familyName": "zulu"}},
            {"userName": "c", "name": {"familyName": "Ölund"}},
        ]
    )
    assert await _names(client, sortBy="name.familyName") == ["b", "a", "c"]


@pytest.mark.postgresql_only
async def test_postgresql_sorts_in_code_point_order_whatever_the_database_collation(
    app: FastAPI, client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    # The suite's database may already collate by code point (C.UTF-8), which would hide
    # a missing COLLATE; an en-US database would sort "éclair" before "zulu".
    await bulk_users([{"userName": "a", "name": {"familyName": "éclair"}}])
    executed: list[str] = []

    def grab(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        executed.append(statement)

    engine = app.state.store.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        await _names(client, sortBy="name.familyName")
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)
    (page,) = [s for s in executed if "LIMIT" in s and "ORDER BY" in s]
    assert 'COLLATE "C"' in page.split("ORDER BY", 1)[1], page


async def test_sort_by_user_name_uses_folded_form(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users([{"userName": "bob"}, {"userName": "Alice"}, {"userName": "carol"}])
    assert await _names(client, sortBy="USERNAME", sortOrder="descending") == [
        "carol",
        "bob",
        "Alice",
    ]


async def test_sort_by_multi_valued_attribute_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/scim/v2/Users", params={"sortBy": "emails"})
    assert_scim_error(response, 400, "invalidValue")


async def test_sort_by_unknown_attribute_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/scim/v2/Users", params={"sortBy": "bogus"})
    assert_scim_error(response, 400, "invalidValue")


async def test_unknown_sort_order_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/scim/v2/Users", params={"sortBy": "userName", "sortOrder": "up"})
    assert_scim_error(response, 400, "invalidValue")
