"""RFC 7643 §2.4: one (type, value) pair at most once per multi-valued attribute."""

from __future__ import annotations

import httpx

from tests.conftest import CreateUser, patch_payload, user_payload

HOME = {"type": "home", "value": "x@y.example"}


async def test_patch_adding_an_existing_pair_keeps_one_entry(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user(emails=[{**HOME, "primary": True}])
    op = {"op": "add", "path": "emails", "value": [HOME]}
    response = await client.patch(f"/scim/v2/Users/{user['id']}", json=patch_payload(op))
    assert response.status_code == 200, response.text
    assert response.json()["emails"] == [{**HOME, "primary": True}]


async def test_remove_by_value_filter_after_a_repeated_add_leaves_none(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user(emails=[{**HOME, "primary": True}])
    add = {"op": "add", "path": "emails", "value": [HOME]}
    remove = {"op": "remove", "path": 'emails[value eq "x@y.example"]'}
    await client.patch(f"/scim/v2/Users/{user['id']}", json=patch_payload(add))
    response = await client.patch(f"/scim/v2/Users/{user['id']}", json=patch_payload(remove))
    assert response.status_code == 200, response.text
    assert "emails" not in response.json()


async def test_post_with_a_repeated_pair_stores_it_once(client: httpx.AsyncClient) -> None:
    emails = [HOME, {"type": "HOME", "value": "X@Y.example", "primary": True}]
    response = await client.post("/scim/v2/Users", json=user_payload(emails=emails))
    assert response.status_code == 201, response.text
    assert len(response.json()["emails"]) == 1 and response.json()["emails"][0]["primary"]


async def test_put_with_a_repeated_pair_stores_it_once(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    user = await create_user()
    body = user_payload(emails=[HOME, HOME])
    response = await client.put(f"/scim/v2/Users/{user['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["emails"] == [HOME]


async def test_same_value_with_another_type_is_kept(client: httpx.AsyncClient) -> None:
    emails = [HOME, {"type": "work", "value": "x@y.example"}]
    response = await client.post("/scim/v2/Users", json=user_payload(emails=emails))
    assert len(response.json()["emails"]) == 2
