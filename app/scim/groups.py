"""Group-specific service logic: membership written as set operations on rows (RFC 7643 §4.2).

The group document never holds ``members``: POST, PUT and PATCH take them out of the
validated resource and write membership rows, touching only the rows that change. Every
member id is checked (it must name a User or Group of the tenant: 400 invalidValue
otherwise) and nested groups may not form a cycle (400 invalidValue) before anything is
written; the caller's transaction makes the whole request atomic.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from scim2_models import InvalidValueException, Resource

from app.scim.events import Moved
from app.scim.member_patch import MemberDelta, member_id
from app.scim.resources import ResourceKind
from app.scim.store import MemberRow, Transaction


def take_members(kind: ResourceKind, resource: Resource[Any]) -> MemberDelta | None:
    """Move a POST/PUT body's ``members`` out of the resource into a delta that replaces.

    PUT replaces the resource (RFC 7644 §3.5.1), so a Group PUT without ``members`` leaves
    the group with none. Other kinds have no membership: None.
    """
    if kind.members is None:
        return None
    members = getattr(resource, kind.members, None) or []
    setattr(resource, kind.members, None)
    delta = MemberDelta()
    delta.replaced([(member_id(m.value), m.display) for m in members])
    return delta


async def _resolve(
    tx: Transaction, kind: ResourceKind, tenant: str, ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Each id's resource type; an id naming nothing of this tenant is 400 invalidValue."""
    if not ids:
        return {}
    found = await tx.resolve_members(kind, tenant, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        names = " or ".join(kind.member_types)
        raise InvalidValueException(detail=f"no {names} has the id {missing[0]}")
    return found


async def _refuse_cycle(
    tx: Transaction, kind: ResourceKind, group_id: uuid.UUID, found: dict[uuid.UUID, str]
) -> None:
    """A group may not contain itself, directly or through nested groups (RFC 7643 §4.2)."""
    nested = [i for i, name in found.items() if name == kind.name]
    if nested and await tx.reaches(kind, nested, group_id):
        raise InvalidValueException(detail="a group cannot be a member of itself, even nested")


async def _add(
    tx: Transaction,
    kind: ResourceKind,
    tenant: str,
    group_id: uuid.UUID,
    ids: list[uuid.UUID],
    delta: MemberDelta,
) -> Moved:
    found = await _resolve(tx, kind, tenant, ids)
    await _refuse_cycle(tx, kind, group_id, found)
    rows = [MemberRow(i, found[i], delta.display.get(i)) for i in ids]
    return await tx.add_members(group_id, rows) if ids else ()


@dataclass(frozen=True, slots=True)
class MemberChange:
    """The membership rows a write really inserted and deleted (member id, member type)."""

    added: Moved = ()
    removed: Moved = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


async def write_members(
    tx: Transaction,
    kind: ResourceKind,
    tenant: str,
    group_id: uuid.UUID,
    delta: MemberDelta,
    *,
    new: bool = False,
) -> MemberChange:
    """Write only the difference ``delta`` makes; the rows that changed (false when none).

    A replace reads the current member ids, then deletes the ones that go and inserts the
    ones that come; an empty replace is one DELETE. A new group skips the read.
    """
    if delta.replace is None:
        added = await _add(tx, kind, tenant, group_id, list(delta.add), delta)
        removed = await tx.remove_members(group_id, list(delta.remove)) if delta.remove else ()
        return MemberChange(added, removed)
    target = delta.target()
    if not target:
        return MemberChange() if new else MemberChange(removed=await tx.clear_members(group_id))
    current = set() if new else await tx.member_ids(group_id)
    added = await _add(tx, kind, tenant, group_id, list(target - current), delta)
    gone = list(current - target)
    removed = await tx.remove_members(group_id, gone) if gone else ()
    return MemberChange(added, removed)
