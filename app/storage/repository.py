"""The SQL implementation of the Store protocol (``app.scim.store``)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import asyncpg
import sqlalchemy as sa
from scim2_models import UniquenessException
from sqlalchemy.ext.asyncio import AsyncEngine

from app.scim.events import NewEvent
from app.scim.resources import ResourceKind
from app.scim.store import (
    Anchor,
    Deleted,
    Emitter,
    ListQuery,
    Page,
    ResourceWrite,
    StoredResource,
)
from app.storage import events as outbox
from app.storage.engine import is_sqlite
from app.storage.errors import INTEGRITY_ERRORS, database_errors
from app.storage.event_log import EventLog
from app.storage.executors import Executor, PgExecutor, SqliteExecutor
from app.storage.json_sql import Dialect
from app.storage.listing import ListStatement, list_statement
from app.storage.members import MembershipOps, groups_column, parse_groups
from app.storage.pg_pool import PgPool
from app.storage.positions import ListKey, Position, Positions
from app.storage.request_log import RequestLogMethods
from app.storage.sqlite_pool import SqlitePool
from app.storage.tables import MembershipRow, ResourceRow, ServiceSecretRow
from app.storage.tokens import TokenMethods
from app.storage.unique import UniqueOps
from app.storage.wakeup import Wakeup

resources = ResourceRow.__table__  # type: ignore[attr-defined]
memberships = MembershipRow.__table__  # type: ignore[attr-defined]
service_secrets = ServiceSecretRow.__table__  # type: ignore[attr-defined]

_READ_COLUMNS = (
    resources.c.id,
    resources.c.resource_type,
    resources.c.version,
    resources.c.created,
    resources.c.last_modified,
    resources.c.document,
)


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _stored(row: Any, with_groups: bool = False) -> StoredResource:
    return StoredResource(
        id=row["id"],
        resource_type=row["resource_type"],
        version=row["version"],
        created=_aware(row["created"]),
        last_modified=_aware(row["last_modified"]),
        document=row["document"],
        groups=parse_groups(row["groups"]) if with_groups else None,
    )


def _uniqueness(kind: ResourceKind) -> UniquenessException:
    return UniquenessException(
        detail=f"a {kind.name} with this {kind.name_attribute} already exists"
    )


def _columns(write: ResourceWrite, row_id: uuid.UUID) -> dict[str, Any]:
    """A type without a unique name keys its row by id, which the unique index never refuses."""
    name_key = write.keys.name_key
    return {
        "name_key": str(row_id) if name_key is None else name_key,
        "external_id": write.keys.external_id,
        "active": write.keys.active,
        "display_name": write.keys.display_name,
        "document": write.document,
        "search": write.search,
    }


class SqlTransaction(MembershipOps, UniqueOps):
    """One open transaction, or, for reads, statements each on their own (see
    ``SqlStore.transaction``), run by ``executor``."""

    def __init__(self, executor: Executor, *, sqlite: bool, positions: Positions) -> None:
        self.executor = executor
        self.sqlite = sqlite
        self.dialect = Dialect(sqlite=sqlite)
        self.positions = positions
        self.emitted = False

    async def _list_rows(
        self, tenant: str, query: ListQuery, with_groups: bool, seek: Position | None
    ) -> tuple[ListStatement, list[Any]]:
        prepared = list_statement(tenant, query, self.dialect, with_groups=with_groups, seek=seek)
        rows = await self.executor.rows(prepared.built.statement, prepared.params)
        return prepared.built, list(rows)

    async def documents(self, row_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        rows = await self.executor.rows(
            sa.select(resources.c.id, resources.c.document).where(resources.c.id.in_(row_ids))
        )
        return {row["id"]: row["document"] for row in rows}

    async def insert(
        self,
        tenant: str,
        kind: ResourceKind,
        write: ResourceWrite,
        now: datetime,
        *,
        emit: Emitter | None = None,
    ) -> StoredResource:
        row_id = write.row_id or uuid.uuid4()
        values = {
            "id": row_id,
            "tenant": tenant,
            "resource_type": kind.name,
            "version": 1,
            "created": now,
            "last_modified": now,
            **_columns(write, row_id),
        }
        stored = StoredResource(values["id"], kind.name, 1, now, now, write.document, groups=())
        try:
            if emit is None:
                await self.executor.execute(_INSERT, values)
            else:
                await self._write_emitting(_INSERT, values, tenant, emit(stored), now)
        except INTEGRITY_ERRORS as exc:
            # The transaction is lost with the error: the service lets it roll back.
            raise _uniqueness(kind) from exc
        if kind.unique_attributes:
            await self.write_unique(tenant, kind, row_id, write.unique, new=True)
        return stored

    async def _write_emitting(
        self,
        statement: Any,
        values: dict[str, Any],
        tenant: str,
        made: Sequence[NewEvent],
        now: datetime,
    ) -> int:
        """A row's INSERT or UPDATE and its events: one statement on PostgreSQL (in
        autocommit when the write is ``single``), one trip to the thread on SQLite. The
        write's LAST statement: it takes the tenant's event counter. How many rows the
        write changed: an UPDATE whose WHERE matches nothing writes no event either."""
        executor = self.executor
        if not made:
            return await executor.execute(statement, values)
        if isinstance(executor, PgExecutor):
            sql, arguments = executor.sql(statement, values)
            inserts = statement is _INSERT
            returned = f"{sql} RETURNING tenant, resource_type"
            combined = outbox.pg_emit_sql(len(arguments), returned, inserts=inserts)
            notified = await executor.raw(
                combined, arguments + outbox.pg_emit_arguments(tenant, made, now)
            )
            changed = 1 if notified else 0
        else:
            assert isinstance(executor, SqliteExecutor)
            steps = [(statement, values), *outbox.sqlite_steps(tenant, made, now)]
            changed = await executor.batch(steps, guarded=True)
        self.emitted = self.emitted or bool(changed)
        return changed

    async def emit(self, tenant: str, events: Sequence[NewEvent], now: datetime) -> None:
        self.emitted = True
        await outbox.emit(
            self.executor, sqlite_backend=self.sqlite, tenant=tenant, made=events, now=now
        )

    async def get(
        self,
        tenant: str,
        kind: ResourceKind,
        resource_id: uuid.UUID,
        *,
        for_update: bool = False,
        with_groups: bool = False,
    ) -> StoredResource | None:
        """By primary key alone, then the row's tenant and type are checked: with them in the
        WHERE, PostgreSQL without statistics plans the lookup on a (tenant, ...) index and
        walks every row of the tenant."""
        query = _by_id(self.dialect, with_groups, for_update and not self.sqlite)
        found = await self.executor.rows(query, {"id": resource_id})
        row = found[0] if found else None
        if row is None or row["tenant"] != tenant or row["resource_type"] != kind.name:
            return None
        return _stored(row, with_groups)

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
        """``current`` was read (and locked) in this transaction for this tenant: by id."""
        updated = await self._update(_UPDATE, {}, tenant, kind, current, write, now, emit)
        assert updated is not None, "a locked row is still there"
        return updated

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
        """``current`` was read for this tenant; the version in the WHERE makes the read
        and this write one atomic step, without a lock held between them."""
        read = {"read_version": current.version}
        return await self._update(
            _UPDATE_UNLESS_CHANGED, read, tenant, kind, current, write, now, emit
        )

    async def _update(
        self,
        statement: Any,
        where: dict[str, Any],
        tenant: str,
        kind: ResourceKind,
        current: StoredResource,
        write: ResourceWrite,
        now: datetime,
        emit: Emitter | None,
    ) -> StoredResource | None:
        version = current.version + 1
        values = {"row_id": current.id, "version": version, "last_modified": now, **where}
        stored = StoredResource(
            current.id, kind.name, version, current.created, now, write.document, current.groups
        )
        values.update(_columns(write, current.id))
        try:
            if emit is None:
                changed = await self.executor.execute(statement, values)
            else:
                changed = await self._write_emitting(statement, values, tenant, emit(stored), now)
        except INTEGRITY_ERRORS as exc:
            raise _uniqueness(kind) from exc
        if not changed:
            return None
        if kind.unique_attributes:
            await self.write_unique(tenant, kind, current.id, write.unique, new=False)
        return stored

    async def delete(
        self, tenant: str, kind: ResourceKind, resource_id: uuid.UUID, now: datetime
    ) -> Deleted | None:
        current = await self.get(tenant, kind, resource_id, for_update=True)
        if current is None:
            return None
        # The cascade will take this resource's membership rows, so the groups holding it
        # change: move their version first, while the rows still say which they are.
        bumped = await self.executor.rows(_BUMP_GROUPS_OF, {"member": resource_id, "now": now})
        await self.executor.execute(_DELETE, {"row_id": resource_id})
        return Deleted(current, [_stored(row) for row in bumped])

    def _remember(self, key: ListKey, start_index: int, rows: list[Any]) -> None:
        """Where the page's first and last rows sit: the same page asked again, or the next
        one, then starts from them."""
        gone = rows[0]["gone"]
        self.positions.remember(key, Position(start_index, _anchor(rows[0]), gone))
        last = start_index + len(rows) - 1
        self.positions.remember(key, Position(last, _anchor(rows[-1]), gone))

    async def list(self, tenant: str, query: ListQuery, *, with_groups: bool = False) -> Page:
        """One statement serves the total and the page; see ``app.storage.listing``.

        An unfiltered page in creation order starts from the nearest remembered position
        (``app.storage.positions``); one whose tenant deleted rows since is read again.
        """
        ordered = (
            query.filter is None
            and query.sort is None
            and not query.cursor_mode
            and len(query.kinds) == 1
        )
        key = (tenant, tuple(kind.name for kind in query.kinds))
        seek = self.positions.nearest(key, query.start_index) if ordered else None
        built, rows = await self._list_rows(tenant, query, with_groups, seek)
        if seek is not None and rows and rows[0]["gone"] != seek.deleted:
            self.positions.forget(key)
            built, rows = await self._list_rows(tenant, query, with_groups, None)
        total = rows[0]["n"] if rows else 0
        if query.count <= 0:
            return Page(total=total)
        rows = [row for row in rows if row["id"] is not None]
        if ordered and rows:
            self._remember(key, query.start_index, rows)
        if not query.cursor_mode:
            return Page(total=total, resources=[_stored(row, with_groups) for row in rows])
        more = len(rows) > query.count
        rows = rows[: query.count]
        if built.backwards:
            rows.reverse()
        key_label = built.key_labels[-2]
        anchors = [Anchor(_key_value(row[key_label]), row["id"]) for row in rows]
        return Page(
            total=total,
            resources=[_stored(row, with_groups) for row in rows],
            first=anchors[0] if anchors else None,
            last=anchors[-1] if anchors else None,
            more=more,
        )


def _anchor(row: Any) -> Anchor:
    return Anchor(_aware(row["k0"]), row["id"])


def _key_value(value: Any) -> Any:
    """Keys as the cursor keeps them: aware datetimes (SQLite returns naive ones)."""
    return _aware(value) if isinstance(value, datetime) else value


_REVISION = "SELECT version_num FROM alembic_version"
_SECRET = sa.select(service_secrets.c.value).where(
    service_secrets.c.name == sa.bindparam("secret_name")
)
_INSERT = resources.insert()
_UPDATE = resources.update().where(resources.c.id == sa.bindparam("row_id"))
_UPDATE_UNLESS_CHANGED = _UPDATE.where(resources.c.version == sa.bindparam("read_version"))
_DELETE = resources.delete().where(resources.c.id == sa.bindparam("row_id"))
_BUMP_GROUPS_OF = (
    resources.update()
    .where(
        resources.c.id.in_(
            sa.select(memberships.c.group_id).where(
                memberships.c.member_id == sa.bindparam("member")
            )
        )
    )
    .values(version=resources.c.version + 1, last_modified=sa.bindparam("now"))
    .returning(*_READ_COLUMNS)
)
"""Built once: a statement built per call costs SQLAlchemy more than the database."""


@lru_cache(maxsize=8)
def _by_id(dialect: Dialect, with_groups: bool, for_update: bool) -> Any:
    """The read of one row by primary key, built once (SQLAlchemy then reuses its compiled
    form); with the user's derived ``groups`` as a column when asked."""
    columns: list[Any] = [*_READ_COLUMNS, resources.c.tenant]
    if with_groups:
        columns.append(groups_column(dialect).label("groups"))
    query = sa.select(*columns).where(resources.c.id == sa.bindparam("id"))
    if for_update:
        # FOR NO KEY UPDATE: membership inserts naming this row (foreign-key checks take
        # KEY SHARE) must not wait on it, or two groups nesting each other deadlock.
        query = query.with_for_update(key_share=True, of=resources)
    return query


