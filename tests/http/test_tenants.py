"""Tenants are apart: the tenant comes from the token alone, never from the request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.http.auth import digest
from tests.conftest import (
    MakeApp,
    assert_scim_error,
    client_for,
    group_payload,
    patch_payload,
    user_payload,
)

PATHS = {"Users": "User", "Groups": "Group"}


async def _tenants(app: FastAPI) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    for tenant in ("a", "b"):
        await app.state.store.create_token(tenant, digest(f"{tenant}-secret"), tenant)
    return (
        client_for(app, headers={"Authorization": "Bearer a-secret"}),
        client_for(app, headers={"Authorization": "Bearer b-secret"}),
    )


def _body(endpoint: str, method: str) -> dict[str, Any] | None:
    if method == "PATCH":
        return patch_payload({"op": "replace", "path": "externalId", "value": "x"})
    if method == "PUT":
        return user_payload("taken") if endpoint == "Users" else group_payload("taken")
    return None


def _resource_operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) that names one resource by id."""
    return sorted(
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute) and "{resource_id}" in route.path
        for method in route.methods
    )


async def test_every_operation_on_another_tenants_resource_is_404(app: FastAPI) -> None:
    a, b = await _tenants(app)
    async with a, b:
        user = (await b.post("/scim/v2/Users", json=user_payload("bob"))).json()
        group = (await b.post("/scim/v2/Groups", json=group_payload("Bobs"))).json()
        ids = {"Users": user["id"], "Groups": group["id"]}
        operations = _resource_operations(app)
        assert {m for m, _ in operations} == {"GET", "PUT", "PATCH", "DELETE"}
        for method, template in operations:
            endpoint = template.split("/")[-2]
            path = template.replace("{resource_id}", ids[endpoint])
            response = await a.request(method, path, json=_body(endpoint, method))
            assert_scim_error(response, 404)
            assert "bob" not in response.text.lower()  # never the resource itself
        for endpoint, resource_id in ids.items():
            assert (await b.get(f"/scim/v2/{endpoint}/{resource_id}")).status_code == 200


async def test_lists_and_searches_see_only_the_tokens_tenant(app: FastAPI) -> None:
    a, b = await _tenants(app)
    async with a, b:
        await b.post("/scim/v2/Users", json=user_payload("bob"))
        await b.post("/scim/v2/Groups", json=group_payload("Bobs"))
        search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
        for response in (
            await a.get("/scim/v2/Users"),
            await a.get("/scim/v2/Users", params={"filter": 'userName eq "bob"'}),
            await a.get("/scim/v2/Groups"),
            await a.post("/scim/v2/Users/.search", json=search),
            await a.post("/scim/v2/Groups/.search", json=search),
            await a.post("/scim/v2/.search", json=search),
        ):
            assert response.status_code == 200, response.text
            assert response.json()["totalResults"] == 0


async def test_another_tenants_user_cannot_be_made_a_member(app: FastAPI) -> None:
    a, b = await _tenants(app)
    async with a, b:
        bob = (await b.post("/scim/v2/Users", json=user_payload("bob"))).json()
        created = await a.post("/scim/v2/Groups", json=group_payload("Admins", bob["id"]))
        assert_scim_error(created, 400, "invalidValue")
        assert "bob" not in created.text


async def test_the_same_names_in_two_tenants_are_both_created(app: FastAPI) -> None:
    a, b = await _tenants(app)
    async with a, b:
        for client in (a, b):
            assert (
                await client.post("/scim/v2/Users", json=user_payload("bjensen"))
            ).status_code == 201
            assert (
                await client.post("/scim/v2/Groups", json=group_payload("Admins"))
            ).status_code == 201


# -- SCIM_TENANT_IN_PATH ------------------------------------------------------------------


@pytest.fixture
async def in_path(make_app: MakeApp) -> FastAPI:
    app = make_app(tenant_in_path=True)
    await _tenants(app)
    return app


async def test_a_tenant_is_served_at_its_own_path(in_path: FastAPI) -> None:
    async with client_for(in_path, headers={"Authorization": "Bearer a-secret"}) as a:
        created = await a.post("/t/a/scim/v2/Users", json=user_payload("bjensen"))
        assert created.status_code == 201
        location = created.json()["meta"]["location"]
        assert location == f"https://scim.test/t/a/scim/v2/Users/{created.json()['id']}"
        assert (await a.get(location.removeprefix("https://scim.test"))).status_code == 200


async def test_wrong_tenant_unknown_tenant_and_bad_token_get_identical_401s(
    in_path: FastAPI,
) -> None:
    async with client_for(in_path, headers={"X-Request-ID": "probe"}) as client:
        responses = [
            await client.get(path, headers={"Authorization": f"Bearer {token}"})
            for path, token in (
                ("/t/b/scim/v2/Users", "a-secret"),
                ("/t/zz/scim/v2/Users", "a-secret"),
                ("/t/b/scim/v2/Users", "nope"),
            )
        ]
    for response in responses:
        assert_scim_error(response, 401)
    first = responses[0]
    for other in responses[1:]:
        assert other.content == first.content
        assert other.headers.items() == first.headers.items()


async def test_without_tenant_in_path_the_plain_root_is_gone(in_path: FastAPI) -> None:
    async with client_for(in_path, headers={"Authorization": "Bearer a-secret"}) as a:
        assert_scim_error(await a.get("/scim/v2/Users"), 404)
