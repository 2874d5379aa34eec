"""Change events: what a committed write tells the host application (issue 12).

The service has the documents before and after a write, so it decides here which events
the write makes and what changed; the store writes them inside the write's transaction and
numbers them (``Transaction.emit``). An event's ``payload`` is everything but the columns
the store keeps beside it (sequence, type, time, tenant, resource type, id, version):
``resource`` (as a plain read shows it: no group members, no password), ``changed`` (the
attribute paths that changed), ``previous`` (their values before), ``members`` (member
events only), ``request_id``, ``token`` and ``client``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.scim.context import RequestContext
from app.scim.documents import render
from app.scim.projection import Projection
from app.scim.resources import ResourceKind

CHUNK = 1000
"""Member ids per member event: a 100,000-member replace is 100 events, not one huge row."""

_PLAIN = Projection()
_ABSENT = object()


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to write; the store gives it its sequence and time."""

    type: str
    resource_type: str
    resource_id: uuid.UUID
    version: int
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A resource as events describe it: its kind, id, version and stored document."""

    kind: ResourceKind
    id: uuid.UUID
    version: int
    created: Any
    last_modified: Any
    document: dict[str, Any]


def represent(ctx: RequestContext, snap: Snapshot) -> dict[str, Any]:
    """The resource as a plain read renders it, without derived members or groups."""
    resource_id = str(snap.id)
    rendered = render(
        snap.kind,
        resource_id=resource_id,
        document=snap.document,
        version=snap.version,
        created=snap.created,
        last_modified=snap.last_modified,
        location=ctx.location(snap.kind, resource_id),
    )
    return _PLAIN.apply(rendered, snap.kind)


def _flatten(document: dict[str, Any]) -> dict[str, Any]:
    """Attribute paths to values: ``name.givenName``, ``urn:...:User:department``, ``emails``
    (multi-valued attributes are one path: their items have no stable identity)."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            separator = ":" if key.startswith("urn:") else "."
            for sub, item in value.items():
                out[f"{key}{separator}{sub}"] = item
        else:
            out[key] = value
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """(changed paths, their previous values; None where a path was absent)."""
    old, new = _flatten(before), _flatten(after)
    changed = [path for path, value in new.items() if old.get(path, _ABSENT) != value]
    changed += [path for path in old if path not in new]
    return changed, {path: old.get(path) for path in changed}


def _source(ctx: RequestContext) -> dict[str, Any]:
    return {"request_id": ctx.request_id, "token": ctx.token, "client": ctx.client}


def _event(
    ctx: RequestContext,
    snap: Snapshot,
    suffix: str,
    changed: list[str],
    previous: dict[str, Any],
    members: list[dict[str, str]] | None = None,
) -> NewEvent:
    payload = {
        "resource": represent(ctx, snap),
        "changed": changed,
        "previous": previous,
        "members": members,
        **_source(ctx),
    }
    name = snap.kind.name.lower()
    return NewEvent(f"{name}.{suffix}", snap.kind.name, snap.id, snap.version, payload)


def created(ctx: RequestContext, snap: Snapshot) -> NewEvent:
    return _event(ctx, snap, "created", list(_flatten(snap.document)), {})


def updated(ctx: RequestContext, before: dict[str, Any], snap: Snapshot) -> list[NewEvent]:
    """``user.deactivated`` / ``user.reactivated`` when ``active`` flips (whatever else
    changed with it; any type with an ``active`` attribute), else ``<type>.updated``;
    nothing when the document is the same."""
    changed, previous = diff(before, snap.document)
    if not changed:
        return []
    suffix = "updated"
    was, now = before.get("active"), snap.document.get("active")
    flips = snap.kind.attribute("active") is not None
    if flips and was is not False and now is False:
        suffix = "deactivated"
    elif flips and was is False and now is not False:
        suffix = "reactivated"
    return [_event(ctx, snap, suffix, changed, previous)]


def deleted(ctx: RequestContext, snap: Snapshot) -> NewEvent:
    """``resource`` is the last state; ``version`` is one past it, so a resource's events
    always carry increasing versions (a consumer can drop what it has seen by version)."""
    event = _event(ctx, snap, "deleted", [], {})
    return NewEvent(
        event.type, event.resource_type, event.resource_id, snap.version + 1, event.payload
    )


Moved = Sequence[tuple[uuid.UUID, str]]
"""Membership rows a write really inserted or deleted: (member id, member type)."""


def members(ctx: RequestContext, snap: Snapshot, added: Moved, removed: Moved) -> list[NewEvent]:
    """``group.members_removed`` then ``group.members_added``, at most ``CHUNK`` ids each."""
    out = []
    for suffix, rows in (("members_removed", removed), ("members_added", added)):
        for start in range(0, len(rows), CHUNK):
            listed = [{"value": str(i), "type": t} for i, t in rows[start : start + CHUNK]]
            out.append(_event(ctx, snap, suffix, ["members"], {}, listed))
    return out
