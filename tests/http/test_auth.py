"""Bearer-token authentication (RFC 7644 §2)."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.http.auth import digest
from tests.conftest import MakeApp, assert_scim_error, client_for

ENDPOINTS = [
    "/scim/v2/Users",
    "/scim/v2/ServiceProviderConfig",
    "/scim/v2/Schemas",
    "/scim/v2/ResourceTypes",
]


@pytest.mark.parametrize("path", ENDPOINTS)
async def test_missing_token_is_401_with_www_authenticate(
    anonymous: httpx.AsyncClient, path: str
) -> None:
    response = await anonymous.get(path)
    assert_scim_error(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_wrong_token_is_401(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/scim/v2/Users", headers={"Authorization": "Bearer nope"})
    assert_scim_error(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_basic_scheme_is_401(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/scim/v2/Users", headers={"Authorization": "Basic dTpw"})
    assert_scim_error(response, 401)


async def test_created_token_is_accepted(app: FastAPI, anonymous: httpx.AsyncClient) -> None:
    await app.state.store.create_token("okta", digest("s3cret"), "default")
    response = await anonymous.get("/scim/v2/Users", headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200


async def test_revoked_token_is_refused(app: FastAPI, anonymous: httpx.AsyncClient) -> None:
    await app.state.store.create_token("okta", digest("s3cret"), "default")
    assert await app.state.store.revoke_token("okta")
    response = await anonymous.get("/scim/v2/Users", headers={"Authorization": "Bearer s3cret"})
    assert_scim_error(response, 401)


async def test_tokens_are_stored_only_as_digests(app: FastAPI) -> None:
    await app.state.store.create_token("okta", digest("s3cret"), "default")
    async with app.state.store.engine.connect() as connection:
        rows = (await connection.execute(sa.text("SELECT * FROM tokens"))).all()
    stored = " ".join(str(value) for value in rows[0])
    assert "s3cret" not in stored
    assert digest("s3cret") in stored


async def test_without_bootstrap_token_only_created_tokens_work(make_app: MakeApp) -> None:
    async with client_for(make_app(bootstrap_token=None)) as client:
        assert_scim_error(await client.get("/scim/v2/Users"), 401)
