"""The SQL implementation of the Store protocol (``app.scim.store``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from scim2_models import InvalidValueException, UniquenessException
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.scim.errors import ServiceUnavailableException
from app.scim.resources import ResourceKind
from app.scim.store import Anchor, ListQuery, Page, ResourceWrite, StoredResource
from app.storage.engine import WRITE_OPTION, is_sqlite
from app.storage.filter_sql import compile_filter
from app.storage.json_sql import Dialect
from app.storage.members import MembershipOps
from app.storage.paging import SortKey, beyond, order_by, sort_key
from app.storage.tables import MembershipRow, ResourceRow, TokenRow

resources = ResourceRow.__table__  # type: ignore[attr-defined]
memberships = MembershipRow.__table__  # type: ignore[attr-defined]
tokens = TokenRow.__table__  # type: ignore[attr-defined]

_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError, OSError)
"""Failures of the database or the way to it, as opposed to errors in a statement."""

_TRANSIENT_SQLSTATES = frozenset({"57014", "40P01", "40001", "55P03", "53300"})
"""PostgreSQL errors that a retry can cure: statement timeout, deadlock, serialization
failure, lock not available, too many connections (asyncpg's arrive as plain DBAPIError)."""

_READ_COLUMNS = (
    resources.c.id,
    resources.c.resource_type,
    resources.c.version,
    resources.c.created,
    resources.c.last_modified,
    resources.c.document,
)


@asynccontextmanager
async def database_errors() -> AsyncIterator[None]:
    """Database failures as SCIM errors: one that cannot be reached, a timeout or a
    deadlock is 503, which identity providers retry; a value no column can hold is 400."""
    try:
        yield
    except _UNAVAILABLE as exc:
        raise ServiceUnavailableException(detail="the database is unavailable") from exc
    except DBAPIError as exc:
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
        if sqlstate in _TRANSIENT_SQLSTATES:
            raise ServiceUnavailableException(detail="the database is busy; retry") from exc
        if sqlstate.startswith("22"):  # data exception: a value the columns cannot hold
            raise InvalidValueException(detail="a value cannot be stored as sent") from exc
        raise


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _stored(row: Any) -> StoredResource:
    return StoredResource(
        id=row.id,
        resource_type=row.resource_type,
        version=row.version,
        created=_aware(row.created),
        last_modified=_aware(row.last_modified),
        document=row.document,
    )


def _uniqueness(kind: ResourceKind) -> UniquenessException:
    return UniquenessException(
        detail=f"a {kind.name} with this {kind.name_attribute} already exists"
    )


def _columns(write: ResourceWrite) -> dict[str, Any]:
    return {
        "name_key": write.keys.name_key,
        "external_id": write.keys.external_id,
        "active": write.keys.active,
        "display_name": write.keys.display_name,
        "document": write.document,
        "search": write.search,
    }


class SqlTransaction(MembershipOps):
    """One open transaction on one connection."""

    def __init__(self, connection: AsyncConnection, *, sqlite: bool) -> None:
        self.connection = connection
        self.sqlite = sqlite

    def _one(self, tenant: str, kind: ResourceKind, resource_id: uuid.UUID) -> Any:
        return sa.and_(
            resources.c.id == resource_id,
            resources.c.tenant == tenant,
            resources.c.resource_type == kind.name,
        )

    async def insert(
        self, tenant: str, kind: ResourceKind, write: ResourceWrite, now: datetime
    ) -> StoredResource:
        values = {
            "id": uuid.uuid4(),
            "tenant": tenant,
            "resource_type": kind.name,
            "version": 1,
            "created": now,
            "last_modified": now,
            **_columns(write),
        }
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(resources.insert().values(**values))
        except IntegrityError as exc:
            raise _uniqueness(kind) from exc
        return StoredResource(values["id"], kind.name, 1, now, now, write.document)

    async def get(
        self, tenant: str, kind: ResourceKind, resource_id: uuid.UUID, *, for_update: bool = False
    ) -> StoredResource | None:
        query = sa.select(*_READ_COLUMNS).where(self._one(tenant, kind, resource_id))
        if for_update and not self.sqlite:
            # FOR NO KEY UPDATE: membership inserts naming this row (foreign-key checks
            # take KEY SHARE) must not wait on it, or two groups nesting each other deadlock.
            query = query.with_for_update(key_share=True)
        row = (await self.connection.execute(query)).first()
        return _stored(row) if row is not None else None

    async def update(
        self,
        tenant: str,
        kind: ResourceKind,
        current: StoredResource,
        write: ResourceWrite,
        now: datetime,
    ) -> StoredResource:
        version = current.version + 1
        statement = (
            resources.update()
            .where(self._one(tenant, kind, current.id))
            .values(version=version, last_modified=now, **_columns(write))
        )
        try:
            async with self.connection.begin_nested():
                await self.connection.execute(statement)
        except IntegrityError as exc:
            raise _uniqueness(kind) from exc
        return StoredResource(current.id, kind.name, version, current.created, now, write.document)

    async def delete(
        self, tenant: str, kind: ResourceKind, resource_id: uuid.UUID, now: datetime
    ) -> bool:
        # The cascade will take this resource's membership rows, so the groups holding it
        # change: move their version first, while the rows still say which they are.
        doomed = resources.alias("doomed")
        await self.connection.execute(
            resources.update()
            .where(
                resources.c.id.in_(
                    sa.select(memberships.c.group_id).where(memberships.c.member_id == resource_id)
                ),
                sa.exists().where(
                    doomed.c.id == resource_id,
                    doomed.c.tenant == tenant,
                    doomed.c.resource_type == kind.name,
                ),
            )
            .values(version=resources.c.version + 1, last_modified=now)
        )
        result = await self.connection.execute(
            resources.delete().where(self._one(tenant, kind, resource_id))
        )
        return bool(result.rowcount)

    async def list(self, tenant: str, query: ListQuery) -> Page:
        """One WHERE serves the count and the page; see ``app.storage.paging``."""
        dialect = Dialect(sqlite=self.sqlite)
        where = sa.and_(
            resources.c.tenant == tenant,
            resources.c.resource_type.in_([k.name for k in query.kinds]),
        )
        if query.filter is not None:
            where = sa.and_(where, compile_filter(query.kinds, query.filter, dialect))
        counted = sa.select(sa.func.count()).select_from(resources).where(where)
        total = (await self.connection.execute(counted)).scalar_one()
        if query.count <= 0:
            return Page(total=total)
        key = sort_key(query.kinds, query.sort, dialect)
        if query.cursor_mode:
            return await self._keyset(where, key, query, total)
        # Offset over ids only (an index-only scan on PostgreSQL), then fetch the page's
        # documents: a deep startIndex skips index entries, not heap rows.
        window = (
            sa.select(resources.c.id)
            .where(where)
            .order_by(*order_by(key))
            .offset(query.start_index - 1)
            .limit(query.count)
            .subquery()
        )
        page = (
            sa.select(*_READ_COLUMNS)
            .join_from(window, resources, window.c.id == resources.c.id)
            .order_by(*order_by(key))
        )
        rows = (await self.connection.execute(page)).all()
        return Page(total=total, resources=[_stored(row) for row in rows])

    async def _keyset(self, where: Any, key: SortKey, query: ListQuery, total: int) -> Page:
        """RFC 9865 page: rows beyond the cursor's anchor, one extra to know if more remain."""
        backwards = query.cursor is not None and query.cursor.backwards
        if query.cursor is not None:
            where = sa.and_(where, beyond(key, query.cursor.anchor, backwards=backwards))
        page = (
            sa.select(*_READ_COLUMNS, key.expr.label("sort_key"))
            .where(where)
            .order_by(*order_by(key, backwards=backwards))
            .limit(query.count + 1)
        )
        rows = list((await self.connection.execute(page)).all())
        more = len(rows) > query.count
        rows = rows[: query.count]
        if backwards:
            rows.reverse()
        anchors = [Anchor(_key_value(row.sort_key), row.id) for row in rows]
        return Page(
            total=total,
            resources=[_stored(row) for row in rows],
            first=anchors[0] if anchors else None,
            last=anchors[-1] if anchors else None,
            more=more,
        )


def _key_value(value: Any) -> Any:
    """Keys as the cursor keeps them: aware datetimes (SQLite returns naive ones)."""
    return _aware(value) if isinstance(value, datetime) else value


class SqlStore:
    """Opens transactions and keeps tokens; built once per process by ``app.main``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine.url)
        self._writer = engine.execution_options(**{WRITE_OPTION: True})

    @asynccontextmanager
    async def transaction(self, *, write: bool) -> AsyncIterator[SqlTransaction]:
        """A unit of work; a database that cannot be reached is 503, which IdPs retry."""
        engine = self._writer if write else self.engine
        async with database_errors(), engine.begin() as connection:
            yield SqlTransaction(connection, sqlite=self.sqlite)

    async def create_token(self, name: str, digest: str, tenant: str) -> None:
        row = {
            "id": uuid.uuid4(),
            "name": name,
            "digest": digest,
            "tenant": tenant,
            "created": datetime.now(UTC),
        }
        try:
            async with self._writer.begin() as connection:
                await connection.execute(tokens.insert().values(**row))
        except IntegrityError as exc:
            raise UniquenessException(detail=f"a token named {name!r} exists") from exc

    async def token_tenant(self, digest: str) -> str | None:
        async with database_errors(), self.engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(tokens.c.digest, tokens.c.tenant).where(tokens.c.digest == digest)
                )
            ).first()
        return row.tenant if row is not None else None

    async def list_tokens(self) -> list[tuple[str, str, datetime]]:
        async with self.engine.connect() as connection:
            rows = await connection.execute(
                sa.select(tokens.c.name, tokens.c.tenant, tokens.c.created).order_by(tokens.c.name)
            )
            return [(r.name, r.tenant, _aware(r.created)) for r in rows]

    async def revoke_token(self, name: str) -> bool:
        async with self._writer.begin() as connection:
            result = await connection.execute(tokens.delete().where(tokens.c.name == name))
        return bool(result.rowcount)
