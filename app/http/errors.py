"""Every failure becomes a SCIM Error envelope (RFC 7644 §3.12): nothing else leaves."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from scim2_models import (
    InvalidValueException,
    NotFoundException,
    SCIMException,
    UnauthorizedException,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.http.responses import ScimResponse
from app.scim import observed
from app.scim.errors import InternalErrorException, MethodNotAllowedException

logger = logging.getLogger("app.http")

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def error_response(exc: SCIMException, headers: dict[str, str] | None = None) -> ScimResponse:
    body = {"schemas": [ERROR_SCHEMA], "status": str(exc.status), "detail": exc.detail}
    if exc.scim_type:
        body["scimType"] = exc.scim_type
    headers = dict(headers or {})
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="scim"'
    if exc.status in (429, 503):
        headers.setdefault("Retry-After", "1")
    if (record := observed.current()) is not None:
        record.scim_type = exc.scim_type
        if exc.status >= 500:
            record.error = type(exc.__cause__ or exc).__name__
            record.cause = exc.detail
    return ScimResponse(body, status_code=exc.status, headers=headers)


async def _scim(_request: Request, exc: Exception) -> ScimResponse:
    assert isinstance(exc, SCIMException)
    return error_response(exc)


_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


def _allowed(request: Request) -> str:
    """Every method some operation serves at this path (RFC 9110 §15.5.6: a 405 MUST say),
    read from the OpenAPI document, which FastAPI builds once and keeps."""
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)), path):
            methods |= {m.upper() for m in operations if m in _METHODS}
    return ", ".join(sorted(methods))


async def _http(request: Request, exc: Exception) -> ScimResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(NotFoundException(detail="no such endpoint"))
    if exc.status_code == 405:
        return error_response(MethodNotAllowedException(), {"Allow": _allowed(request)})
    if exc.status_code == 401:
        return error_response(UnauthorizedException(detail=str(exc.detail)))
    error = SCIMException(detail=str(exc.detail))
    error.status = exc.status_code
    return error_response(error)


async def _request_validation(_request: Request, exc: Exception) -> ScimResponse:
    assert isinstance(exc, RequestValidationError)
    parts = [
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in exc.errors()[:5]
    ]
    return error_response(InvalidValueException(detail="; ".join(parts)))


async def _unexpected(_request: Request, exc: Exception) -> ScimResponse:
    logger.exception("unhandled error", exc_info=exc)
    return error_response(InternalErrorException())


def install(app: FastAPI) -> None:
    app.add_exception_handler(SCIMException, _scim)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(Exception, _unexpected)
