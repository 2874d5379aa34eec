"""One async function per SCIM operation; each write is one transaction opened here.

The service validates writes through scim2-models, turns them into the stored forms
(``app.scim.documents``) and commits before returning, so the HTTP layer only ever
answers for what is durably in the database (RFC 7644 §3).
"""

from __future__ import annotations

import dataclasses
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidSyntaxException,
    InvalidValueException,
    NotFoundException,
    Resource,
)

from app.scim import adapters, catalog, constraints, events, groups, policy, relations
from app.scim import patch as patching
from app.scim.context import RequestContext
from app.scim.documents import canonical, render, search_document
from app.scim.errors import from_validation_error
from app.scim.etag import check_if_match
from app.scim.groups import MemberChange
from app.scim.resources import GROUP, ResourceKind
from app.scim.schemas_rule import require_patch_schemas, require_resource_schemas
from app.scim.store import (
    Emitter,
    ListQuery,
    Page,
    ResourceWrite,
    Store,
    StoredResource,
    Transaction,
)
from app.scim.text import catalog_row, issued_id, too_long


def now() -> datetime:
    """The time a write stamps on what it changes."""
    return datetime.now(UTC)


def parse_id(ctx: RequestContext, kind: ResourceKind, resource_id: str) -> uuid.UUID:
    """Ids as this service writes them (``issued_id``); anything else names no resource (404).
    A catalogue's ids are the application's own, each naming one row (``catalog_row``)."""
    if kind.catalog:
        return catalog_row(ctx.tenant, kind, resource_id)
    parsed = issued_id(resource_id)
    if parsed is None:
        raise _not_found(kind, resource_id)
    return parsed


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
    require_resource_schemas(kind, payload)
    policy.manager_reference(payload, ctx.endpoint_url(kind))
    try:
        return kind.model.model_validate(payload, scim_ctx=context)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def to_write(kind: ResourceKind, resource: Resource[Any], context: Context) -> ResourceWrite:
    return rewrite(kind, canonical(kind, resource, context))


def rewrite(kind: ResourceKind, document: dict[str, Any]) -> ResourceWrite:
    """The stored forms of a canonical document."""
    keys = kind.keys(document)
    if keys.name_key == "":
        raise InvalidValueException(detail=f"{kind.name_attribute} must not be empty")
    reason = (
        (too_long(kind.name_attribute or "", keys.name_key) if keys.name_key else None)
        or too_long("externalId", keys.external_id)
        or too_long("displayName", keys.display_name)
    )
    if reason:
        raise InvalidValueException(detail=reason)
    unique = constraints.check(kind, document) if kind.checked else ()
    return ResourceWrite(
        document=document, search=search_document(kind, document), keys=keys, unique=unique
    )


def load(kind: ResourceKind, stored: StoredResource) -> Resource[Any]:
    """The stored document as a model, for operations that compute on it (PUT, PATCH)."""
    served_id = stored.document.get("id") if kind.catalog else str(stored.id)
    with adapters.stored_emails():
        return kind.model.model_validate({**stored.document, "id": served_id})


def _snap(kind: ResourceKind, stored: StoredResource) -> events.Snapshot:
    return events.Snapshot(
        kind, stored.id, stored.version, stored.created, stored.last_modified, stored.document
    )


def _created(ctx: RequestContext, kind: ResourceKind) -> Emitter:
    return lambda stored: [events.created(ctx, _snap(kind, stored))]


def _changes(
    ctx: RequestContext,
    kind: ResourceKind,
    before: StoredResource,
    after: StoredResource,
    change: MemberChange,
) -> list[events.NewEvent]:
    """The events of a PUT or PATCH: none when nothing changed (RFC 7644 §3.5.2 no-op)."""
    if after is before:
        return []
    snap = _snap(kind, after)
    made = events.updated(ctx, before.document, snap)
    return made + events.members(ctx, snap, change.added, change.removed)


async def create(
    store: Store, ctx: RequestContext, kind: ResourceKind, payload: Any
) -> StoredResource:
    """POST (RFC 7644 §3.3): the database's unique index decides duplicates, not a lookup."""
    resource = validate(ctx, kind, payload, Context.RESOURCE_CREATION_REQUEST)
    members = groups.take_members(kind, resource)
    write = to_write(kind, resource, Context.RESOURCE_CREATION_REQUEST)
    if (members is None or not members.target()) and not kind.checked_in_store:
        # One statement: a new resource has no members and belongs to no group yet.
        emit = _created(ctx, kind) if store.events else None
        async with store.transaction(write=True, single=True) as tx:
            return await tx.insert(ctx.tenant, kind, write, now(), emit=emit)
    async with store.transaction(write=True) as tx:
        if kind.assigned:
            write = await catalog.assigned(tx, ctx.tenant, kind, write)
        stored = await tx.insert(ctx.tenant, kind, write, now())
        change = MemberChange()
        if members is not None:
            change = await groups.write_members(tx, kind, ctx.tenant, stored.id, members, new=True)
        attached = (await relations.attach(tx, ctx, [kind], [stored], relations.DEFAULT))[0]
        if store.events:
            snap = _snap(kind, stored)
            made = [events.created(ctx, snap), *events.members(ctx, snap, change.added, ())]
            await tx.emit(ctx.tenant, made, now())
        return attached


