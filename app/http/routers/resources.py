"""CRUD and list endpoints for one resource type (RFC 7644 §3.3-§3.6), built per kind."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from enum import Enum

from fastapi import FastAPI, Request
from starlette.responses import Response

from app.http import params
from app.http.auth import CATALOG
from app.http.deps import caller, json_body, runtime
from app.http.openapi import patch_body, request_body, responses
from app.http.responses import empty, scim, scim_streamed
from app.scim import catalog, service
from app.scim.context import RequestContext
from app.scim.errors import MethodNotAllowedException
from app.scim.etag import etag, not_modified
from app.scim.listing import list_response
from app.scim.patch import PatchLimits
from app.scim.projection import Projection
from app.scim.query import list_query
from app.scim.relations import Wanted, streams
from app.scim.resources import ResourceKind
from app.scim.store import Store, StoredResource


def _resource(
    ctx: RequestContext,
    kind: ResourceKind,
    stored: StoredResource,
    *,
    status_code: int = 200,
    projection: Projection | None = None,
) -> Response:
    body = (projection or Projection()).apply(service.present(ctx, kind, stored), kind)
    location = body["meta"]["location"] if status_code == 201 else None
    return scim(body, status_code=status_code, etag=etag(stored.version), location=location)


async def _streamed(
    ctx: RequestContext,
    store: Store,
    kind: ResourceKind,
    resource_id: str,
    if_none_match: str | None,
) -> Response:
    """A full group GET: members streamed in batches, memory flat at any group size."""
    stream = await service.open_members(store, ctx, kind, resource_id)
    tag = etag(stream.stored.version)
    if not_modified(if_none_match, stream.stored.version):
        await stream.aclose()
        return empty(304, etag=tag)
    head = Projection().apply(service.present(ctx, kind, stream.stored), kind)
    return scim_streamed(head, kind.members or "", stream.batches(), etag=tag)


Handler = Callable[..., Awaitable[Response]]


async def _catalog_writer(request: Request, kind: ResourceKind) -> RequestContext:
    """The context of a caller whose token may write catalogues (scope ``catalog``); any
    other caller gets 405, as for discovery endpoints (RFC 7644 §3.12)."""
    authorization = request.headers.get("authorization")
    if await runtime(request).authenticator.holds(authorization, CATALOG):
        return await caller(request, CATALOG)
    raise MethodNotAllowedException(
        detail=f"{kind.endpoint} is read-only to identity providers: the application "
        "manages it (python -m app catalog, or a token of scope catalog)"
    )


async def _catalog_put(
    request: Request, kind: ResourceKind, writer: RequestContext, resource_id: str | None
) -> Response:
    body = await json_body(request)
    if resource_id is not None and isinstance(body, dict):
        body = {**body, "id": resource_id}
    store = runtime(request).store
    stored, new = await catalog.put(store, writer.tenant, kind, body, service.now())
    created = new and resource_id is None
    return _resource(writer, kind, stored, status_code=201 if created else 200)


def _catalog_write(kind: ResourceKind) -> Callable[[Handler], Handler]:
    """A catalogue (Okta Roles, Entitlements) is written by the application, with the CLI
    or a token of scope ``catalog`` (POST or PUT an entry in its served form, with the
    application's own id; DELETE it); the write handlers of other kinds are kept as they are.
    """

    def catalog_aware(handler: Handler) -> Handler:
        if not kind.catalog:
            return handler

        @functools.wraps(handler)
        async def write(request: Request, resource_id: str | None = None) -> Response:
            writer = await _catalog_writer(request, kind)
            if handler.__name__ == "delete":
                assert resource_id is not None
                store = runtime(request).store
                await catalog.remove(store, writer.tenant, kind, resource_id, service.now())
                return empty(204)
            if handler.__name__ == "patch":
                raise MethodNotAllowedException(
                    detail=f"{kind.endpoint} entries are replaced whole with PUT, not patched"
                )
            return await _catalog_put(request, kind, writer, resource_id)

        return write

    return catalog_aware


def install(app: FastAPI, prefix: str, kind: ResourceKind) -> None:
    """Add ``kind``'s routes to ``app`` itself: routes of included routers are matched
    through FastAPI's per-request include machinery, which costs about 60 µs a level."""
    base = f"{prefix}{kind.endpoint}"
    name = kind.name.lower()
    plural = kind.endpoint.strip("/")
    tags: list[str | Enum] = [plural]

    @app.post(
        base,
        tags=tags,
        status_code=201,
        operation_id=f"create_{name}",
        openapi_extra={**request_body(kind), **params.documented(*params.PROJECTION)},
        responses=responses(kind, 201),
    )
    @_catalog_write(kind)
    async def create(request: Request) -> Response:
        ctx, store = await caller(request), runtime(request).store
        stored = await service.create(store, ctx, kind, await json_body(request))
        return _resource(ctx, kind, stored, status_code=201, projection=params.projection(request))

    @app.get(
        base,
        tags=tags,
        operation_id=f"list_{plural.lower()}",
        openapi_extra=params.documented(*params.LISTING, *params.PROJECTION),
        responses=responses(kind, 200, listed=True),
    )
    async def list_all(request: Request) -> Response:
        ctx, built = await caller(request), runtime(request)
        projection = params.projection(request)
        listed = params.list_params(request).arguments()
        query = list_query([kind], **listed, limits=built.limits, tenant=ctx.tenant)
        page = await service.search(built.store, ctx, query, Wanted(projection))
        return scim(list_response(ctx, query, page, projection, built.limits))

    @app.get(
        base + "/{resource_id}",
        tags=tags,
        operation_id=f"get_{name}",
        openapi_extra=params.documented(*params.PROJECTION, params.IF_NONE_MATCH),
        responses=responses(kind, 200),
    )
    async def read(request: Request, resource_id: str) -> Response:
        ctx, store = await caller(request), runtime(request).store
        projection = params.projection(request)
        if_none_match = params.header(request, params.IF_NONE_MATCH)
        wanted = Wanted(projection)
        if streams(kind, wanted):
            return await _streamed(ctx, store, kind, resource_id, if_none_match)
        stored = await service.get(store, ctx, kind, resource_id, wanted)
        if not_modified(if_none_match, stored.version):
            return empty(304, etag=etag(stored.version))
        return _resource(ctx, kind, stored, projection=projection)

    @app.put(
        base + "/{resource_id}",
        tags=tags,
        operation_id=f"replace_{name}",
        openapi_extra={
            **request_body(kind),
            **params.documented(*params.PROJECTION, params.IF_MATCH),
        },
        responses=responses(kind, 200),
    )
    @_catalog_write(kind)
    async def replace(request: Request, resource_id: str) -> Response:
        ctx, store = await caller(request), runtime(request).store
        body, if_match = await json_body(request), params.header(request, params.IF_MATCH)
        stored = await service.replace(store, ctx, kind, resource_id, body, if_match)
        return _resource(ctx, kind, stored, projection=params.projection(request))

    @app.patch(
        base + "/{resource_id}",
        tags=tags,
        operation_id=f"patch_{name}",
        openapi_extra={
            **patch_body(kind),
            **params.documented(*params.PROJECTION, params.IF_MATCH),
        },
        responses={
            **responses(kind, 200),
            **({204: {"description": "Patched"}} if kind.members else {}),
        },
    )
    @_catalog_write(kind)
    async def patch(request: Request, resource_id: str) -> Response:
        ctx, built = await caller(request), runtime(request)
        settings, projection = built.settings, params.projection(request)
        # RFC 7644 §3.5.2: a 200 carries the entire resource (subject to attributes), so a
        # group answers 204 unless the request asks for a body or SCIM_GROUP_PATCH_RETURNS
        # is full; a 204 never reads the members.
        asked = bool(projection.attributes or projection.excluded)
        silent = bool(kind.members) and settings.group_patch_returns == "no_content" and not asked
        stored = await service.patch(
            built.store,
            ctx,
            kind,
            resource_id,
            await json_body(request),
            params.header(request, params.IF_MATCH),
            limits=PatchLimits(settings.max_patch_operations, settings.max_patch_list_entries),
            wanted=Wanted(projection, default=not silent),
        )
        if silent:
            return empty(204, etag=etag(stored.version))
        return _resource(ctx, kind, stored, projection=projection)

    @app.delete(
        base + "/{resource_id}",
        tags=tags,
        status_code=204,
        operation_id=f"delete_{name}",
        openapi_extra=params.documented(params.IF_MATCH),
        responses=responses(kind, 204),
    )
    @_catalog_write(kind)
    async def delete(request: Request, resource_id: str) -> Response:
        ctx, store = await caller(request), runtime(request).store
        if_match = params.header(request, params.IF_MATCH)
        await service.delete(store, ctx, kind, resource_id, if_match)
        return empty(204)
