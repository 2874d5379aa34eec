"""Okta Identity Governance roles and entitlements (SCIM_RESOURCE_TYPES=Role,Entitlement).

The catalogue is written by the application (``app.scim.catalog``, the ``catalog`` CLI) and
read by SCIM clients; users' ``roles`` and ``entitlements`` must name its entries.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.http.auth import CATALOG, digest
from app.scim import catalog
from tests.conftest import USER_SCHEMA, MakeApp, assert_scim_error, client_for, patch_payload

ROLE = "urn:okta:scim:schemas:core:1.0:Role"
ENTITLEMENT = "urn:okta:scim:schemas:core:1.0:Entitlement"
LICENSE_TYPE = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
    "id": "License",
    "name": "License",
    "endpoint": "/Licenses",
    "schema": ENTITLEMENT,
    "x-catalog": True,
    "x-assigns": "entitlements",
}


async def _seed(app: FastAPI, type_name: str, *entries: dict[str, Any]) -> None:
    kind = app.state.runtime.kinds.get(type_name)
    for entry in entries:
        await catalog.put(app.state.store, "default", kind, entry, datetime.now(UTC))


@pytest.fixture
async def governed_app(make_app: MakeApp, tmp_path: Path) -> FastAPI:
    path = tmp_path / "licenses.json"
    path.write_text(json.dumps([LICENSE_TYPE]))
    app = make_app(resource_types="Role,Entitlement", schemas=str(path))
    await _seed(
        app,
        "Role",
        {"id": "admin", "displayName": "Administrator", "description": "Full access"},
        {"id": "viewer", "displayName": "Viewer"},
    )
    await _seed(app, "License", {"id": "pro", "displayName": "Pro licence"})
    await _seed(app, "Entitlement", {"id": "reports", "displayName": "Reports"})
    return app


@pytest.fixture
async def governed(governed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(governed_app) as client:
        yield client


async def _user(client: httpx.AsyncClient, **more: Any) -> httpx.Response:
    return await client.post(
        "/scim/v2/Users", json={"schemas": [USER_SCHEMA], "userName": "jane", **more}
    )


async def test_resource_types_list_roles_and_entitlement_types(
    governed: httpx.AsyncClient,
) -> None:
    types = {r["id"]: r for r in (await governed.get("/scim/v2/ResourceTypes")).json()["Resources"]}
    assert (types["Role"]["endpoint"], types["Role"]["schema"]) == ("/Roles", ROLE)
    assert (types["License"]["endpoint"], types["License"]["schema"]) == ("/Licenses", ENTITLEMENT)
    assert types["Entitlement"]["endpoint"] == "/Entitlements"


async def test_okta_entitlement_test_page_of_one(governed: httpx.AsyncClient) -> None:
    """Okta's OIN Entitlements Test asks ``?count=1&startIndex=1``."""
    body = (await governed.get("/scim/v2/Roles", params={"count": 1, "startIndex": 1})).json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (2, 1, 1)
    assert len(body["Resources"]) == 1


async def test_role_is_read_by_the_application_id(governed: httpx.AsyncClient) -> None:
    response = await governed.get("/scim/v2/Roles/admin")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["displayName"], body["description"]) == (
        "admin",
        "Administrator",
        "Full access",
    )
    assert body["schemas"] == [ROLE] and body["meta"]["location"].endswith("/Roles/admin")


async def test_roles_are_filtered(governed: httpx.AsyncClient) -> None:
    listed = await governed.get("/scim/v2/Roles", params={"filter": 'displayName sw "view"'})
    assert [r["id"] for r in listed.json()["Resources"]] == ["viewer"]
    by_id = await governed.get("/scim/v2/Roles", params={"filter": 'id eq "admin"'})
    assert [r["id"] for r in by_id.json()["Resources"]] == ["admin"]


async def test_entitlement_type_is_the_name_of_its_resource_type(
    governed: httpx.AsyncClient,
) -> None:
    assert (await governed.get("/scim/v2/Licenses/pro")).json()["type"] == "License"
    assert (await governed.get("/scim/v2/Entitlements/reports")).json()["type"] == "Entitlement"


