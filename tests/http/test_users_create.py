"""POST /Users (RFC 7644 §3.3)."""

from __future__ import annotations

import httpx

from tests.conftest import BASE, ENTERPRISE, USER_SCHEMA, CreateUser, assert_scim_error, user_payload


async def test_create_returns_201_with_location_etag_and_resource(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users", json=user_payload("bjensen"))
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"{BASE}/Users/{body['id']}"
    assert response.headers["etag"] == body["meta"]["version"] == 'W/"1"'
    assert response.headers["content-type"] == "application/scim+json; charset=utf-8"
    assert body["userName"] == "bjensen"
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"] == response.headers["location"]
    assert body["meta"]["created"] == body["meta"]["lastModified"]


async def test_create_ignores_client_id_and_meta(client: httpx.AsyncClient) -> None:
    payload = user_payload("bjensen", id="client-chosen", meta={"version": 'W/"99"', "bogus": 1})
    response = await client.post("/scim/v2/Users", json=payload)
    assert response.status_code == 201
    assert response.json()["id"] != "client-chosen"
    assert response.json()["meta"]["version"] == 'W/"1"'


async def test_create_accepts_and_never_returns_password(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("okta.user", password="Placeholder1!")
    assert "password" not in created
    fetched = (await client.get(f"/scim/v2/Users/{created['id']}")).json()
    assert "password" not in fetched


async def test_create_accepts_application_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/scim/v2/Users",
        content=b'{"schemas": ["%s"], "userName": "a"}' % USER_SCHEMA.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201


async def test_create_keeps_enterprise_extension(client: httpx.AsyncClient) -> None:
    payload = user_payload(
        "bjensen",
        **{ENTERPRISE: {"department": "Eng", "employeeNumber": "42"}},
    )
    payload["schemas"].append(ENTERPRISE)
    body = (await client.post("/scim/v2/Users", json=payload)).json()
    assert body[ENTERPRISE] == {"department": "Eng", "employeeNumber": "42"}
    assert ENTERPRISE in body["schemas"]


async def test_manager_without_ref_gets_one(client: httpx.AsyncClient) -> None:
    payload = user_payload("bjensen", **{ENTERPRISE: {"manager": {"value": "boss-id"}}})
    payload["schemas"].append(ENTERPRISE)
    response = await client.post("/scim/v2/Users", json=payload)
    assert response.status_code == 201, response.text
    assert response.json()[ENTERPRISE]["manager"]["$ref"] == f"{BASE}/Users/boss-id"


async def test_duplicate_user_name_in_other_case_is_409_uniqueness(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen")
    response = await client.post("/scim/v2/Users", json=user_payload("BJensen"))
    assert_scim_error(response, 409, "uniqueness")


async def test_unicode_case_variants_collide(client: httpx.AsyncClient, create_user: CreateUser) -> None:
    await create_user("zoë")
    response = await client.post("/scim/v2/Users", json=user_payload("ZOË"))
    assert_scim_error(response, 409, "uniqueness")


async def test_missing_user_name_is_400_invalid_value(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users", json={"schemas": [USER_SCHEMA]})
    assert_scim_error(response, 400, "invalidValue")


async def test_wrong_type_is_400_and_nothing_is_written(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users", json=user_payload("a", active="maybe"))
    assert_scim_error(response, 400, "invalidValue")
    listing = (await client.get("/scim/v2/Users")).json()
    assert listing["totalResults"] == 0


async def test_malformed_json_is_400_invalid_syntax(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/scim/v2/Users", content=b"{not json", headers={"Content-Type": "application/scim+json"}
    )
    assert_scim_error(response, 400, "invalidSyntax")


async def test_json_array_body_is_400_invalid_syntax(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users", json=[1, 2])
    assert_scim_error(response, 400, "invalidSyntax")
