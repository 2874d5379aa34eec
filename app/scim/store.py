"""The storage contract the SCIM service talks to; ``app.storage`` implements it.

Every method runs inside a ``Transaction`` the service opened, so a write and the reads
that decide it are one unit: it commits when the ``async with`` block exits cleanly and
rolls back when it raises.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from scim2_models.path import AttrPath, FilterNode

from app.scim.resources import ResourceKeys, ResourceKind


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A group a resource belongs to, directly or through nested groups (RFC 7643 §4.1.2)."""

    group_id: uuid.UUID
    display: str | None
    direct: bool


@dataclass(frozen=True, slots=True)
class StoredResource:
    """A row as the service sees it; ``groups`` is None unless the read asked for it."""

    id: uuid.UUID
    resource_type: str
    version: int
    created: datetime
    last_modified: datetime
    document: dict[str, Any]
    groups: tuple[GroupRef, ...] | None = None


@dataclass(frozen=True, slots=True)
class ResourceWrite:
    """What the service asks the store to persist for one resource."""

    document: dict[str, Any]
    search: dict[str, Any]
    keys: ResourceKeys


@dataclass(frozen=True, slots=True)
class SortSpec:
    """``sortBy`` / ``sortOrder`` (RFC 7644 §3.4.2.3); storage resolves the attribute."""

    attr: AttrPath
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Anchor:
    """A row's place in the order: its sort key value and its id (the keyset of RFC 9865)."""

    key: Any
    id: uuid.UUID


@dataclass(frozen=True, slots=True)
class CursorPosition:
    """Where a cursor page starts: strictly after ``anchor``, or strictly before it."""

    anchor: Anchor
    backwards: bool = False


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A validated list or search request, ready to compile.

    ``cursor_mode`` asks for RFC 9865 keyset paging (``start_index`` is then ignored);
    ``cursor`` is None on its first page.
    """

    kinds: Sequence[ResourceKind]
    filter: FilterNode | None = None
    sort: SortSpec | None = None
    start_index: int = 1
    count: int = 100
    cursor_mode: bool = False
    cursor: CursorPosition | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page; in cursor mode ``first``/``last`` anchor the page and ``more`` says
    whether rows remain beyond it in the direction travelled."""

    total: int
    resources: list[StoredResource] = field(default_factory=list)
    first: Anchor | None = None
    last: Anchor | None = None
    more: bool = False


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A membership to write: the member's id, its resource type and the client's display."""

    id: uuid.UUID
    type: str
    display: str | None = None


@dataclass(frozen=True, slots=True)
class Member:
    """A direct member of a group as reads render it (RFC 7643 §4.2 ``members``)."""

    group_id: uuid.UUID
    member_id: uuid.UUID
    type: str
    display: str | None


class MembershipTransaction(Protocol):
    """Set operations on membership rows; each touches only the rows it names."""

    async def resolve_members(self, tenant: str, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The resource type of each id naming a User or Group of ``tenant``; others absent."""

    async def add_members(self, group_id: uuid.UUID, members: Sequence[MemberRow]) -> int:
        """Insert memberships, ignoring existing ones; returns how many were new."""

    async def remove_members(self, group_id: uuid.UUID, member_ids: Sequence[uuid.UUID]) -> int:
        """Delete the named memberships; returns how many existed."""

    async def clear_members(self, group_id: uuid.UUID) -> int:
        """Delete every membership of the group; returns how many existed."""

    async def member_ids(self, group_id: uuid.UUID) -> set[uuid.UUID]:
        """The group's direct member ids (to compute the difference a replace writes)."""

    async def reaches(self, starts: Sequence[uuid.UUID], target: uuid.UUID) -> bool:
        """Whether ``target`` is in ``starts`` or nested at any depth in one of them."""

    def members_of(self, group_ids: Sequence[uuid.UUID]) -> AsyncIterator[Member]:
        """The direct members of the groups with display names, from one streamed query."""


class Transaction(MembershipTransaction, Protocol):
    async def insert(
        self, tenant: str, kind: ResourceKind, write: ResourceWrite, now: datetime
    ) -> StoredResource:
        """Insert a new resource; raises UniquenessException when its name key is taken."""

    async def get(
        self,
        tenant: str,
        kind: ResourceKind,
        resource_id: uuid.UUID,
        *,
        for_update: bool = False,
        with_groups: bool = False,
    ) -> StoredResource | None:
        """One resource, or None; ``for_update`` locks the row until the transaction ends;
        ``with_groups`` fills ``groups`` (direct and indirect) from the same statement."""

    async def update(
        self,
        tenant: str,
        kind: ResourceKind,
        current: StoredResource,
        write: ResourceWrite,
        now: datetime,
    ) -> StoredResource:
        """Replace a resource's document, bumping its version; raises UniquenessException."""

    async def delete(
        self, tenant: str, kind: ResourceKind, resource_id: uuid.UUID, now: datetime
    ) -> bool:
        """Delete a resource and what hangs off it; False when there was none.

        The groups it was a member of lose a member, so their version and lastModified move.
        """

    async def list(self, tenant: str, query: ListQuery, *, with_groups: bool = False) -> Page:
        """Filter, count, sort and page in the database: one statement returns the total
        and the page (so both come from one snapshot); ``with_groups`` as for ``get``."""


class Store(Protocol):
    def transaction(
        self, *, write: bool, snapshot: bool = False, single: bool = False
    ) -> AbstractAsyncContextManager[Transaction]:
        """Open a unit of work; ``write`` asks for a transaction that may write.

        A read (``write=False``) runs each call as its own statement, outside any
        transaction, since every read method is one statement; ``snapshot`` asks for a
        read transaction instead, when several calls must see one state. ``single``
        promises that a write makes one call, which is then its own transaction (no
        BEGIN and COMMIT round trips around it).
        """

    async def create_token(self, name: str, digest: str, tenant: str) -> None:
        """Keep a new token's digest; raises UniquenessException for a taken name."""

    async def token_tenant(self, digest: str) -> str | None:
        """The tenant of a live token with this digest, or None."""

    async def token_owner(self, digest: str) -> tuple[str, str] | None:
        """(name, tenant) of a live token with this digest, or None."""

    async def service_secret(self, name: str) -> str | None:
        """A secret every process shares (made by a migration), or None."""

    async def schema_revision(self) -> str | None:
        """The migration revision the database is at (None: never migrated); raises the
        driver's error when the database cannot be reached."""

    async def list_tokens(self) -> list[tuple[str, str, datetime]]:
        """(name, tenant, created) of every live token."""

    async def revoke_token(self, name: str) -> bool:
        """Forget a token; False when none had this name."""
