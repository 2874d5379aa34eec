"""The generated /docs describe every endpoint with SCIM schemas and bearer auth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.conftest import MakeApp, client_for


async def test_openapi_lists_user_and_discovery_endpoints(anonymous: httpx.AsyncClient) -> None:
    spec = (await anonymous.get("/openapi.json")).json()
    paths = spec["paths"]
    assert {"post", "get"} <= set(paths["/scim/v2/Users"])
    assert {"get", "put", "delete"} <= set(paths["/scim/v2/Users/{resource_id}"])
    assert "/scim/v2/ServiceProviderConfig" in paths


async def test_openapi_documents_scim_request_and_response_bodies(
    anonymous: httpx.AsyncClient,
) -> None:
    spec = (await anonymous.get("/openapi.json")).json()
    create = spec["paths"]["/scim/v2/Users"]["post"]
    request_ref = create["requestBody"]["content"]["application/scim+json"]["schema"]["$ref"]
    assert request_ref.rsplit("/", 1)[-1] in spec["components"]["schemas"]
    assert "201" in create["responses"] and "409" in create["responses"]


async def test_openapi_declares_bearer_security(anonymous: httpx.AsyncClient) -> None:
    spec = (await anonymous.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())


async def test_docs_page_is_served(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


EXAMPLE_SCHEMAS = Path(__file__).resolve().parents[2] / "examples" / "custom_schemas.json"


@pytest.fixture
async def spec(make_app: MakeApp) -> dict[str, Any]:
    app = make_app(schemas=str(EXAMPLE_SCHEMAS), resource_types="Role,Agent")
    async with client_for(app, headers={}) as client:
        document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


def test_openapi_document_passes_the_spec_validator(spec: dict[str, Any]) -> None:
    validate(spec)


def test_user_component_has_typed_properties_from_the_served_schema(
    spec: dict[str, Any],
) -> None:
    user = spec["components"]["schemas"]["User"]
    assert user["properties"]["userName"]["type"] == "string"
    assert "userName" in user["required"]
    assert user["properties"]["id"]["readOnly"] is True
    assert user["properties"]["password"]["writeOnly"] is True
    assert user["properties"]["emails"]["type"] == "array"
    assert user["properties"]["groups"]["readOnly"] is True


def test_every_served_schema_has_one_uniquely_named_component(spec: dict[str, Any]) -> None:
    components = spec["components"]["schemas"]
    assert {"User", "Group", "Role", "Agent", "EnterpriseUser", "AcmeUser"} <= set(components)
    assert "Type" not in components and not any(name.startswith("Type_") for name in components)


def test_configured_extension_component_lists_its_attributes(spec: dict[str, Any]) -> None:
    acme = spec["components"]["schemas"]["AcmeUser"]
    assert acme["properties"]["orgRole"]["enum"] == ["admin", "member", "viewer"]
    assert acme["properties"]["level"]["type"] == "integer"
    user = spec["components"]["schemas"]["User"]
    urn = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
    assert user["properties"][urn]["$ref"] == "#/components/schemas/AcmeUser"


def test_every_operation_body_has_an_example(spec: dict[str, Any]) -> None:
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/scim+json")
            if (
                method in ("post", "put", "patch")
                and ".search" not in path
                and not body.get("example")
            ):
                missing.append(f"{method} {path} request")
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/scim+json")
                if content is not None and "example" not in content:
                    missing.append(f"{method} {path} {status}")
    assert not missing, missing


def test_okta_create_and_deactivation_are_the_user_examples(spec: dict[str, Any]) -> None:
    users = spec["paths"]["/scim/v2/Users"]["post"]["requestBody"]["content"]
    assert users["application/scim+json"]["example"]["userName"] == "test.user@okta.local"
    patch = spec["paths"]["/scim/v2/Users/{resource_id}"]["patch"]["requestBody"]["content"]
    operation = patch["application/scim+json"]["example"]["Operations"][0]
    assert operation == {"op": "replace", "value": {"active": False}}


def test_group_patch_example_adds_a_member(spec: dict[str, Any]) -> None:
    patch = spec["paths"]["/scim/v2/Groups/{resource_id}"]["patch"]["requestBody"]["content"]
    assert patch["application/scim+json"]["example"]["Operations"][0]["path"] == "members"


def test_errors_use_the_scim_error_schema_and_422_is_gone(spec: dict[str, Any]) -> None:
    read = spec["paths"]["/scim/v2/Users/{resource_id}"]["get"]["responses"]
    schema = read["404"]["content"]["application/scim+json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Error"}
    assert "422" not in json.dumps(spec["paths"])
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_list_response_component_holds_the_resources(spec: dict[str, Any]) -> None:
    listed = spec["components"]["schemas"]["RoleListResponse"]
    assert listed["properties"]["Resources"]["items"] == {"$ref": "#/components/schemas/Role"}
    assert listed["example"]["itemsPerPage"] == 1
