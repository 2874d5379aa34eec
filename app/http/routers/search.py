"""POST ``/{Resources}/.search`` and ``/.search`` (RFC 7644 §3.4.3) with SearchRequest bodies."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI, Request
from starlette.responses import Response

from app.http.deps import caller, json_body, runtime
from app.http.openapi import ERRORS, search_body
from app.http.responses import scim
from app.scim import service
from app.scim.listing import list_response
from app.scim.query import search_request
from app.scim.relations import Wanted
from app.scim.resources import ResourceKind


def install(app: FastAPI, path: str, kinds: Sequence[ResourceKind], name: str) -> None:
    """``path`` is ``.../Users/.search`` for one resource type, ``.../.search`` for all."""

    @app.post(
        path,
        operation_id=f"search_{name}",
        tags=["Search"],
        openapi_extra=search_body(),
        responses=ERRORS,
    )
    async def search(request: Request) -> Response:
        ctx, built = await caller(request), runtime(request)
        body = await json_body(request)
        query, projection = search_request(kinds, body, built.limits, tenant=ctx.tenant)
        page = await service.search(built.store, ctx, query, Wanted(projection))
        return scim(list_response(ctx, query, page, projection, built.limits))
