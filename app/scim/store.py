"""The storage contract the SCIM service talks to; ``app.storage`` implements it.

Every method runs inside a ``Transaction`` the service opened, so a write and the reads
that decide it are one unit: it commits when the ``async with`` block exits cleanly and
rolls back when it raises.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from scim2_models.path import AttrPath, FilterNode

from app.scim.events import Moved, NewEvent
from app.scim.resources import ResourceKeys, ResourceKind


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A bearer token as the store keeps it (never the secret itself).

    ``previous`` says the lookup matched the digest a rotation replaced; it is then valid
    until ``previous_expires`` (``valid_until`` folds both cases together).
    """

    name: str
    tenant: str
    scopes: frozenset[str]
    created: datetime
    expires: datetime | None = None
    last_used: datetime | None = None
    previous_expires: datetime | None = None
    previous: bool = False

    @property
    def valid_until(self) -> datetime | None:
        if self.previous:
            ends = self.previous_expires
            return ends if self.expires is None or ends is None else min(ends, self.expires)
        return self.expires


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One row of the request log (``request_log``): what was asked and what was answered.

    ``body`` is the request body after redaction, already cut to size when
    ``body_truncated``; ``tolerances`` are the names of the tolerances that fired.
    """

    request_id: str
    time: datetime
    method: str
    route: str
    status: int
    duration_ms: float
    tenant: str | None = None
    token_name: str | None = None
    client: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    scim_type: str | None = None
    detail: str | None = None
    tolerances: tuple[str, ...] = ()
    body: str | None = None
    body_truncated: bool = False
    no_change: bool = False


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Which request log rows ``python -m app log`` asks for, newest first."""

    since: datetime | None = None
    resource_id: str | None = None
    request_id: str | None = None
    user_name: str | None = None
    """Rows about the user with this userName (its id, or its name in a create's body)."""
    status_class: int | None = None
    """4 for 4xx, 5 for 5xx."""
    tenant: str | None = None
    limit: int = 100


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
    unique: tuple[tuple[str, str], ...] = ()
    """Values of configured unique attributes (``app.scim.constraints``), kept by the store."""
    row_id: uuid.UUID | None = None
    """The id of the row to insert; None lets the store issue one (catalogues derive it)."""


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

    async def resolve_members(
        self, kind: ResourceKind, tenant: str, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """The resource type of each id naming a resource of ``tenant`` whose type may be a
        member of ``kind`` (``kind.member_types``); others absent."""

    async def add_members(self, group_id: uuid.UUID, members: Sequence[MemberRow]) -> Moved:
        """Insert memberships, ignoring existing ones; returns the rows that were new."""

    async def remove_members(self, group_id: uuid.UUID, member_ids: Sequence[uuid.UUID]) -> Moved:
        """Delete the named memberships; returns the rows that existed."""

    async def clear_members(self, group_id: uuid.UUID) -> Moved:
        """Delete every membership of the group; returns the rows that existed."""

    async def member_ids(self, group_id: uuid.UUID) -> set[uuid.UUID]:
        """The group's direct member ids (to compute the difference a replace writes)."""

    async def reaches(
        self, kind: ResourceKind, starts: Sequence[uuid.UUID], target: uuid.UUID
    ) -> bool:
        """Whether ``target`` is in ``starts`` or nested at any depth in one of them."""

    def members_of(
        self, kind: ResourceKind, group_ids: Sequence[uuid.UUID]
    ) -> AsyncIterator[Member]:
        """The direct members of the groups with display names, from one streamed query."""


@dataclass(frozen=True, slots=True)
class Deleted:
    """A deleted resource as it was, and the groups that lost it as a member (after the
    change: their version and lastModified moved)."""

    resource: StoredResource
    groups: list[StoredResource]


Emitter = Callable[[StoredResource], Sequence[NewEvent]]
"""The events a single-statement insert writes, from the row it inserts."""


class Transaction(MembershipTransaction, Protocol):
    async def documents(self, row_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        """The stored documents of the rows that exist among ``row_ids`` (one statement)."""

    async def insert(
        self,
        tenant: str,
        kind: ResourceKind,
        write: ResourceWrite,
        now: datetime,
        *,
        emit: Emitter | None = None,
    ) -> StoredResource:
        """Insert a new resource; raises UniquenessException when its name key, or a value
        of a configured unique attribute (``write.unique``), is taken.

        ``emit``'s events are written with the row, in the same statement where the
        backend can (a ``single`` transaction stays one round trip on PostgreSQL).
        """

    async def emit(self, tenant: str, events: Sequence[NewEvent], now: datetime) -> None:
        """Write a write's events, numbered from the tenant's counter: the LAST call of a
        write, so the counter's row lock is held only from here to the commit."""

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
        *,
        emit: Emitter | None = None,
    ) -> StoredResource:
        """Replace a resource's document, bumping its version; raises UniquenessException.

        ``emit``'s events (from the updated row) are written with it, as for ``insert``;
        the update is then the write's last statement."""

    async def update_unless_changed(
        self,
        tenant: str,
        kind: ResourceKind,
        current: StoredResource,
        write: ResourceWrite,
        now: datetime,
        *,
        emit: Emitter | None = None,
    ) -> StoredResource | None:
        """``update`` for a row read without a lock: None, and nothing written (no event
        either), when its version is no longer ``current.version`` (another write came
        first)."""

    async def delete(
        self, tenant: str, kind: ResourceKind, resource_id: uuid.UUID, now: datetime
    ) -> Deleted | None:
        """Delete a resource and what hangs off it; None when there was none.

        The groups it was a member of lose a member, so their version and lastModified move.
        """

    async def list(self, tenant: str, query: ListQuery, *, with_groups: bool = False) -> Page:
        """Filter, count, sort and page in the database: one statement returns the total
        and the page (so both come from one snapshot); ``with_groups`` as for ``get``."""


class EventFeed(Protocol):
    """The change events as the feed, the webhooks and the CLI read them."""

    async def events_after(
        self, tenant: str, after: int, limit: int, upto: int | None = None
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` events of ``tenant`` after sequence ``after`` (and up to ``upto``),
        oldest first, each as the JSON object the feed serves."""

    async def event_bounds(self, tenant: str) -> tuple[int | None, int]:
        """(the oldest sequence kept, or None when none is; the newest sequence, 0 if none)."""

    async def prune_events(self, before: datetime) -> int:
        """Delete events older than ``before``; how many went."""

    async def wait_for_events(self, tenant: str, after: int, seconds: float) -> None:
        """Return once ``tenant`` may have events after ``after``, or after ``seconds``
        (a wake-up, not a promise: read again to know)."""


class Store(EventFeed, Protocol):
    events: bool
    """Whether writes emit change events (``SCIM_EVENTS``)."""

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

    async def create_token(
        self,
        name: str,
        digest: str,
        tenant: str,
        scopes: Sequence[str] = ("scim",),
        expires: datetime | None = None,
    ) -> None:
        """Keep a new token's digest; raises UniquenessException for a taken name."""

    async def find_token(self, digest: str) -> StoredToken | None:
        """The token whose current or (still in its grace) previous digest this is, or None.

        Expiry is the caller's to check (``StoredToken.valid_until``), so a cached answer
        can expire on time too.
        """

    async def list_tokens(self) -> list[StoredToken]:
        """Every token, by name."""

    async def rotate_token(self, name: str, digest: str, grace_ends: datetime) -> bool:
        """Give a token a new digest; the old one stays valid until ``grace_ends``
        (a rotation during a grace ends the earlier grace). False when no such token."""

    async def service_secret(self, name: str) -> str | None:
        """A secret every process shares (made by a migration), or None."""

    async def schema_revision(self) -> str | None:
        """The migration revision the database is at (None: never migrated); raises the
        driver's error when the database cannot be reached."""

    async def revoke_token(self, name: str) -> bool:
        """Forget a token (and its previous digest); False when none had this name."""

    async def touch_token(self, name: str, now: datetime, interval_seconds: float) -> None:
        """Set ``last_used`` to ``now`` unless it is less than ``interval_seconds`` old."""

    async def write_request_log(self, rows: Sequence[LoggedRequest]) -> None:
        """Insert request log rows in their own statement, outside any SCIM transaction."""

    async def prune_request_log(self, before: datetime) -> int:
        """Delete request log rows older than ``before``; returns how many."""

    async def find_request_log(self, query: LogQuery) -> list[LoggedRequest]:
        """The rows ``query`` selects, newest first."""
