"""What a handler needs from its request: the caller, the context, the body.

Handlers take the ``Request`` and call these functions instead of declaring ``Depends``,
``Query`` and ``Header`` parameters: FastAPI resolves each of those with pydantic machinery
that costs about 20 µs apiece, and a SCIM read would spend more on it than on its database
query. The OpenAPI document learns the parameters from ``app.http.params`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request
from scim2_models import InvalidSyntaxException, InvalidValueException, UnauthorizedException

from app.http import origin
from app.http.auth import INVALID_TOKEN, SCIM, Authenticator, require_scope
from app.scim.context import RequestContext
from app.scim.errors import UnsupportedMediaTypeException
from app.scim.query import QueryLimits
from app.scim.resources import BUILTIN, Registry
from app.scim.store import Store
from app.scim.text import unstorable
from app.settings import Settings

_JSON_TYPES = frozenset({"application/scim+json", "application/json"})


@dataclass(frozen=True, slots=True)
class Runtime:
    """What ``create_app`` builds once and every request reads (kept on ``app.state``)."""

    settings: Settings
    store: Store
    authenticator: Authenticator
    limits: QueryLimits
    kinds: Registry = BUILTIN


def runtime(request: Request) -> Runtime:
    built: Runtime = request.app.state.runtime
    return built


def base_url(request: Request, settings: Settings, tenant: str | None = None) -> str:
    """The absolute SCIM root for meta.location: configured, or taken from the request;
    under ``/t/{tenant}`` when tenants are served at their own paths."""
    path = f"/t/{tenant}{settings.base_path}" if tenant is not None else settings.base_path
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/") + path
    scope = request.scope
    host = request.headers.get("host")
    if host is None:
        return str(request.base_url).rstrip("/") + path
    return f"{scope['scheme']}://{host}{scope.get('root_path', '')}{path}"


async def caller(request: Request, scope: str = SCIM) -> RequestContext:
    """The authenticated caller's context (401 without a valid bearer token of ``scope``).

    With ``SCIM_TENANT_IN_PATH`` the URL names a tenant: a token of another tenant gets
    the very 401 an unknown token gets, so the URL reveals nothing about which exist.
    """
    principal = await require_scope(request, scope)
    settings = runtime(request).settings
    tenant = principal.tenant
    if settings.tenant_in_path and request.path_params.get("tenant") != tenant:
        raise UnauthorizedException(detail=INVALID_TOKEN)
    return RequestContext(
        tenant=tenant,
        base_url=base_url(request, settings, tenant if settings.tenant_in_path else None),
        request_id=origin.request_id(request),
        token=principal.token_name,
        client=origin.client(request.headers.get("user-agent")),
    )


async def json_body(request: Request) -> Any:
    """The request body as JSON, from application/scim+json or application/json only."""
    raw = await request.body()
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if raw and media_type and media_type not in _JSON_TYPES:
        raise UnsupportedMediaTypeException(
            detail=f"unsupported content type {media_type!r}; send application/scim+json "
            "or application/json"
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidSyntaxException(detail=f"the request body is not valid JSON: {exc}") from None
    # orjson already refuses lone surrogates; U+0000 can only arrive as this escape.
    if b"\\u0000" in raw and (reason := unstorable(body)):
        raise InvalidValueException(detail=reason)
    return body
