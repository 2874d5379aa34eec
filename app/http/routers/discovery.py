"""Discovery endpoints (RFC 7644 §4): read-only, generated from the served models."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from app.http.deps import ContextDep, SettingsDep
from app.http.responses import scim
from app.scim import discovery
from app.scim.discovery import Capabilities

router = APIRouter(tags=["Discovery"])


def capabilities(settings: SettingsDep) -> Capabilities:
    return Capabilities(
        patch=True,
        sort=True,
        max_results=settings.max_page_size,
        default_page_size=settings.default_page_size,
        cursor=True,
        cursor_timeout=settings.cursor_ttl_seconds,
    )


@router.get("/ServiceProviderConfig")
async def service_provider_config(ctx: ContextDep, settings: SettingsDep) -> Response:
    return scim(discovery.service_provider_config(capabilities(settings), ctx.base_url))


@router.get("/ResourceTypes")
async def resource_types(ctx: ContextDep) -> Response:
    return scim(discovery.list_response(discovery.resource_types(ctx.base_url)))


@router.get("/ResourceTypes/{name}")
async def resource_type(ctx: ContextDep, name: str) -> Response:
    return scim(discovery.resource_type(name, ctx.base_url))


@router.get("/Schemas")
async def schemas(ctx: ContextDep) -> Response:
    return scim(discovery.list_response(discovery.schemas(ctx.base_url)))


@router.get("/Schemas/{urn}")
async def schema(ctx: ContextDep, urn: str) -> Response:
    return scim(discovery.schema(urn, ctx.base_url))
