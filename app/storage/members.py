"""Membership rows: set operations on the ``memberships`` table (RFC 7643 §4.2, §4.1.2).

A group's members are never a JSON list inside its document: each direct member is one
row, so adding or removing a member touches only the rows it names, whatever the size of
the group. Reads render members with one query joining ``resources`` for display names,
streamed row by row; a user's ``groups`` (direct and indirect) is a column of the read that
fetches the user (``groups_column``), so it costs no extra statement.

``MembershipOps`` is mixed into ``SqlTransaction``; every method runs on its connection.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from scim2_models import InvalidValueException
from sqlalchemy.dialects import postgresql, sqlite

from app.scim.events import Moved
from app.scim.resources import ResourceKind
from app.scim.store import GroupRef, Member, MemberRow
from app.storage.errors import INTEGRITY_ERRORS
from app.storage.executors import Executor
from app.storage.json_sql import Dialect
from app.storage.tables import MembershipRow, ResourceRow

memberships = MembershipRow.__table__  # type: ignore[attr-defined]
resources = ResourceRow.__table__  # type: ignore[attr-defined]

CHUNK = 1000
"""Ids per statement: far below SQLite's and asyncpg's bound-parameter limits."""

_BATCH = 5000
"""Rows per fetch when streaming members: one greenlet switch per batch, not per row."""

_ONE = sa.literal_column("1", sa.Integer)
_ZERO = sa.literal_column("0", sa.Integer)
_NESTING_LOCK = 7_643_042
"""Advisory lock key taken by writers that add groups to groups (PostgreSQL)."""
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_MOVED = (memberships.c.member_id, memberships.c.member_type)
"""What INSERT/DELETE ... RETURNING report: only the rows that really changed."""


def _moved(rows: Sequence[Any]) -> list[tuple[uuid.UUID, str]]:
    return [(row["member_id"], row["member_type"]) for row in rows]


@lru_cache(maxsize=16)
def _display(names: tuple[str, ...]) -> Any:
    """A member's display: its displayName, else the name attribute of its type."""
    fallbacks = [resources.c.document[name].as_string() for name in names]
    return sa.func.coalesce(resources.c.display_name, *fallbacks)


_COLUMNS = ("group_id", "member_id", "member_type", "display")


@lru_cache(maxsize=2)
def _add_statement(on_sqlite: bool) -> Any:
    """One INSERT for any number of members, its rows in one array (PostgreSQL) or JSON
    (SQLite) parameter: built and compiled once. A multi-row VALUES statement was built
    and compiled by SQLAlchemy for every add, 45 ms of the 90 ms a 1,000-member add took."""
    group = sa.bindparam("group_id", type_=sa.Uuid())
    if on_sqlite:
        rows = sa.func.json_each(sa.bindparam("rows", type_=sa.String())).table_valued("value")
        item = [
            sa.func.json_extract(rows.c.value, sa.literal_column(f"'$[{i}]'")) for i in range(3)
        ]
        select = sa.select(group, *item).where(sa.true())  # SQLite's upsert wants a WHERE
        insert: Any = sqlite.insert(memberships)
    else:
        arrays = sa.func.unnest(
            sa.bindparam("member_ids", type_=postgresql.ARRAY(sa.Uuid())),
            sa.bindparam("member_types", type_=postgresql.ARRAY(sa.String())),
            sa.bindparam("displays", type_=postgresql.ARRAY(sa.String())),
        ).table_valued(
            sa.column("member_id", sa.Uuid()),
            sa.column("member_type", sa.String()),
            sa.column("display", sa.String()),
        )
        unpacked = arrays.render_derived()
        select = sa.select(group, unpacked.c.member_id, unpacked.c.member_type, unpacked.c.display)
        insert = postgresql.insert(memberships)
    return insert.from_select(_COLUMNS, select).on_conflict_do_nothing().returning(*_MOVED)


