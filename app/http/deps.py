"""FastAPI dependencies: the request's store, caller, context, body and preconditions."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from scim2_models import InvalidSyntaxException, InvalidValueException

from app.http.auth import authenticate
from app.scim.context import RequestContext
from app.scim.cursor import cursor_key
from app.scim.errors import UnsupportedMediaTypeException
from app.scim.query import QueryLimits
from app.scim.store import Store
from app.scim.text import unstorable
from app.settings import Settings

_JSON_TYPES = frozenset({"application/scim+json", "application/json"})

bearer_scheme = HTTPBearer(auto_error=False, description="A token from `python -m app token`")
"""Declared so /docs shows the Authorize button; the check itself is ``authenticate``."""


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[Store, Depends(_store)]


async def _tenant(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> str:
    return await authenticate(
        request.headers.get("authorization"),
        store,
        settings.bootstrap_token,
        settings.default_tenant,
    )


TenantDep = Annotated[str, Depends(_tenant)]


def base_url(request: Request, settings: Settings) -> str:
    """The absolute SCIM root for meta.location: configured, or taken from the request."""
    root = settings.public_base_url or str(request.base_url)
    return root.rstrip("/") + settings.base_path


async def _context(request: Request, tenant: TenantDep, settings: SettingsDep) -> RequestContext:
    return RequestContext(tenant=tenant, base_url=base_url(request, settings))


ContextDep = Annotated[RequestContext, Depends(_context)]


async def _limits(settings: SettingsDep) -> QueryLimits:
    return QueryLimits(
        default_count=settings.default_page_size,
        max_count=settings.max_page_size,
        max_filter_length=settings.max_filter_length,
        max_filter_depth=settings.max_filter_depth,
        max_filter_terms=settings.max_filter_terms,
        cursor_secret=cursor_key(settings.cursor_secret),
        cursor_ttl_seconds=settings.cursor_ttl_seconds,
    )


LimitsDep = Annotated[QueryLimits, Depends(_limits)]


async def _json_body(request: Request) -> Any:
    """The request body as JSON, from application/scim+json or application/json only."""
    raw = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if raw and media_type and media_type not in _JSON_TYPES:
        raise UnsupportedMediaTypeException(detail=f"unsupported content type {media_type!r}")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidSyntaxException(detail=f"the request body is not valid JSON: {exc}") from None
    # orjson already refuses lone surrogates; U+0000 can only arrive as this escape.
    if b"\\u0000" in raw and (reason := unstorable(body)):
        raise InvalidValueException(detail=reason)
    return body


BodyDep = Annotated[Any, Depends(_json_body)]

IfMatchDep = Annotated[str | None, Header(alias="If-Match")]
IfNoneMatchDep = Annotated[str | None, Header(alias="If-None-Match")]
