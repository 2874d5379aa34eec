"""GET /Users: index paging and Okta's existence check (RFC 7644 §3.4.2.4)."""

from __future__ import annotations

import httpx

from tests.conftest import CreateUser, MakeApp, client_for, user_payload

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


async def _names(client: httpx.AsyncClient, query: str) -> list[str]:
    body = (await client.get(f"/scim/v2/Users?{query}")).json()
    return [r["userName"] for r in body["Resources"]]


async def test_empty_list_is_a_list_response(client: httpx.AsyncClient) -> None:
    body = (await client.get("/scim/v2/Users")).json()
    assert body == {
        "schemas": [LIST],
        "totalResults": 0,
        "itemsPerPage": 0,
        "startIndex": 1,
        "Resources": [],
    }


async def test_pages_are_stable_and_disjoint(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    for i in range(5):
        await create_user(f"user{i}")
    first = await _names(client, "startIndex=1&count=2")
    second = await _names(client, "startIndex=3&count=2")
    third = await _names(client, "startIndex=5&count=2")
    assert sorted(first + second + third) == [f"user{i}" for i in range(5)]
    assert await _names(client, "startIndex=1&count=2") == first


async def test_items_per_page_counts_what_was_returned(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    for i in range(3):
        await create_user(f"user{i}")
    body = (await client.get("/scim/v2/Users?startIndex=3&count=10")).json()
    assert body["totalResults"] == 3
    assert body["itemsPerPage"] == 1
    assert body["startIndex"] == 3


async def test_count_zero_returns_only_the_total(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("a")
    body = (await client.get("/scim/v2/Users?count=0")).json()
    assert body["totalResults"] == 1
    assert body["itemsPerPage"] == 0
    assert body["Resources"] == []


async def test_start_index_below_one_means_one(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("a")
    body = (await client.get("/scim/v2/Users?startIndex=-4")).json()
    assert body["startIndex"] == 1
    assert body["itemsPerPage"] == 1


async def test_negative_count_means_zero(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("a")
    body = (await client.get("/scim/v2/Users?count=-1")).json()
    assert body["itemsPerPage"] == 0
    assert body["totalResults"] == 1


async def test_okta_existence_check_finds_user_case_insensitively(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("isaac.brock@example.com")
    await create_user("someone.else@example.com")
    response = await client.get(
        "/scim/v2/Users",
        params={"filter": 'userName eq "ISAAC.BROCK@example.com"', "startIndex": 1, "count": 100},
    )
    body = response.json()
    assert body["totalResults"] == 1
    assert body["Resources"][0]["id"] == created["id"]


async def test_okta_existence_check_for_unknown_user_is_empty(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/scim/v2/Users", params={"filter": 'userName eq "nobody"', "startIndex": 1, "count": 100}
    )
    assert response.status_code == 200
    assert response.json()["totalResults"] == 0


async def test_count_is_capped_at_the_maximum(make_app: MakeApp) -> None:
    async with client_for(make_app(max_page_size=2)) as capped:
        for i in range(3):
            await capped.post("/scim/v2/Users", json=user_payload(f"u{i}"))
        body = (await capped.get("/scim/v2/Users?count=50")).json()
    assert body["itemsPerPage"] == 2
    assert body["totalResults"] == 3
