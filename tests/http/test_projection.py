"""attributes / excludedAttributes (RFC 7644 §3.4.2.5, §3.9) on reads, lists, writes, .search."""

from __future__ import annotations

import httpx

from app.scim.projection import Projection
from tests.conftest import ENTERPRISE, CreateUser, user_payload

FULL = {
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "title": "Guide",
    "emails": [{"value": "b@example.com", "type": "work"}],
}


async def test_get_with_attributes_returns_those_and_always_returned(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("bjensen", **FULL)
    response = await client.get(
        f"/scim/v2/Users/{created['id']}", params={"attributes": "name.givenName,EMAILS.type"}
    )
    body = response.json()
    assert set(body) == {"schemas", "id", "meta", "name", "emails"}
    assert body["name"] == {"givenName": "Barbara"}
    assert body["emails"] == [{"type": "work"}]


async def test_get_with_excluded_attributes_drops_them_but_never_id(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("bjensen", **FULL)
    response = await client.get(
        f"/scim/v2/Users/{created['id']}",
        params={"excludedAttributes": "emails,name.familyName,id"},
    )
    body = response.json()
    assert "emails" not in body
    assert body["name"] == {"givenName": "Barbara"}
    assert body["id"] == created["id"]


async def test_list_applies_projection_to_each_resource(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("bjensen", **FULL)
    body = (await client.get("/scim/v2/Users", params={"attributes": "userName"})).json()
    assert set(body["Resources"][0]) == {"schemas", "id", "meta", "userName"}


async def test_post_and_put_responses_honour_attributes(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/scim/v2/Users", params={"attributes": "title"}, json=user_payload("a", **FULL)
    )
    assert set(created.json()) == {"schemas", "id", "meta", "title"}
    replaced = await client.put(
        f"/scim/v2/Users/{created.json()['id']}",
        params={"excludedAttributes": "title"},
        json=user_payload("a", **FULL),
    )
    assert "title" not in replaced.json()
    assert replaced.json()["userName"] == "a"


async def test_whole_extension_can_be_asked_for_by_urn(client: httpx.AsyncClient) -> None:
    payload = user_payload("a", **{ENTERPRISE: {"department": "Eng"}})
    payload["schemas"].append(ENTERPRISE)
    created = (await client.post("/scim/v2/Users", json=payload)).json()
    body = (
        await client.get(f"/scim/v2/Users/{created['id']}", params={"attributes": ENTERPRISE})
    ).json()
    assert body[ENTERPRISE] == {"department": "Eng"}
    assert "userName" not in body


async def test_password_is_never_returned_even_when_asked(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/scim/v2/Users",
        params={"attributes": "password,userName"},
        json=user_payload("a", password="Secret1!"),
    )
    assert "password" not in created.json()


def test_wants_tells_storage_when_an_attribute_is_excluded() -> None:
    assert not Projection.parse(None, "members").wants("members")
    assert Projection.parse(None, "emails").wants("members")
    assert not Projection.parse("displayName", None).wants("members")
    assert Projection.parse("members.value", None).wants("members")
