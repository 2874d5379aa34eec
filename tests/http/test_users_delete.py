"""DELETE /Users/{id} (RFC 7644 §3.6)."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import CreateUser, assert_scim_error


async def test_delete_is_204_without_body(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user()
    response = await client.delete(f"/scim/v2/Users/{created['id']}")
    assert response.status_code == 204
    assert response.content == b""


async def test_deleted_user_is_404_on_get(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user()
    await client.delete(f"/scim/v2/Users/{created['id']}")
    assert_scim_error(await client.get(f"/scim/v2/Users/{created['id']}"), 404)


async def test_second_delete_is_404(client: httpx.AsyncClient, create_user: CreateUser) -> None:
    created = await create_user()
    await client.delete(f"/scim/v2/Users/{created['id']}")
    assert_scim_error(await client.delete(f"/scim/v2/Users/{created['id']}"), 404)


async def test_delete_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    assert_scim_error(await client.delete(f"/scim/v2/Users/{uuid.uuid4()}"), 404)


async def test_delete_with_stale_if_match_is_412_and_keeps_the_user(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user()
    response = await client.delete(f"/scim/v2/Users/{created['id']}", headers={"If-Match": 'W/"9"'})
    assert_scim_error(response, 412)
    assert (await client.get(f"/scim/v2/Users/{created['id']}")).status_code == 200


async def test_deleted_user_name_can_be_reused(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("bjensen")
    await client.delete(f"/scim/v2/Users/{created['id']}")
    await create_user("bjensen")
