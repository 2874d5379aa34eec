"""A ResourceType with a new id in SCIM_SCHEMAS adds a resource type; ``required`` on an
extension makes it required (RFC 7643 §6)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import USER_SCHEMA, MakeApp, assert_scim_error, client_for, patch_payload

SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
DEVICE = "urn:example:scim:schemas:core:1.0:Device"
BADGE = "urn:example:scim:schemas:extension:badge:1.0:User"

DOCUMENTS: list[dict[str, Any]] = [
    {
        "schemas": [SCHEMA],
        "id": DEVICE,
        "name": "Device",
        "attributes": [
            {"name": "displayName", "type": "string", "required": True},
            {"name": "serialNumber", "type": "string", "caseExact": True, "uniqueness": "server"},
            {"name": "platform", "type": "string", "canonicalValues": ["ios", "android"]},
            {"name": "enrolled", "type": "boolean"},
        ],
    },
    {
        "schemas": [RESOURCE_TYPE],
        "id": "Device",
        "name": "Device",
        "endpoint": "/Devices",
        "description": "Managed devices",
        "schema": DEVICE,
    },
    {
        "schemas": [SCHEMA],
        "id": BADGE,
        "name": "Badge",
        "attributes": [{"name": "badge", "type": "string", "required": True}],
    },
    {
        "schemas": [RESOURCE_TYPE],
        "id": "User",
        "schemaExtensions": [{"schema": BADGE, "required": True}],
    },
]


@pytest.fixture
async def configured(make_app: MakeApp, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    path = tmp_path / "types.json"
    path.write_text(json.dumps(DOCUMENTS))
    async with client_for(make_app(schemas=str(path))) as client:
        yield client


def _device(name: str = "laptop-1", **more: Any) -> dict[str, Any]:
    return {"schemas": [DEVICE], "displayName": name, **more}


async def _create_device(client: httpx.AsyncClient, **more: Any) -> dict[str, Any]:
    response = await client.post("/scim/v2/Devices", json=_device(**more))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_new_type_is_listed_in_resource_types(configured: httpx.AsyncClient) -> None:
    body = (await configured.get("/scim/v2/ResourceTypes/Device")).json()
    assert body["endpoint"] == "/Devices" and body["schema"] == DEVICE


async def test_new_type_is_created_and_read_at_its_endpoint(
    configured: httpx.AsyncClient,
) -> None:
    created = await _create_device(configured, serialNumber="S1", enrolled=True)
    assert created["meta"]["resourceType"] == "Device"
    assert created["meta"]["location"].endswith(f"/scim/v2/Devices/{created['id']}")
    fetched = await configured.get(f"/scim/v2/Devices/{created['id']}")
    assert fetched.json()["serialNumber"] == "S1"


async def test_new_type_without_a_unique_name_accepts_two_of_a_name(
    configured: httpx.AsyncClient,
) -> None:
    await _create_device(configured)
    await _create_device(configured)


async def test_new_type_refuses_a_duplicate_unique_attribute(
    configured: httpx.AsyncClient,
) -> None:
    await _create_device(configured, serialNumber="S1")
    response = await configured.post("/scim/v2/Devices", json=_device(serialNumber="S1"))
    assert_scim_error(response, 409, "uniqueness")


async def test_new_type_requires_its_required_attributes(configured: httpx.AsyncClient) -> None:
    response = await configured.post("/scim/v2/Devices", json={"schemas": [DEVICE]})
    assert_scim_error(response, 400, "invalidValue")


async def test_new_type_is_filtered_and_patched(configured: httpx.AsyncClient) -> None:
    created = await _create_device(configured, platform="ios")
    await _create_device(configured, platform="android")
    listed = await configured.get("/scim/v2/Devices", params={"filter": 'platform eq "IOS"'})
    assert [r["id"] for r in listed.json()["Resources"]] == [created["id"]]
    op = {"op": "replace", "path": "enrolled", "value": "True"}
    patched = await configured.patch(f"/scim/v2/Devices/{created['id']}", json=patch_payload(op))
    assert patched.status_code == 200, patched.text
    assert patched.json()["enrolled"] is True


async def test_new_type_is_deleted(configured: httpx.AsyncClient) -> None:
    created = await _create_device(configured)
    assert (await configured.delete(f"/scim/v2/Devices/{created['id']}")).status_code == 204
    assert (await configured.get(f"/scim/v2/Devices/{created['id']}")).status_code == 404


async def test_user_without_a_required_extension_is_400(configured: httpx.AsyncClient) -> None:
    response = await configured.post(
        "/scim/v2/Users", json={"schemas": [USER_SCHEMA], "userName": "a"}
    )
    assert_scim_error(response, 400, "invalidValue")


async def test_user_with_the_required_extension_is_created(
    configured: httpx.AsyncClient,
) -> None:
    body = {"schemas": [USER_SCHEMA, BADGE], "userName": "a", BADGE: {"badge": "b"}}
    response = await configured.post("/scim/v2/Users", json=body)
    assert response.status_code == 201, response.text
    resource_type = (await configured.get("/scim/v2/ResourceTypes/User")).json()
    assert {"schema": BADGE, "required": True} in resource_type["schemaExtensions"]