class SqlStore(TokenMethods, RequestLogMethods, EventLog):
    """Opens transactions and keeps tokens; built once per process by ``app.main``.

    PostgreSQL runs on one asyncpg pool (``app.storage.pg_pool``), SQLite on SQLAlchemy's
    engine (aiosqlite).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        pool_size: int = 20,
        statement_timeout_ms: int = 30_000,
        pool_timeout: float = 5.0,
        events: bool = True,
        pooler: bool = False,
    ) -> None:
        self.engine = engine
        self.events = events
        self.sqlite = is_sqlite(engine.url)
        self.positions = Positions()
        self.pg = (
            None
            if self.sqlite
            else PgPool(
                engine,
                pool_size=pool_size,
                statement_timeout_ms=statement_timeout_ms,
                timeout=pool_timeout,
                pooler=pooler,
            )
        )
        self.lite = SqlitePool(engine, timeout=pool_timeout) if self.sqlite else None
        self.wakeup = Wakeup(None if self.sqlite else engine)

    async def close(self) -> None:
        await self.wakeup.close()
        if self.pg is not None:
            await self.pg.close()
        if self.lite is not None:
            await self.lite.close()
        await self.engine.dispose()

    def _unit(self, executor: Executor) -> SqlTransaction:
        return SqlTransaction(executor, sqlite=self.sqlite, positions=self.positions)

    @asynccontextmanager
    async def transaction(
        self, *, write: bool, snapshot: bool = False, single: bool = False
    ) -> AsyncIterator[SqlTransaction]:
        """A unit of work; a database that cannot be reached is 503, which IdPs retry.

        Reads without ``snapshot``, and ``single``-statement writes, run each statement on
        its own, in autocommit: no BEGIN and COMMIT round trips around one statement.
        """
        transaction = snapshot or (write and not single)
        async with database_errors(), self._open(write, transaction) as executor:
            unit = self._unit(executor)
            yield unit
        if unit.emitted:
            self.wakeup.notify()

    @asynccontextmanager
    async def _open(self, write: bool, transaction: bool) -> AsyncIterator[Executor]:
        if self.pg is not None:
            if not transaction:
                yield PgExecutor(self.pg)
                return
            async with self.pg.connection() as connection, connection.transaction():
                yield PgExecutor(self.pg, connection)
            return
        assert self.lite is not None
        if transaction:
            async with self.lite.transaction(write=write) as connection:
                yield SqliteExecutor(self.lite, connection)
        elif write:
            async with self.lite.writers:
                yield SqliteExecutor(self.lite)
        else:
            yield SqliteExecutor(self.lite)

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database is at; None when it was never migrated."""
        try:
            if self.pg is not None:
                async with self.pg.connection() as connection:
                    revision: str | None = await connection.fetchval(_REVISION)
                    return revision
            assert self.lite is not None
            async with self.lite.connection() as connection:
                rows = await connection.execute_fetchall(_REVISION)
            found = list(rows)
            return str(found[0][0]) if found else None
        except (asyncpg.UndefinedTableError, sqlite3.OperationalError) as exc:
            if isinstance(exc, sqlite3.OperationalError) and "no such table" not in str(exc):
                raise
            return None

    async def service_secret(self, name: str) -> str | None:
        async with self.transaction(write=False) as tx:
            rows = await tx.executor.rows(_SECRET, {"secret_name": name})
        return str(rows[0]["value"]) if rows else None

    def pool_stats(self) -> tuple[int, int, int]:
        """(connections in use, idle connections, requests waiting for one)."""
        pool = self.pg or self.lite
        assert pool is not None
        size, idle = pool.size()
        return size - idle, idle, pool.waiting
