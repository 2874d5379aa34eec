"""The generated /docs describe every endpoint with SCIM schemas and bearer auth."""

from __future__ import annotations

import httpx


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