@pytest.fixture
async def catalog_writer(governed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The application's own token: scope catalog only."""
    store = governed_app.state.store
    await store.create_token("app", digest("app-secret"), "default", [CATALOG])
    async with client_for(governed_app, {"Authorization": "Bearer app-secret"}) as client:
        yield client


async def test_a_catalog_token_creates_replaces_and_deletes_an_entry(
    catalog_writer: httpx.AsyncClient, governed: httpx.AsyncClient
) -> None:
    role = {"schemas": [ROLE], "id": "auditor", "displayName": "Auditor"}
    created = await catalog_writer.post("/scim/v2/Roles", json=role)
    assert created.status_code == 201, created.text
    assert created.json()["id"] == "auditor"
    renamed = {"schemas": [ROLE], "displayName": "Auditor (read only)"}
    replaced = await catalog_writer.put("/scim/v2/Roles/auditor", json=renamed)
    assert replaced.status_code == 200, replaced.text
    served = await governed.get("/scim/v2/Roles/auditor")
    assert served.json()["displayName"] == "Auditor (read only)"
    assert (await catalog_writer.delete("/scim/v2/Roles/auditor")).status_code == 204
    assert_scim_error(await governed.get("/scim/v2/Roles/auditor"), 404)


async def test_a_catalog_token_cannot_patch_an_entry(catalog_writer: httpx.AsyncClient) -> None:
    body = patch_payload({"op": "replace", "path": "displayName", "value": "x"})
    assert_scim_error(await catalog_writer.patch("/scim/v2/Roles/admin", json=body), 405)


async def test_a_catalog_token_reads_no_users(catalog_writer: httpx.AsyncClient) -> None:
    assert_scim_error(await catalog_writer.get("/scim/v2/Users"), 401)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/Roles"),
        ("PUT", "/Roles/admin"),
        ("PATCH", "/Roles/admin"),
        ("DELETE", "/Roles/admin"),
    ],
)
async def test_scim_writes_to_a_catalogue_are_405(
    governed: httpx.AsyncClient, method: str, path: str
) -> None:
    body = {"schemas": [ROLE], "id": "x", "displayName": "x"}
    response = await governed.request(method, "/scim/v2" + path, json=body)
    assert_scim_error(response, 405)


async def test_user_roles_are_stored_with_the_catalogue_display(
    governed: httpx.AsyncClient,
) -> None:
    created = await _user(governed, roles=[{"value": "admin"}])
    assert created.status_code == 201, created.text
    fetched = (await governed.get(f"/scim/v2/Users/{created.json()['id']}")).json()
    assert fetched["roles"] == [{"value": "admin", "display": "Administrator"}]


async def test_unknown_role_is_400_invalid_value(governed: httpx.AsyncClient) -> None:
    assert_scim_error(await _user(governed, roles=[{"value": "owner"}]), 400, "invalidValue")


async def test_entitlements_carry_the_type_of_their_resource_type(
    governed: httpx.AsyncClient,
) -> None:
    created = await _user(governed, entitlements=[{"value": "pro", "type": "License"}])
    assert created.status_code == 201, created.text
    assert created.json()["entitlements"] == [
        {"value": "pro", "display": "Pro licence", "type": "License"}
    ]


async def test_put_replaces_the_role_set_and_empty_revokes_all(
    governed: httpx.AsyncClient,
) -> None:
    user_id = (await _user(governed, roles=[{"value": "admin"}])).json()["id"]
    body = {"schemas": [USER_SCHEMA], "userName": "jane", "roles": [{"value": "viewer"}]}
    replaced = await governed.put(f"/scim/v2/Users/{user_id}", json=body)
    assert [r["value"] for r in replaced.json()["roles"]] == ["viewer"]
    revoked = await governed.put(f"/scim/v2/Users/{user_id}", json={**body, "roles": []})
    assert revoked.status_code == 200 and "roles" not in revoked.json()


async def test_patch_adds_and_removes_roles_by_value_filter(governed: httpx.AsyncClient) -> None:
    user_id = (await _user(governed)).json()["id"]
    add = {"op": "Add", "path": "roles", "value": [{"value": "admin"}, {"value": "viewer"}]}
    remove = {"op": "remove", "path": 'roles[value eq "admin"]'}
    response = await governed.patch(f"/scim/v2/Users/{user_id}", json=patch_payload(add, remove))
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == [{"value": "viewer", "display": "Viewer"}]


async def test_patch_replace_of_roles_checks_the_catalogue(governed: httpx.AsyncClient) -> None:
    user_id = (await _user(governed)).json()["id"]
    op = {"op": "replace", "path": "roles", "value": [{"value": "nobody"}]}
    response = await governed.patch(f"/scim/v2/Users/{user_id}", json=patch_payload(op))
    assert_scim_error(response, 400, "invalidValue")


async def test_entra_role_sent_as_a_json_string_resolves_by_its_value(
    governed: httpx.AsyncClient,
) -> None:
    user_id = (await _user(governed)).json()["id"]
    role = json.dumps({"id": "2f6c-app-role", "value": "admin", "displayName": "Administrator"})
    op = {"op": "Add", "path": "roles", "value": [{"value": role}]}
    response = await governed.patch(f"/scim/v2/Users/{user_id}", json=patch_payload(op))
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == [{"value": "admin", "display": "Administrator"}]


async def test_entra_primary_true_string_filter_is_read(governed: httpx.AsyncClient) -> None:
    user_id = (await _user(governed, roles=[{"value": "admin", "primary": True}])).json()["id"]
    op = {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": "viewer"}
    response = await governed.patch(f"/scim/v2/Users/{user_id}", json=patch_payload(op))
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == [{"value": "viewer", "display": "Viewer", "primary": True}]


async def test_users_are_filtered_by_role_value(governed: httpx.AsyncClient) -> None:
    user_id = (await _user(governed, roles=[{"value": "admin"}])).json()["id"]
    listed = await governed.get("/scim/v2/Users", params={"filter": 'roles.value eq "admin"'})
    assert [r["id"] for r in listed.json()["Resources"]] == [user_id]


async def test_roles_stay_free_form_without_the_role_type(client: httpx.AsyncClient) -> None:
    created = await _user(client, roles=[{"value": "anything", "display": "Any"}])
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == [{"value": "anything", "display": "Any"}]