def _add_params(on_sqlite: bool, group_id: uuid.UUID, chunk: Sequence[MemberRow]) -> dict[str, Any]:
    if on_sqlite:  # ids as SQLAlchemy's Uuid stores them there: 32 hex digits
        rows = [[m.id.hex, m.type, m.display] for m in chunk]
        return {"group_id": group_id, "rows": orjson.dumps(rows).decode()}
    return {
        "group_id": group_id,
        "member_ids": [m.id for m in chunk],
        "member_types": [m.type for m in chunk],
        "displays": [m.display for m in chunk],
    }


def _id_list(on_sqlite: bool, ids: Sequence[uuid.UUID]) -> Any:
    return orjson.dumps([i.hex for i in ids]).decode() if on_sqlite else list(ids)


@lru_cache(maxsize=2)
def _remove_statement(on_sqlite: bool) -> Any:
    """The DELETE of named members, built once: its ids are one parameter (an array on
    PostgreSQL, a JSON array on SQLite), where an expanding IN list is rendered per call."""
    member = memberships.c.member_id
    if on_sqlite:
        listed = sa.func.json_each(sa.bindparam("ids", type_=sa.String())).table_valued("value")
        named = member.in_(sa.select(listed.c.value))
    else:
        named = member == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.Uuid())))
    group = memberships.c.group_id == sa.bindparam("group_id", type_=sa.Uuid())
    return memberships.delete().where(group, named).returning(*_MOVED)


def _display_names(kind: ResourceKind) -> tuple[str, ...]:
    names = {m.name_attribute for m in kind.member_types.values() if m.name_attribute}
    return tuple(sorted(names - {"displayName"}))


