"""Discovery endpoints (RFC 7644 §4): read-only, generated from the served models."""

from __future__ import annotations

from enum import Enum

from fastapi import FastAPI, Request
from starlette.responses import Response

from app.http.deps import caller, runtime
from app.http.responses import scim
from app.scim import discovery
from app.scim.discovery import Capabilities
from app.settings import Settings

TAGS: list[str | Enum] = ["Discovery"]


def capabilities(settings: Settings) -> Capabilities:
    return Capabilities(
        patch=True,
        sort=True,
        max_results=settings.max_page_size,
        default_page_size=settings.default_page_size,
        cursor=True,
        cursor_timeout=settings.cursor_ttl_seconds,
    )


def install(app: FastAPI, prefix: str) -> None:
    """The discovery routes, on ``app`` itself (see ``routers.resources.install``)."""

    @app.get(prefix + "/ServiceProviderConfig", tags=TAGS)
    async def service_provider_config(request: Request) -> Response:
        ctx = await caller(request)
        config = capabilities(runtime(request).settings)
        return scim(discovery.service_provider_config(config, ctx.base_url))

    @app.get(prefix + "/ResourceTypes", tags=TAGS)
    async def resource_types(request: Request) -> Response:
        ctx = await caller(request)
        return scim(
            discovery.list_response(discovery.resource_types(runtime(request).kinds, ctx.base_url))
        )

    @app.get(prefix + "/ResourceTypes/{name}", tags=TAGS)
    async def resource_type(request: Request, name: str) -> Response:
        ctx = await caller(request)
        return scim(discovery.resource_type(runtime(request).kinds, name, ctx.base_url))

    @app.get(prefix + "/Schemas", tags=TAGS)
    async def schemas(request: Request) -> Response:
        ctx = await caller(request)
        return scim(
            discovery.list_response(discovery.schemas(runtime(request).kinds, ctx.base_url))
        )

    @app.get(prefix + "/Schemas/{urn}", tags=TAGS)
    async def schema(request: Request, urn: str) -> Response:
        ctx = await caller(request)
        return scim(discovery.schema(runtime(request).kinds, urn, ctx.base_url))
