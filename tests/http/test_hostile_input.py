"""Input a fuzzer found: each once reached a 500 or a non-SCIM body; each is now a SCIM error."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import CreateUser, assert_scim_error, user_payload

HUGE = str(2**70)


async def test_start_index_beyond_any_integer_is_an_empty_page(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen")
    response = await client.get(f"/scim/v2/Users?startIndex={HUGE}")
    assert response.status_code == 200
    body = response.json()
    assert body["totalResults"] == 1
    assert body.get("Resources", []) == []


async def test_count_beyond_any_integer_is_capped(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen")
    response = await client.get(f"/scim/v2/Users?count={HUGE}")
    assert response.status_code == 200
    assert response.json()["totalResults"] == 1


@pytest.mark.parametrize("start_index", [2**63 - 1, HUGE], ids=["int64-max", "string"])
async def test_search_start_index_beyond_any_table_is_an_empty_page(
    client: httpx.AsyncClient, create_user: CreateUser, start_index: int | str
) -> None:
    await create_user("bjensen")
    response = await client.post(
        "/scim/v2/Users/.search",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "startIndex": start_index,
        },
    )
    assert response.status_code == 200
    assert response.json()["totalResults"] == 1
    assert response.json().get("Resources", []) == []


async def test_json_count_beyond_int64_is_invalid_value(client: httpx.AsyncClient) -> None:
    raw = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"count":%d}' % (
        2**70
    )
    response = await client.post(
        "/scim/v2/Users/.search", content=raw, headers={"Content-Type": "application/scim+json"}
    )
    assert_scim_error(response, 400, "invalidValue")


async def test_lone_surrogate_in_filter_value_is_invalid_filter(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/scim/v2/Users", params={"filter": 'userName eq "\\ud800"'})
    assert_scim_error(response, 400, "invalidFilter")


async def test_nul_in_filter_value_is_invalid_filter(client: httpx.AsyncClient) -> None:
    response = await client.get("/scim/v2/Users", params={"filter": 'userName eq "a\\u0000b"'})
    assert_scim_error(response, 400, "invalidFilter")


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_trailing_slash_is_a_scim_404_not_a_redirect(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, "/scim/v2/Users/", json=user_payload())
    assert_scim_error(response, 404)
    assert (await client.get("/scim/v2/Users")).json()["totalResults"] == 0


async def test_nul_in_user_name_is_invalid_value(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users", json=user_payload("a\x00b"))
    assert_scim_error(response, 400, "invalidValue")
    assert (await client.get("/scim/v2/Users")).json()["totalResults"] == 0


async def test_nul_in_nested_value_is_invalid_value(client: httpx.AsyncClient) -> None:
    payload = user_payload("bjensen", name={"givenName": "Bar\x00bara"})
    assert_scim_error(await client.post("/scim/v2/Users", json=payload), 400, "invalidValue")


async def test_nul_in_patch_value_is_invalid_value(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user("bjensen")
    response = await client.patch(
        f"/scim/v2/Users/{user['id']}",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": "x\x00"}],
        },
    )
    assert_scim_error(response, 400, "invalidValue")
    fetched = (await client.get(f"/scim/v2/Users/{user['id']}")).json()
    assert "displayName" not in fetched


async def test_lone_surrogate_in_body_is_invalid_syntax(client: httpx.AsyncClient) -> None:
    raw = b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\\ud800"}'
    response = await client.post(
        "/scim/v2/Users", content=raw, headers={"Content-Type": "application/scim+json"}
    )
    assert response.status_code == 400
    assert response.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
