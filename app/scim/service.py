"""One async function per SCIM operation; each write is one transaction opened here.

The service validates writes through scim2-models, turns them into the stored forms
(``app.scim.documents``) and commits before returning, so the HTTP layer only ever
answers for what is durably in the database (RFC 7644 §3).
"""

from __future__ import annotations

import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from scim2_models import Context, InvalidSyntaxException, NotFoundException, Resource

from app.scim import groups, policy, relations
from app.scim.context import RequestContext
from app.scim.documents import canonical, render, search_document
from app.scim.errors import MethodNotAllowedException, from_validation_error
from app.scim.etag import check_if_match
from app.scim.resources import ResourceKind
from app.scim.store import ListQuery, Page, ResourceWrite, Store, StoredResource


def _now() -> datetime:
    return datetime.now(UTC)


def parse_id(kind: ResourceKind, resource_id: str) -> uuid.UUID:
    """Ids are UUIDs; anything else names no resource (404, not 400)."""
    try:
        return uuid.UUID(resource_id)
    except ValueError:
        raise _not_found(kind, resource_id) from None


def _not_found(kind: ResourceKind, resource_id: object) -> NotFoundException:
    return NotFoundException(detail=f"{kind.name} {resource_id} not found")


def validate(
    ctx: RequestContext, kind: ResourceKind, payload: Any, context: Context
) -> Resource[Any]:
    """Validate a request body as ``kind`` in ``context`` (creation or replacement)."""
    if not isinstance(payload, dict):
        raise InvalidSyntaxException(detail="the request body must be a JSON object")
    policy.drop_server_owned(payload)
    policy.manager_reference(payload, ctx.endpoint_url(kind))
    try:
        return kind.model.model_validate(payload, scim_ctx=context)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def to_write(kind: ResourceKind, resource: Resource[Any], context: Context) -> ResourceWrite:
    document = canonical(resource, context)
    return ResourceWrite(
        document=document, search=search_document(kind, document), keys=kind.keys(document)
    )


def load(kind: ResourceKind, stored: StoredResource) -> Resource[Any]:
    """The stored document as a model, for operations that compute on it (PUT, PATCH)."""
    return kind.model.model_validate({**stored.document, "id": str(stored.id)})


async def create(
    store: Store, ctx: RequestContext, kind: ResourceKind, payload: Any
) -> StoredResource:
    """POST (RFC 7644 §3.3): the database's unique index decides duplicates, not a lookup."""
    resource = validate(ctx, kind, payload, Context.RESOURCE_CREATION_REQUEST)
    members = groups.take_members(kind, resource)
    write = to_write(kind, resource, Context.RESOURCE_CREATION_REQUEST)
    async with store.transaction(write=True) as tx:
        stored = await tx.insert(ctx.tenant, kind, write, _now())
        if members is not None:
            await groups.write_members(tx, ctx.tenant, stored.id, members, new=True)
        return (await relations.attach(tx, ctx, [stored], relations.DEFAULT))[0]


async def get(
    store: Store,
    ctx: RequestContext,
    kind: ResourceKind,
    resource_id: str,
    wanted: relations.Wanted = relations.DEFAULT,
) -> StoredResource:
    async with store.transaction(write=False) as tx:
        stored = await tx.get(ctx.tenant, kind, parse_id(kind, resource_id))
        if stored is None:
            raise _not_found(kind, resource_id)
        return (await relations.attach(tx, ctx, [stored], wanted))[0]


async def open_members(
    store: Store, ctx: RequestContext, kind: ResourceKind, resource_id: str
) -> relations.MemberStream:
    """GET of a group whose members the response streams (see ``relations.MemberStream``)."""
    stack = AsyncExitStack()
    tx = await stack.enter_async_context(store.transaction(write=False))
    try:
        stored = await tx.get(ctx.tenant, kind, parse_id(kind, resource_id))
        if stored is None:
            raise _not_found(kind, resource_id)
    except BaseException:
        await stack.aclose()
        raise
    return relations.MemberStream(stack, tx, ctx, stored)


async def replace(
    store: Store,
    ctx: RequestContext,
    kind: ResourceKind,
    resource_id: str,
    payload: Any,
    if_match: str | None,
) -> StoredResource:
    """PUT (RFC 7644 §3.5.1): readOnly input ignored, immutable input must match."""
    replacement = validate(ctx, kind, payload, Context.RESOURCE_REPLACEMENT_REQUEST)
    members = groups.take_members(kind, replacement)
    async with store.transaction(write=True) as tx:
        current = await tx.get(ctx.tenant, kind, parse_id(kind, resource_id), for_update=True)
        if current is None:
            raise _not_found(kind, resource_id)
        check_if_match(if_match, current.version)
        changed = members is not None and await groups.write_members(
            tx, ctx.tenant, current.id, members
        )
        if replacement.replace(load(kind, current)) or changed:
            write = to_write(kind, replacement, Context.RESOURCE_REPLACEMENT_REQUEST)
            current = await tx.update(ctx.tenant, kind, current, write, _now())
        return (await relations.attach(tx, ctx, [current], relations.DEFAULT))[0]


async def delete(
    store: Store, ctx: RequestContext, kind: ResourceKind, resource_id: str, if_match: str | None
) -> None:
    async with store.transaction(write=True) as tx:
        parsed = parse_id(kind, resource_id)
        if if_match is not None:
            current = await tx.get(ctx.tenant, kind, parsed, for_update=True)
            if current is None:
                raise _not_found(kind, resource_id)
            check_if_match(if_match, current.version)
        if not await tx.delete(ctx.tenant, kind, parsed):
            raise _not_found(kind, resource_id)


async def search(
    store: Store,
    ctx: RequestContext,
    query: ListQuery,
    wanted: relations.Wanted = relations.DEFAULT,
) -> Page:
    async with store.transaction(write=False) as tx:
        page = await tx.list(ctx.tenant, query)
        return Page(page.total, await relations.attach(tx, ctx, page.resources, wanted))


async def patch(
    store: Store,
    ctx: RequestContext,
    kind: ResourceKind,
    resource_id: str,
    payload: Any,
    if_match: str | None,
    attributes: str | None = None,
) -> StoredResource:
    """PATCH (RFC 7644 §3.5.2). Per-kind hook: Groups patch membership rows (app.scim.groups)."""
    if groups.is_group(kind):
        return await groups.patch(
            store, ctx, kind, resource_id, payload, if_match, attributes=attributes
        )
    raise MethodNotAllowedException(detail=f"PATCH of {kind.name} is not supported yet")


def present(ctx: RequestContext, kind: ResourceKind, stored: StoredResource) -> dict[str, Any]:
    """The full representation served for a stored resource; never re-validated."""
    resource_id = str(stored.id)
    return render(
        kind,
        resource_id=resource_id,
        document=stored.document,
        version=stored.version,
        created=stored.created,
        last_modified=stored.last_modified,
        location=ctx.location(kind, resource_id),
    )


LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def list_response(ctx: RequestContext, query: ListQuery, page: Page) -> dict[str, Any]:
    """RFC 7644 §3.4.2: itemsPerPage is what this page holds, not what was asked for."""
    kinds = {kind.name: kind for kind in query.kinds}
    resources = [present(ctx, kinds[r.resource_type], r) for r in page.resources]
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": page.total,
        "itemsPerPage": len(resources),
        "startIndex": query.start_index,
        "Resources": resources,
    }
