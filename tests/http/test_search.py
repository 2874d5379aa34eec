"""POST /Users/.search and POST /.search with SearchRequest bodies (RFC 7644 §3.4.3)."""

from __future__ import annotations

import httpx

from tests.conftest import BulkUsers, assert_scim_error

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


async def test_users_search_filters_sorts_pages_and_projects(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users([{"userName": n, "title": "x"} for n in ("c", "a", "d", "b")])
    response = await client.post(
        "/scim/v2/Users/.search",
        json={
            "schemas": [SEARCH],
            "filter": 'title eq "X"',
            "sortBy": "userName",
            "sortOrder": "descending",
            "startIndex": 2,
            "count": 2,
            "attributes": ["userName"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["totalResults"] == 4
    assert [r["userName"] for r in body["Resources"]] == ["c", "b"]
    assert "title" not in body["Resources"][0]


async def test_root_search_spans_served_types(
    client: httpx.AsyncClient, bulk_users: BulkUsers
) -> None:
    await bulk_users([{"userName": "a"}, {"userName": "b"}])
    response = await client.post("/scim/v2/.search", json={"schemas": [SEARCH], "count": 10})
    assert response.status_code == 200, response.text
    assert response.json()["totalResults"] == 2
    assert {r["meta"]["resourceType"] for r in response.json()["Resources"]} == {"User"}


async def test_search_pages_with_cursor(client: httpx.AsyncClient, bulk_users: BulkUsers) -> None:
    await bulk_users([{"userName": f"u{i}"} for i in range(3)])
    first = (await client.post("/scim/v2/Users/.search", json={"cursor": "", "count": 2})).json()
    second = (
        await client.post(
            "/scim/v2/Users/.search", json={"cursor": first["nextCursor"], "count": 2}
        )
    ).json()
    assert len(first["Resources"]) + len(second["Resources"]) == 3
    assert "nextCursor" not in second


async def test_search_with_bad_filter_is_400_invalid_filter(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users/.search", json={"filter": "userName eq"})
    assert_scim_error(response, 400, "invalidFilter")


async def test_search_with_unknown_attribute_is_400_invalid_filter(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/scim/v2/Users/.search", json={"filter": 'bogus eq "x"'})
    assert_scim_error(response, 400, "invalidFilter")


async def test_search_with_wrong_field_type_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users/.search", json={"count": "many"})
    assert_scim_error(response, 400, "invalidValue")


async def test_search_body_must_be_an_object(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users/.search", json=["x"])
    assert_scim_error(response, 400, "invalidSyntax")
