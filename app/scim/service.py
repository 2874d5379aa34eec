"""One async function per SCIM operation; each write is one transaction opened here.

The service validates writes through scim2-models, turns them into the stored forms
(``app.scim.documents``) and commits before returning, so the HTTP layer only ever
answers for what is durably in the database (RFC 7644 §3).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from scim2_models import Context, InvalidSyntaxException, NotFoundException, Resource

from app.scim import patch as patching
from app.scim import policy
from app.scim.context import RequestContext
from app.scim.documents import canonical, render, search_document
from app.scim.errors import from_validation_error
from app.scim.etag import check_if_match
from app.scim.resources import ResourceKind
from app.scim.store import ListQuery, Page, ResourceWrite, Store, StoredResource, Transaction


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
    policy.foreign_schema_urns(kind, payload)
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
    write = to_write(kind, resource, Context.RESOURCE_CREATION_REQUEST)
    async with store.transaction(write=True) as tx:
        return await tx.insert(ctx.tenant, kind, write, _now())


async def get(
    store: Store, ctx: RequestContext, kind: ResourceKind, resource_id: str
) -> StoredResource:
    async with store.transaction(write=False) as tx:
        stored = await tx.get(ctx.tenant, kind, parse_id(kind, resource_id))
    if stored is None:
        raise _not_found(kind, resource_id)
    return stored


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
    async with store.transaction(write=True) as tx:
        current = await tx.get(ctx.tenant, kind, parse_id(kind, resource_id), for_update=True)
        if current is None:
            raise _not_found(kind, resource_id)
        check_if_match(if_match, current.version)
        if not replacement.replace(load(kind, current)):
            return current
        write = to_write(kind, replacement, Context.RESOURCE_REPLACEMENT_REQUEST)
        return await tx.update(ctx.tenant, kind, current, write, _now())


def patched(
    ctx: RequestContext,
    kind: ResourceKind,
    current: StoredResource,
    operations: patching.Operations,
) -> ResourceWrite | None:
    """What to store after ``operations``, or None when the document would not change.

    The result is validated like a PUT body, so a PATCH can store nothing a PUT could not
    (RFC 7644 §3.5.2: operations must respect the attributes' schema and mutability).
    """
    resource, changed = patching.apply(load(kind, current), operations)
    if not changed:
        return None
    context = Context.RESOURCE_REPLACEMENT_REQUEST
    result = validate(ctx, kind, resource.model_dump(scim_ctx=context, mode="json"), context)
    write = to_write(kind, result, context)
    return None if write.document == current.document else write


async def patch_locked(
    tx: Transaction,
    ctx: RequestContext,
    kind: ResourceKind,
    current: StoredResource,
    operations: patching.Operations,
) -> StoredResource:
    """Apply operations to a row ``tx`` holds locked; version and lastModified move only
    when the document changed (RFC 7644 §3.14). Groups call this for non-member operations.
    """
    write = patched(ctx, kind, current, operations)
    if write is None:
        return current
    return await tx.update(ctx.tenant, kind, current, write, _now())


async def patch(
    store: Store,
    ctx: RequestContext,
    kind: ResourceKind,
    resource_id: str,
    payload: Any,
    if_match: str | None,
    *,
    max_operations: int,
) -> StoredResource:
    """PATCH (RFC 7644 §3.5.2): all operations apply or none, on a locked row.

    The row lock (FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) makes concurrent
    PATCHes of one resource apply one after the other, so none loses another's update.
    """
    parsed = parse_id(kind, resource_id)
    operations = patching.parse(kind, payload, str(parsed), max_operations)
    async with store.transaction(write=True) as tx:
        current = await tx.get(ctx.tenant, kind, parsed, for_update=True)
        if current is None:
            raise _not_found(kind, resource_id)
        check_if_match(if_match, current.version)
        return await patch_locked(tx, ctx, kind, current, operations)


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


async def search(store: Store, ctx: RequestContext, query: ListQuery) -> Page:
    async with store.transaction(write=False) as tx:
        return await tx.list(ctx.tenant, query)


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
