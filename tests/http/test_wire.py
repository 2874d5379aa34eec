"""Wire rules: media types, body limits, unknown routes, and errors that leak nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import MakeApp, assert_scim_error, client_for, user_payload


async def test_other_content_type_with_body_is_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/scim/v2/Users", content=b"userName=x", headers={"Content-Type": "text/plain"}
    )
    assert_scim_error(response, 415)


async def test_body_over_the_limit_is_413(make_app: MakeApp) -> None:
    async with client_for(make_app(max_body_bytes=2048)) as client:
        payload = user_payload("big", displayName="x" * 4096)
        response = await client.post("/scim/v2/Users", json=payload)
        assert_scim_error(response, 413)
        assert (await client.get("/scim/v2/Users")).json()["totalResults"] == 0


async def test_chunked_body_over_the_limit_is_413(make_app: MakeApp) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], '
        yield b'"displayName": "' + b"x" * 4096 + b'", "userName": "big"}'

    async with client_for(make_app(max_body_bytes=2048)) as client:
        response = await client.post(
            "/scim/v2/Users", content=chunks(), headers={"Content-Type": "application/scim+json"}
        )
        assert_scim_error(response, 413)


async def test_unknown_endpoint_is_404_envelope(client: httpx.AsyncClient) -> None:
    assert_scim_error(await client.get("/scim/v2/Widgets"), 404)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path", ["/scim/v2/ServiceProviderConfig", "/scim/v2/Schemas", "/scim/v2/ResourceTypes"]
)
async def test_writes_to_discovery_are_405(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={})
    assert_scim_error(response, 405)
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/scim/v2/Users", "GET, POST"),
        ("/scim/v2/Users/6f1c2b8e-0000-4000-8000-000000000000", "DELETE, GET, PATCH, PUT"),
        ("/scim/v2/.search", "POST"),
    ],
)
async def test_405_lists_the_methods_the_path_serves(
    client: httpx.AsyncClient, path: str, allowed: str
) -> None:
    response = await client.request("TRACE", path)
    assert_scim_error(response, 405)
    assert response.headers["allow"] == allowed


async def test_query_parameter_of_wrong_type_is_400_not_422(client: httpx.AsyncClient) -> None:
    assert_scim_error(await client.get("/scim/v2/Users?count=many"), 400, "invalidValue")


class _BrokenStore:
    """A store whose every transaction fails with an internal error."""

    def __init__(self, real: Any, error: Exception) -> None:
        self.real = real
        self.error = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    @asynccontextmanager
    async def transaction(self, *, write: bool, snapshot: bool = False) -> AsyncIterator[None]:
        raise self.error
        yield


async def test_unexpected_error_is_500_without_internals(app: FastAPI) -> None:
    broken = _BrokenStore(app.state.store, RuntimeError("secret-internal-detail"))
    app.state.runtime = dataclasses.replace(app.state.runtime, store=broken)
    async with client_for(app) as client:
        response = await client.get("/scim/v2/Users")
    assert_scim_error(response, 500)
    assert "secret-internal-detail" not in response.text
    assert "Traceback" not in response.text


async def test_unreachable_database_is_503_with_retry_after(make_app: MakeApp) -> None:
    app = make_app(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    async with client_for(app) as client:
        response = await client.get('/scim/v2/Users?filter=userName eq "x"')
    assert_scim_error(response, 503)
    assert response.headers["retry-after"] == "1"
