"""PUT /Users/{id} (RFC 7644 §3.5.1)."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import CreateUser, assert_scim_error, user_payload


async def test_put_replaces_the_resource_and_bumps_the_version(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("bjensen", displayName="Babs", title="Engineer")
    response = await client.put(
        f"/scim/v2/Users/{created['id']}", json=user_payload("bjensen", displayName="Barbara")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["displayName"] == "Barbara"
    assert "title" not in body
    assert body["meta"]["version"] == 'W/"2"' == response.headers["etag"]
    assert body["meta"]["created"] == created["meta"]["created"]


async def test_put_without_change_keeps_the_version(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("bjensen", displayName="Babs")
    response = await client.put(
        f"/scim/v2/Users/{created['id']}", json=user_payload("bjensen", displayName="Babs")
    )
    assert response.json()["meta"]["version"] == created["meta"]["version"]


async def test_put_ignores_id_and_meta_from_okta(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("bjensen")
    body = {**created, "id": str(uuid.uuid4()), "displayName": "New"}
    body["meta"] = {**created["meta"], "version": 'W/"42"', "unexpected": True}
    response = await client.put(f"/scim/v2/Users/{created['id']}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == created["id"]
    assert response.json()["displayName"] == "New"


async def test_put_ignores_read_only_groups(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("bjensen")
    body = user_payload("bjensen", groups=[{"value": str(uuid.uuid4()), "display": "x"}])
    response = await client.put(f"/scim/v2/Users/{created['id']}", json=body)
    assert response.status_code == 200
    assert "groups" not in response.json() or response.json()["groups"] == []


async def test_put_with_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("bjensen")
    response = await client.put(
        f"/scim/v2/Users/{created['id']}",
        json=user_payload("bjensen", displayName="X"),
        headers={"If-Match": 'W/"7"'},
    )
    assert_scim_error(response, 412)
    assert (await client.get(f"/scim/v2/Users/{created['id']}")).json() == created


async def test_put_with_current_if_match_succeeds(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("bjensen")
    response = await client.put(
        f"/scim/v2/Users/{created['id']}",
        json=user_payload("bjensen", displayName="X"),
        headers={"If-Match": created["meta"]["version"]},
    )
    assert response.status_code == 200


async def test_put_to_a_taken_user_name_is_409(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    await create_user("alice")
    bob = await create_user("bob")
    response = await client.put(f"/scim/v2/Users/{bob['id']}", json=user_payload("ALICE"))
    assert_scim_error(response, 409, "uniqueness")
    assert (await client.get(f"/scim/v2/Users/{bob['id']}")).json()["userName"] == "bob"


async def test_put_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    response = await client.put(f"/scim/v2/Users/{uuid.uuid4()}", json=user_payload("x"))
    assert_scim_error(response, 404)


async def test_put_invalid_body_is_400(client: httpx.AsyncClient, create_user: CreateUser) -> None:
    created = await create_user("bjensen")
    response = await client.put(f"/scim/v2/Users/{created['id']}", json={"userName": 12})
    assert response.status_code == 400
    assert_scim_error(response, 400, response.json().get("scimType"))
    assert response.json()["scimType"] in ("invalidValue", "invalidSyntax")
