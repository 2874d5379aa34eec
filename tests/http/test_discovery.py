"""Discovery endpoints (RFC 7644 §4)."""

from __future__ import annotations

import httpx

from tests.conftest import BASE, ENTERPRISE, USER_SCHEMA, assert_scim_error

SPC = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


async def test_service_provider_config_is_truthful(client: httpx.AsyncClient) -> None:
    body = (await client.get("/scim/v2/ServiceProviderConfig")).json()
    assert body["schemas"] == [SPC]
    assert body["etag"] == {"supported": True}
    assert body["bulk"]["supported"] is False
    assert body["changePassword"] == {"supported": False}
    assert body["filter"] == {"supported": True, "maxResults": 1000}
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert body["meta"]["location"] == f"{BASE}/ServiceProviderConfig"


async def test_resource_types_list_users_with_the_enterprise_extension(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/scim/v2/ResourceTypes")).json()
    user = next(r for r in body["Resources"] if r["id"] == "User")
    assert user["endpoint"] == "/Users"
    assert user["schema"] == USER_SCHEMA
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert body["totalResults"] == len(body["Resources"])


async def test_resource_type_by_name(client: httpx.AsyncClient) -> None:
    body = (await client.get("/scim/v2/ResourceTypes/User")).json()
    assert body["meta"]["location"] == f"{BASE}/ResourceTypes/User"


async def test_unknown_resource_type_is_404(client: httpx.AsyncClient) -> None:
    assert_scim_error(await client.get("/scim/v2/ResourceTypes/Widget"), 404)


async def test_schemas_include_user_enterprise_and_group(client: httpx.AsyncClient) -> None:
    body = (await client.get("/scim/v2/Schemas")).json()
    ids = {schema["id"] for schema in body["Resources"]}
    assert {USER_SCHEMA, ENTERPRISE, "urn:ietf:params:scim:schemas:core:2.0:Group"} <= ids


async def test_schema_by_urn_describes_user_name(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"/scim/v2/Schemas/{USER_SCHEMA}")).json()
    user_name = next(a for a in body["attributes"] if a["name"] == "userName")
    assert user_name["caseExact"] is False
    assert user_name["uniqueness"] == "server"
    password = next(a for a in body["attributes"] if a["name"] == "password")
    assert password["returned"] == "never"


async def test_unknown_schema_is_404(client: httpx.AsyncClient) -> None:
    assert_scim_error(await client.get("/scim/v2/Schemas/urn:nope"), 404)
