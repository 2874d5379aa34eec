"""Read side of membership: Group ``members`` and User ``groups`` rendered from rows.

Neither is stored in a document. A read that returns them fetches them: members with one
query per page (``members_of`` joins display names), a user's groups as a column of the
read itself (``with_groups``, walking nested groups recursively); a read that leaves them
out (``excludedAttributes=members``, as Entra always sends, or an ``attributes`` list not
naming them) never touches the membership table (RFC 7644 §3.4.2.5, RFC 7643 §4.1.2, §4.2).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from app.scim.context import RequestContext
from app.scim.projection import Projection
from app.scim.resources import MemberType, ResourceKind
from app.scim.store import GroupRef, StoredResource, Transaction

STREAM_BATCH = 1000
"""Members per chunk of a streamed response: memory stays flat whatever the group's size."""

_EVERYTHING = Projection()


@dataclass(frozen=True, slots=True)
class Wanted:
    """Whether a response carries a derived ``returned: default`` attribute (RFC 7644 §3.4.2.5).

    ``default`` is the answer when no ``attributes`` list is given: True for reads, False
    for Group PATCH responses, which leave members out unless ``attributes`` asks.
    """

    projection: Projection = _EVERYTHING
    default: bool = True

    def wants(self, name: str) -> bool:
        if not self.default and not self.projection.attributes:
            return False
        return self.projection.wants(name)


DEFAULT = Wanted()
"""What a plain read returns: every derived attribute."""


def _member(
    ctx: RequestContext, member_id: uuid.UUID, kind: MemberType | None, display: str | None
) -> dict[str, Any]:
    rendered: dict[str, Any] = {"value": str(member_id)}
    if kind is not None:
        rendered["$ref"] = f"{ctx.base_url}{kind.endpoint}/{member_id}"
        rendered["type"] = kind.name
    if display is not None:
        rendered["display"] = display
    return rendered


async def _members(
    tx: Transaction, ctx: RequestContext, kind: ResourceKind, group_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    types = kind.member_types
    async for m in tx.members_of(kind, group_ids):
        member = _member(ctx, m.member_id, types.get(m.type), m.display)
        found.setdefault(m.group_id, []).append(member)
    return found


def wants_groups(kinds: Sequence[ResourceKind], wanted: Wanted) -> bool:
    """Whether a read of ``kinds`` must fetch the derived ``groups`` with its rows."""
    return any(kind.groups and wanted.wants(kind.groups) for kind in kinds)


def reads_members(kinds: Sequence[ResourceKind], wanted: Wanted) -> bool:
    """Whether a read of ``kinds`` also reads members: then it needs a read transaction
    (several statements, one state; members are streamed from a server-side cursor)."""
    return any(kind.members and wanted.wants(kind.members) for kind in kinds)


def _groups(
    ctx: RequestContext, kind: ResourceKind, refs: tuple[GroupRef, ...]
) -> list[dict[str, Any]]:
    rendered = []
    for ref in refs:
        item = _member(ctx, ref.group_id, kind.container, ref.display)
        item["type"] = "direct" if ref.direct else "indirect"
        rendered.append(item)
    return rendered


async def attach(
    tx: Transaction,
    ctx: RequestContext,
    kinds: Sequence[ResourceKind],
    stored: list[StoredResource],
    wanted: Wanted,
) -> list[StoredResource]:
    """``stored`` with ``members`` / ``groups`` added to the documents that want them.

    Groups' members are read here (one query per type for the page); users' groups were
    read with the rows (``with_groups``) and are only rendered.
    """
    if not any(kind.derived for kind in kinds):
        return stored
    by_name = {kind.name: kind for kind in kinds}
    members: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for kind in kinds:
        if kind.members and wanted.wants(kind.members):
            ids = [r.id for r in stored if r.resource_type == kind.name]
            members.update(await _members(tx, ctx, kind, ids) if ids else {})
    out = []
    for resource in stored:
        kind = by_name[resource.resource_type]
        if kind.members and resource.id in members:
            out.append(_with(resource, kind.members, members[resource.id]))
        elif kind.groups and resource.groups and wanted.wants(kind.groups):
            out.append(_with(resource, kind.groups, _groups(ctx, kind, resource.groups)))
        else:
            out.append(resource)
    return out


def _with(
    resource: StoredResource, name: str, values: list[dict[str, Any]] | None
) -> StoredResource:
    if not values:
        return resource
    document = {**resource.document, name: values}
    return dataclasses.replace(resource, document=document)


class MemberStream:
    """A group read whose members are streamed in batches from one query.

    The read transaction stays open until the last batch is sent (or ``aclose`` is
    called), so the group and its members come from one unit of work while the response
    holds at most ``STREAM_BATCH`` members in memory.
    """

    def __init__(
        self,
        stack: AsyncExitStack,
        tx: Transaction,
        ctx: RequestContext,
        kind: ResourceKind,
        stored: StoredResource,
    ) -> None:
        self._stack, self._tx, self._ctx, self.stored = stack, tx, ctx, stored
        self._kind = kind

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        try:
            batch: list[dict[str, Any]] = []
            types = self._kind.member_types
            async for m in self._tx.members_of(self._kind, [self.stored.id]):
                batch.append(_member(self._ctx, m.member_id, types.get(m.type), m.display))
                if len(batch) >= STREAM_BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        await self._stack.aclose()


def streams(kind: ResourceKind, wanted: Wanted) -> bool:
    """Stream a plain full GET of a group; projected reads take the buffered path."""
    return kind.members is not None and wanted == DEFAULT