class MembershipOps:
    """The membership half of the Store's Transaction protocol (``app.scim.store``)."""

    executor: Executor
    sqlite: bool

    def nests_serially(self) -> bool:
        """Whether nesting writers must take the advisory lock (not on SQLite)."""
        return not self.sqlite

    async def resolve_members(
        self, kind: ResourceKind, tenant: str, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """The type of each id that names a resource of this tenant ``kind`` may hold."""
        found: dict[uuid.UUID, str] = {}
        for chunk in _chunks(ids):
            rows = await self.executor.rows(
                sa.select(resources.c.id, resources.c.resource_type).where(
                    resources.c.tenant == tenant,
                    resources.c.resource_type.in_(list(kind.member_types)),
                    resources.c.id.in_(chunk),
                )
            )
            found.update({row["id"]: row["resource_type"] for row in rows})
        return found

    async def add_members(self, group_id: uuid.UUID, members: Sequence[MemberRow]) -> Moved:
        """One INSERT per chunk, ignoring members the group already has; the rows inserted."""
        added: list[tuple[uuid.UUID, str]] = []
        statement = _add_statement(self.sqlite)
        for chunk in _chunks(members):
            params = _add_params(self.sqlite, group_id, chunk)
            try:
                added += _moved(await self.executor.rows(statement, params))
            except INTEGRITY_ERRORS as exc:
                # Checked to exist, then deleted by a concurrent request before this insert.
                raise InvalidValueException(
                    detail="a member was deleted while being added; nothing changed"
                ) from exc
        return added

    async def remove_members(self, group_id: uuid.UUID, member_ids: Sequence[uuid.UUID]) -> Moved:
        """DELETE exactly the named rows; the rows deleted (absent members are no error)."""
        removed: list[tuple[uuid.UUID, str]] = []
        statement = _remove_statement(self.sqlite)
        for chunk in _chunks(member_ids):
            params = {"group_id": group_id, "ids": _id_list(self.sqlite, chunk)}
            removed += _moved(await self.executor.rows(statement, params))
        return removed

    async def clear_members(self, group_id: uuid.UUID) -> Moved:
        """``remove`` path ``members`` with no value: one DELETE."""
        statement = (
            memberships.delete().where(memberships.c.group_id == group_id).returning(*_MOVED)
        )
        return _moved(await self.executor.rows(statement))

    async def member_ids(self, group_id: uuid.UUID) -> set[uuid.UUID]:
        """The ids of a group's direct members, for computing a replace's difference."""
        query = sa.select(memberships.c.member_id).where(memberships.c.group_id == group_id)
        return {row["member_id"] for row in await self.executor.rows(query)}

    async def reaches(
        self, kind: ResourceKind, starts: Sequence[uuid.UUID], target: uuid.UUID
    ) -> bool:
        """Whether ``target`` is one of ``starts`` or nested (at any depth) inside one.

        Adding group S to group T makes a cycle exactly when T is reachable from S. The
        recursive CTE uses UNION, so it ends even on data that already holds a cycle.
        On PostgreSQL, writers that nest groups first queue on one transaction-scoped
        advisory lock, so two concurrent adds (A into B, B into A) cannot each miss the
        other's half of a cycle; SQLite serialises writers already.
        """
        if target in starts:
            return True
        if self.nests_serially():
            await self.executor.rows(sa.select(sa.func.pg_advisory_xact_lock(_NESTING_LOCK)))
        seed = sa.select(resources.c.id.label("id")).where(resources.c.id.in_(starts))
        reach = seed.cte("reach", recursive=True)
        step = sa.select(memberships.c.member_id).where(
            memberships.c.group_id == reach.c.id, memberships.c.member_type == kind.name
        )
        reach = reach.union(step)
        query = sa.select(sa.literal(1)).select_from(reach).where(reach.c.id == target).limit(1)
        return bool(await self.executor.rows(query))

    async def members_of(
        self, kind: ResourceKind, group_ids: Sequence[uuid.UUID]
    ) -> AsyncIterator[Member]:
        """Members of these groups with their display names: ONE query, streamed.

        Rows arrive in batches from a server-side cursor (asyncpg), so a 100,000-member
        group costs one statement and a few fetches, never one round trip per member.
        Unordered: RFC 7643 §2.4 gives multi-valued attributes no order.
        """
        if not group_ids:
            return
        query = (
            sa.select(
                memberships.c.group_id,
                memberships.c.member_id,
                memberships.c.member_type,
                sa.func.coalesce(memberships.c.display, _display(_display_names(kind))).label(
                    "display"
                ),
            )
            .join(resources, resources.c.id == memberships.c.member_id)
            .where(memberships.c.group_id.in_(group_ids))
        )
        async for row in self.executor.stream(query, batch=_BATCH):
            yield Member(row["group_id"], row["member_id"], row["member_type"], row["display"])


@lru_cache(maxsize=4)
def groups_column(dialect: Dialect) -> Any:
    """The groups the row of the enclosing query belongs to, as a JSON array of
    ``[group id, displayName, direct]``: a scalar subquery walking memberships upwards.

    One recursive CTE, nested in the subquery so it can see the outer row; UNION ends the
    walk even on data that holds a cycle. A group reached both directly and through a
    nested group is direct (RFC 7643 §4.1.2 ``type``). NULL or ``[]`` when there are none.
    Built once per backend: statements embedding it reuse it.
    """
    seed = (
        sa.select(memberships.c.group_id.label("group_id"), _ONE.label("direct"))
        .where(memberships.c.member_id == resources.c.id)
        .correlate(resources)
    )
    up = seed.cte("up", recursive=True, nesting=True)
    parent = memberships.alias("parent")
    up = up.union(sa.select(parent.c.group_id, _ZERO).where(parent.c.member_id == up.c.group_id))
    found = (
        sa.select(up.c.group_id, sa.func.max(up.c.direct).label("direct"))
        .group_by(up.c.group_id)
        .subquery("found")
    )
    group = resources.alias("g")
    row = dialect.json_array(group.c.id, group.c.display_name, found.c.direct)
    return (
        sa.select(dialect.json_aggregate(row))
        .select_from(found.join(group, group.c.id == found.c.group_id))
        .scalar_subquery()
    )


def parse_groups(value: Any) -> tuple[GroupRef, ...]:
    """``groups_column``'s value as refs, ordered by display name then id."""
    refs = [
        GroupRef(uuid.UUID(str(group_id)), display, bool(direct))
        for group_id, display, direct in value or ()
    ]
    refs.sort(key=lambda ref: (ref.display or "", str(ref.group_id)))
    return tuple(refs)
