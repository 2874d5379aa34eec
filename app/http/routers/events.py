"""``GET /events`` and ``GET /events/position``: the pull feed, JSON, outside the SCIM base
path (issue 12). The logic is ``app.delivery.feed``; this is its HTTP edge."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from scim2_models import InvalidValueException
from starlette.responses import Response

from app.delivery import feed
from app.http.deps import runtime
from app.http.errors import ERROR_SCHEMA
from app.http.event_auth import events_tenant
from app.http.params import Param, documented

TAGS: list[Any] = ["Events"]
FEED = (
    Param(
        "after", "query", "The last sequence applied; events after it come (default 0)", "integer"
    ),
    Param(
        "limit",
        "query",
        f"At most this many events (default 100, at most {feed.MAX_LIMIT})",
        "integer",
    ),
    Param(
        "wait",
        "query",
        f"Seconds to wait for the first event (at most {feed.MAX_WAIT:g})",
        "number",
    ),
)


def _json(content: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


def _number(request: Request, name: str, default: float, low: float, high: float) -> float:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = float(raw) if name == "wait" else int(raw)
    except ValueError:
        raise InvalidValueException(detail=f"{name}: {raw!r} is not a number") from None
    if not low <= value <= high:
        raise InvalidValueException(detail=f"{name} must be between {low:g} and {high:g}")
    return value


def _gone(exc: feed.EventsGone) -> Response:
    detail = (
        f"the events after {exc.after} are no longer kept (retention): resynchronise with a"
        " full SCIM read, taking GET /events/position first, then follow from there"
    )
    body = {
        "schemas": [ERROR_SCHEMA],
        "status": "410",
        "detail": detail,
        "oldest": exc.oldest,
        "position": exc.position,
    }
    return _json(body, 410)


def install(app: FastAPI) -> None:
    @app.get("/events", tags=TAGS, openapi_extra=documented(*FEED))
    async def events(request: Request) -> Response:
        tenant = await events_tenant(request)
        after = int(_number(request, "after", 0, 0, 2**62))
        limit = int(_number(request, "limit", feed.DEFAULT_LIMIT, 1, feed.MAX_LIMIT))
        wait = _number(request, "wait", 0.0, 0.0, feed.MAX_WAIT)
        try:
            page = await feed.read(runtime(request).store, tenant, after, limit, wait)
        except feed.EventsGone as exc:
            return _gone(exc)
        return _json({"events": page.events, "next_after": page.next_after})

    @app.get("/events/position", tags=TAGS)
    async def position(request: Request) -> Response:
        tenant = await events_tenant(request)
        oldest, newest = await runtime(request).store.event_bounds(tenant)
        return _json({"position": newest, "oldest": oldest})