async def get(
    store: Store,
    ctx: RequestContext,
    kind: ResourceKind,
    resource_id: str,
    wanted: relations.Wanted = relations.DEFAULT,
) -> StoredResource:
    with_groups = relations.wants_groups([kind], wanted)
    snapshot = relations.reads_members([kind], wanted)
    async with store.transaction(write=False, snapshot=snapshot) as tx:
        stored = await tx.get(
            ctx.tenant, kind, parse_id(ctx, kind, resource_id), with_groups=with_groups
        )
        if stored is None:
            raise _not_found(kind, resource_id)
        return (await relations.attach(tx, ctx, [kind], [stored], wanted))[0]


async def open_members(
    store: Store, ctx: RequestContext, kind: ResourceKind, resource_id: str
) -> relations.MemberStream:
    """GET of a group whose members the response streams (see ``relations.MemberStream``)."""
    stack = AsyncExitStack()
    tx = await stack.enter_async_context(store.transaction(write=False, snapshot=True))
    try:
        stored = await tx.get(ctx.tenant, kind, parse_id(ctx, kind, resource_id))
        if stored is None:
            raise _not_found(kind, resource_id)
    except BaseException:
        await stack.aclose()
        raise
    return relations.MemberStream(stack, tx, ctx, kind, stored)


async def _locked(
    tx: Transaction, ctx: RequestContext, kind: ResourceKind, resource_id: str, if_match: str | None
) -> StoredResource:
    """The row a write will change, locked until commit, after the If-Match check (§3.14)."""
    current = await tx.get(
        ctx.tenant,
        kind,
        parse_id(ctx, kind, resource_id),
        for_update=True,
        with_groups=relations.wants_groups([kind], relations.DEFAULT),
    )
    if current is None:
        raise _not_found(kind, resource_id)
    check_if_match(if_match, current.version)
    return current


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
        current = before = await _locked(tx, ctx, kind, resource_id, if_match)
        change = MemberChange()
        if members is not None:
            change = await groups.write_members(tx, kind, ctx.tenant, current.id, members)
        if replacement.replace(load(kind, current)) or change:
            write = to_write(kind, replacement, Context.RESOURCE_REPLACEMENT_REQUEST)
            if kind.assigned:
                write = await catalog.assigned(tx, ctx.tenant, kind, write)
            emit = _changed(store, ctx, kind, before, change)
            current = await tx.update(ctx.tenant, kind, current, write, now(), emit=emit)
        return (await relations.attach(tx, ctx, [kind], [current], relations.DEFAULT))[0]


def _changed(
    store: Store,
    ctx: RequestContext,
    kind: ResourceKind,
    before: StoredResource,
    change: MemberChange,
) -> Emitter | None:
    """The events of a PUT or PATCH, from the row it stores (written with the update)."""
    if not store.events:
        return None
    return lambda after: _changes(ctx, kind, before, after, change)


def patched(
    ctx: RequestContext,
    kind: ResourceKind,
    current: StoredResource,
    operations: patching.Operations,
    max_list_entries: int = patching.DEFAULT_LIST_ENTRIES,
) -> ResourceWrite | None:
    """What to store after ``operations``, or None when the document would not change.

    scim2-models validates every value an operation writes and refuses what breaks the
    schema's mutability and required rules (RFC 7644 §3.5.2), so the patched resource is
    stored as dumped; validating it again as a PUT body would cost another full pass.
    """
    resource, changed = patching.apply(load(kind, current), operations, max_list_entries)
    if not changed:
        return None
    document = canonical(kind, resource, Context.RESOURCE_REPLACEMENT_REQUEST)
    policy.manager_reference(document, ctx.endpoint_url(kind))
    write = rewrite(kind, document)
    return None if write.document == current.document else write


async def patch_locked(
    tx: Transaction,
    ctx: RequestContext,
    kind: ResourceKind,
    current: StoredResource,
    operations: patching.Operations,
    limits: patching.PatchLimits,
    *,
    touched: bool = False,
    emit: Emitter | None = None,
) -> StoredResource:
    """Apply operations to a row ``tx`` holds locked; version and lastModified move only
    when the document changed or ``touched`` says its membership rows did (RFC 7644 §3.14).
    """
    write = patched(ctx, kind, current, operations, limits.list_entries) if operations else None
    if write is None and touched:
        write = rewrite(kind, current.document)
    if write is None:
        return current
    if kind.assigned:
        write = await catalog.assigned(tx, ctx.tenant, kind, write)
    return await tx.update(ctx.tenant, kind, current, write, now(), emit=emit)


