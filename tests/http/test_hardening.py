"""HTTP hardening: trusted hosts, no-store and nosniff, no empty filter, helpful details."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import MakeApp, assert_scim_error, client_for

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


async def test_a_request_for_an_untrusted_host_is_400(make_app: MakeApp) -> None:
    async with client_for(make_app(trusted_hosts="scim.example.com")) as client:
        response = await client.get("/scim/v2/Users", headers={"Host": "evil.example.net"})
    assert_scim_error(response, 400)
    assert "evil.example.net" in response.json()["detail"]


@pytest.mark.parametrize("host", ["scim.example.com", "scim.example.com:8443", "a.corp.test"])
async def test_a_request_for_a_trusted_host_is_served(make_app: MakeApp, host: str) -> None:
    app = make_app(trusted_hosts="scim.example.com, *.corp.test")
    async with client_for(app) as client:
        response = await client.get("/scim/v2/Users", headers={"Host": host})
    assert response.status_code == 200


async def test_without_trusted_hosts_meta_location_follows_the_host_header(
    client: httpx.AsyncClient,
) -> None:
    """Why SCIM_TRUSTED_HOSTS or SCIM_PUBLIC_BASE_URL should be set (the README says so)."""
    created = await client.post(
        "/scim/v2/Users",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x"},
        headers={"Host": "attacker.test"},
    )
    assert created.json()["meta"]["location"].startswith("https://attacker.test/")


@pytest.mark.parametrize("path", ["/scim/v2/Users", "/scim/v2/Users/nope", "/scim/v2/Schemas"])
async def test_scim_responses_are_not_stored_nor_sniffed(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_401_is_not_stored_nor_sniffed(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/scim/v2/Users")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("value", ["", "   "])
async def test_an_empty_filter_is_invalid_not_everything(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get("/scim/v2/Users", params={"filter": value})
    assert_scim_error(response, 400, "invalidFilter")


async def test_an_empty_search_filter_is_invalid(client: httpx.AsyncClient) -> None:
    response = await client.post("/scim/v2/Users/.search", json={"schemas": [SEARCH], "filter": ""})
    assert_scim_error(response, 400, "invalidFilter")


async def test_415_names_the_accepted_media_types(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/scim/v2/Users", content=b"userName=x", headers={"Content-Type": "text/plain"}
    )
    assert_scim_error(response, 415)
    assert "application/scim+json" in response.json()["detail"]
    assert "application/json" in response.json()["detail"]


async def test_a_token_without_the_bearer_scheme_is_told_so(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/scim/v2/Users", headers={"Authorization": "test-token"})
    assert_scim_error(response, 401)
    assert "Bearer " in response.json()["detail"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("userName eq", 'expected a "quoted string" or a number or false or null or true'),
        ('userName zz "a"', "expected [ or an operator (eq ne co sw ew gt ge lt le) or pr"),
        ('(userName eq "a"', "expected ) at column 17, found the end of the filter"),
    ],
)
async def test_a_filter_syntax_error_says_what_was_expected_where(
    client: httpx.AsyncClient, query: str, expected: str
) -> None:
    response = await client.get("/scim/v2/Users", params={"filter": query})
    assert_scim_error(response, 400, "invalidFilter")
    assert expected in response.json()["detail"]
    assert "column" in response.json()["detail"]


USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


async def test_an_unknown_schema_with_data_is_named_with_the_accepted_ones(
    client: httpx.AsyncClient,
) -> None:
    body = {"schemas": [USER, "urn:x:custom"], "userName": "x", "urn:x:custom": {"a": 1}}
    response = await client.post("/scim/v2/Users", json=body)
    assert_scim_error(response, 400, "invalidValue")
    detail = response.json()["detail"]
    assert "urn:x:custom" in detail and USER in detail and ENTERPRISE in detail


@pytest.mark.parametrize("endpoint", ["Users", "Groups"])
async def test_a_post_without_schemas_is_refused_naming_the_schema(
    client: httpx.AsyncClient, endpoint: str
) -> None:
    body = {"userName": "x"} if endpoint == "Users" else {"displayName": "x"}
    response = await client.post(f"/scim/v2/{endpoint}", json=body)
    assert_scim_error(response, 400, "invalidSyntax")
    assert (USER if endpoint == "Users" else GROUP) in response.json()["detail"]


@pytest.mark.parametrize("endpoint", ["Users", "Groups"])
async def test_a_patch_without_schemas_is_refused_the_same_way(
    client: httpx.AsyncClient, endpoint: str
) -> None:
    body = {"schemas": [USER], "userName": "x"} if endpoint == "Users" else None
    body = body or {"schemas": [GROUP], "displayName": "x"}
    created = (await client.post(f"/scim/v2/{endpoint}", json=body)).json()
    operations = {"Operations": [{"op": "replace", "path": "externalId", "value": "e"}]}
    response = await client.patch(f"/scim/v2/{endpoint}/{created['id']}", json=operations)
    assert_scim_error(response, 400, "invalidSyntax")
    assert "urn:ietf:params:scim:api:messages:2.0:PatchOp" in response.json()["detail"]
