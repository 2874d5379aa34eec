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
from app.scim.resources import ResourceKind
from app.scim.store import GroupRef, StoredResource, Transaction

STREAM_BATCH = 1000
"""Members per chunk of a streamed response: memory stays flat whatever the group's size."""

RELATION = {"Group": "members", "User": "groups"}
"""The derived attribute of each resource type, by type name."""


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
    ctx: RequestContext, member_id: uuid.UUID, kind: str, display: str | None
) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "value": str(member_id),
        "$ref": f"{ctx.base_url}/{kind}s/{member_id}",
        "type": kind,
    }
    if display is not None:
        rendered["display"] = display
    return rendered


async def _members(
    tx: Transaction, ctx: RequestContext, group_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    async for m in tx.members_of(group_ids):
        found.setdefault(m.group_id, []).append(_member(ctx, m.member_id, m.type, m.display))
    return found


def wants_groups(kinds: Sequence[ResourceKind], wanted: Wanted) -> bool:
    """Whether a read of ``kinds`` must fetch the derived ``groups`` with its rows."""
    return wanted.wants("groups") and any(RELATION.get(kind.name) == "groups" for kind in kinds)


def reads_members(kinds: Sequence[ResourceKind], wanted: Wanted) -> bool:
    """Whether a read of ``kinds`` also reads members: then it needs a read transaction
    (several statements, one state; members are streamed from a server-side cursor)."""
    return wanted.wants("members") and any(RELATION.get(kind.name) == "members" for kind in kinds)


def _groups(ctx: RequestContext, refs: tuple[GroupRef, ...]) -> list[dict[str, Any]]:
    rendered = []
    for ref in refs:
        item = _member(ctx, ref.group_id, "Group", ref.display)
        item["type"] = "direct" if ref.direct else "indirect"
        rendered.append(item)
    return rendered


async def attach(
    tx: Transaction, ctx: RequestContext, stored: list[StoredResource], wanted: Wanted
) -> list[StoredResource]:
    """``stored`` with ``members`` / ``groups`` added to the documents that want them.

    Groups' members are read here (one query for the page); users' groups were read with
    the rows (``with_groups``) and are only rendered.
    """
    group_ids = [
        r.id
        for r in stored
        if RELATION.get(r.resource_type) == "members" and wanted.wants("members")
    ]
    members = await _members(tx, ctx, group_ids) if group_ids else {}
    out = []
    for resource in stored:
        relation = RELATION.get(resource.resource_type)
        if relation == "members" and resource.id in members:
            out.append(_with(resource, members[resource.id]))
        elif relation == "groups" and resource.groups and wanted.wants("groups"):
            out.append(_with(resource, _groups(ctx, resource.groups)))
        else:
            out.append(resource)
    return out


def _with(resource: StoredResource, values: list[dict[str, Any]] | None) -> StoredResource:
    if not values:
        return resource
    document = {**resource.document, RELATION[resource.resource_type]: values}
    return dataclasses.replace(resource, document=document)


class MemberStream:
    """A group read whose members are streamed in batches from one query.

    The read transaction stays open until the last batch is sent (or ``aclose`` is
    called), so the group and its members come from one unit of work while the response
    holds at most ``STREAM_BATCH`` members in memory.
    """

    def __init__(
        self, stack: AsyncExitStack, tx: Transaction, ctx: RequestContext, stored: StoredResource
    ) -> None:
        self._stack, self._tx, self._ctx, self.stored = stack, tx, ctx, stored

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        try:
            batch: list[dict[str, Any]] = []
            async for m in self._tx.members_of([self.stored.id]):
                batch.append(_member(self._ctx, m.member_id, m.type, m.display))
                if len(batch) >= STREAM_BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        await self._stack.aclose()


def streams(kind_name: str, wanted: Wanted) -> bool:
    """Stream a plain full GET of a group; projected reads take the buffered path."""
    return kind_name == "Group" and wanted == DEFAULT
