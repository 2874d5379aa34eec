"""GET /Users/{id} (RFC 7644 §3.4.1) and conditional GET (RFC 7644 §3.14)."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI

from app.http.auth import digest
from tests.conftest import CreateUser, assert_scim_error


async def test_get_returns_the_stored_resource(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user("bjensen", name={"givenName": "Barbara"})
    response = await client.get(f"/scim/v2/Users/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response.headers["etag"] == created["meta"]["version"]


async def test_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/scim/v2/Users/{uuid.uuid4()}")
    assert_scim_error(response, 404)


async def test_malformed_id_is_404_not_400(client: httpx.AsyncClient) -> None:
    response = await client.get("/scim/v2/Users/not-a-uuid")
    assert_scim_error(response, 404)


async def test_if_none_match_current_version_is_304(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user()
    response = await client.get(
        f"/scim/v2/Users/{created['id']}", headers={"If-None-Match": created["meta"]["version"]}
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == created["meta"]["version"]


async def test_if_none_match_old_version_returns_the_resource(
    client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user()
    response = await client.get(
        f"/scim/v2/Users/{created['id']}", headers={"If-None-Match": 'W/"0"'}
    )
    assert response.status_code == 200


async def test_users_of_another_tenant_are_invisible(
    app: FastAPI, client: httpx.AsyncClient, create_user: CreateUser
) -> None:
    created = await create_user()
    await app.state.store.create_token("other", digest("other-token"), "other-tenant")
    response = await client.get(
        f"/scim/v2/Users/{created['id']}", headers={"Authorization": "Bearer other-token"}
    )
    assert_scim_error(response, 404)