async def _patch_unlocked(
    store: Store,
    ctx: RequestContext,
    kind: ResourceKind,
    resource_id: str,
    operations: patching.Operations,
    if_match: str | None,
    limits: patching.PatchLimits,
    wanted: relations.Wanted,
) -> StoredResource | None:
    """Read, patch, and write back only if the version is still the one read: two
    statements in autocommit instead of BEGIN, a locking read, the write and COMMIT (half
    the round trips of the locked path, which profiles showed as 40 % of a PATCH). None
    when another write came first; the caller then takes the locked path."""
    with_groups = relations.wants_groups([kind], relations.DEFAULT)
    async with store.transaction(write=False) as tx:
        parsed = parse_id(ctx, kind, resource_id)
        current = await tx.get(ctx.tenant, kind, parsed, with_groups=with_groups)
    if current is None:
        raise _not_found(kind, resource_id)
    check_if_match(if_match, current.version)
    write = patched(ctx, kind, current, operations, limits.list_entries) if operations else None
    if write is None:
        return (await relations.attach(tx, ctx, [kind], [current], wanted))[0]
    emit = _changed(store, ctx, kind, current, MemberChange())
    async with store.transaction(write=True, single=True) as tx:
        updated = await tx.update_unless_changed(ctx.tenant, kind, current, write, now(), emit=emit)
        return (
            None
            if updated is None
            else (await relations.attach(tx, ctx, [kind], [updated], wanted))[0]
        )


async def patch(
    store: Store,
    ctx: RequestContext,
    kind: ResourceKind,
    resource_id: str,
    payload: Any,
    if_match: str | None,
    *,
    limits: patching.PatchLimits,
    wanted: relations.Wanted = relations.DEFAULT,
) -> StoredResource:
    """PATCH (RFC 7644 §3.5.2): all operations apply or none.

    Group ``members`` operations become membership row changes (``app.scim.groups``);
    the rest is applied to the document with scim2-models.

    A PATCH of the document alone is first tried optimistically (``_patch_unlocked``).
    Otherwise, or when another write came first, the row is locked (FOR UPDATE on
    PostgreSQL, BEGIN IMMEDIATE on SQLite), so concurrent PATCHes of one resource apply one
    after the other and none loses another's update.
    """
    parsed = parse_id(ctx, kind, resource_id)
    require_patch_schemas(payload)
    delta, operations = patching.parse(kind, payload, str(parsed), limits.operations)
    unlocked = delta is None and not kind.checked_in_store
    if unlocked and not relations.reads_members([kind], wanted):
        done = await _patch_unlocked(
            store, ctx, kind, resource_id, operations, if_match, limits, wanted
        )
        if done is not None:
            return done
    async with store.transaction(write=True) as tx:
        before = await _locked(tx, ctx, kind, resource_id, if_match)
        change = MemberChange()
        if delta is not None:
            change = await groups.write_members(tx, kind, ctx.tenant, before.id, delta)
        emit = _changed(store, ctx, kind, before, change)
        current = await patch_locked(
            tx, ctx, kind, before, operations, limits, touched=bool(change), emit=emit
        )
        return (await relations.attach(tx, ctx, [kind], [current], wanted))[0]


async def delete(
    store: Store, ctx: RequestContext, kind: ResourceKind, resource_id: str, if_match: str | None
) -> None:
    parsed = parse_id(ctx, kind, resource_id)
    async with store.transaction(write=True) as tx:
        if if_match is not None:
            await _locked(tx, ctx, kind, resource_id, if_match)
        gone = await tx.delete(ctx.tenant, kind, parsed, now())
        if gone is None:
            raise _not_found(kind, resource_id)
        if store.events:
            # The groups that lost it first: a mirror applying events in order never holds
            # a member that no longer exists.
            left = [(gone.resource.id, kind.name)]
            made = [e for g in gone.groups for e in events.members(ctx, _snap(GROUP, g), (), left)]
            made.append(events.deleted(ctx, _snap(kind, gone.resource)))
            await tx.emit(ctx.tenant, made, now())


async def search(
    store: Store,
    ctx: RequestContext,
    query: ListQuery,
    wanted: relations.Wanted = relations.DEFAULT,
) -> Page:
    with_groups = relations.wants_groups(query.kinds, wanted)
    snapshot = relations.reads_members(query.kinds, wanted)
    async with store.transaction(write=False, snapshot=snapshot) as tx:
        page = await tx.list(ctx.tenant, query, with_groups=with_groups)
        attached = await relations.attach(tx, ctx, query.kinds, page.resources, wanted)
        return dataclasses.replace(page, resources=attached)


def present(ctx: RequestContext, kind: ResourceKind, stored: StoredResource) -> dict[str, Any]:
    """The full representation served for a stored resource; never re-validated."""
    resource_id = str(stored.document.get("id")) if kind.catalog else str(stored.id)
    return render(
        kind,
        resource_id=resource_id,
        document=stored.document,
        version=stored.version,
        created=stored.created,
        last_modified=stored.last_modified,
        location=ctx.location(kind, resource_id),
    )
