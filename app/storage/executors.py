"""Where statements run: asyncpg on PostgreSQL, aiosqlite on SQLite, straight on the driver.

The repository and the membership operations build SQLAlchemy statements and hand them to
an ``Executor``, which compiles them (``app.storage.compiled``) and returns rows as mappings
of column names, row counts, or a stream. Each reports its statements through the engine's
``before_cursor_execute`` event when something listens (tests, tracing).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

import aiosqlite
import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app.storage.compiled import CompiledSql, Compiler
from app.storage.pg_pool import PgPool
from app.storage.sqlite_pool import SqlitePool

Params = Mapping[str, Any] | None


class Executor(Protocol):
    async def rows(self, statement: Any, params: Params = None) -> Sequence[Any]:
        """Every row of a statement, indexable by column name."""

    async def execute(self, statement: Any, params: Params = None) -> int:
        """Run a statement that changes rows; how many it changed."""

    async def many(self, statement: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        """One statement run for each of ``rows`` (all with the same keys) in one trip."""

    def stream(
        self, statement: Any, params: Params = None, batch: int = 5000
    ) -> AsyncIterator[Any]:
        """The rows of a statement, fetched in batches (inside a transaction)."""


def _prepared(
    engine: AsyncEngine, compiler: Compiler, statement: Any, params: Params
) -> tuple[CompiledSql, list[Any]]:
    compiled = compiler(statement, params)
    arguments = compiled.arguments(params or {})
    events = engine.sync_engine.dispatch.before_cursor_execute
    if events:
        events(None, None, compiled.sql, tuple(arguments), None, False)
    return compiled, arguments


def _count(status: str) -> int:
    """The row count of asyncpg's command status (``"INSERT 0 3"``, ``"DELETE 2"``)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PgExecutor:
    """Statements on one connection (a transaction), or, without one, each statement on a
    connection of the pool (reads, and single-statement writes, in autocommit)."""

    def __init__(self, pool: PgPool, connection: asyncpg.Connection | None = None) -> None:
        self.pool = pool
        self.connection = connection

    async def rows(self, statement: Any, params: Params = None) -> Sequence[Any]:
        compiled, arguments = _prepared(self.pool.engine, self.pool.compiled, statement, params)
        if self.connection is not None:
            found: Sequence[Any] = await self.connection.fetch(compiled.sql, *arguments)
            return found
        async with self.pool.connection() as connection:
            found = await connection.fetch(compiled.sql, *arguments)
            return found

    async def execute(self, statement: Any, params: Params = None) -> int:
        compiled, arguments = _prepared(self.pool.engine, self.pool.compiled, statement, params)
        if self.connection is not None:
            return _count(await self.connection.execute(compiled.sql, *arguments))
        async with self.pool.connection() as connection:
            return _count(await connection.execute(compiled.sql, *arguments))

    async def many(self, statement: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        """asyncpg's ``executemany``: one prepared statement, the rows pipelined, atomic."""
        compiled, _ = _prepared(self.pool.engine, self.pool.compiled, statement, rows[0])
        arguments = [compiled.arguments(row) for row in rows]
        if self.connection is not None:
            await self.connection.executemany(compiled.sql, arguments)
            return
        async with self.pool.connection() as connection:
            await connection.executemany(compiled.sql, arguments)

    async def stream(
        self, statement: Any, params: Params = None, batch: int = 5000
    ) -> AsyncIterator[Any]:
        assert self.connection is not None, "a stream needs a transaction"
        compiled, arguments = _prepared(self.pool.engine, self.pool.compiled, statement, params)
        async for row in self.connection.cursor(compiled.sql, *arguments, prefetch=batch):
            yield row

    def sql(self, statement: Any, params: Params = None) -> tuple[str, list[Any]]:
        """A statement's SQL and arguments, to embed in a larger statement (``raw``)."""
        compiled = self.pool.compiled(statement, params)
        return compiled.sql, compiled.arguments(params or {})

    async def raw(self, sql: str, arguments: Sequence[Any]) -> Sequence[Any]:
        """SQL written for PostgreSQL alone (``app.storage.events``), with its arguments."""
        events = self.pool.engine.sync_engine.dispatch.before_cursor_execute
        if events:
            events(None, None, sql, tuple(arguments), None, False)
        if self.connection is not None:
            found: Sequence[Any] = await self.connection.fetch(sql, *arguments)
            return found
        async with self.pool.connection() as connection:
            found = await connection.fetch(sql, *arguments)
            return found


class SqliteExecutor:
    """Statements on one connection (a transaction), or each on a pooled connection."""

    def __init__(self, pool: SqlitePool, connection: aiosqlite.Connection | None = None) -> None:
        self.pool = pool
        self.connection = connection

    async def rows(self, statement: Any, params: Params = None) -> Sequence[Any]:
        compiled, arguments = _prepared(self.pool.engine, self.pool.compiled, statement, params)
        if self.connection is not None:
            found = await self.connection.execute_fetchall(compiled.sql, arguments)
        else:
            async with self.pool.connection() as connection:
                found = await connection.execute_fetchall(compiled.sql, arguments)
        return [compiled.row(row) for row in found]

    async def execute(self, statement: Any, params: Params = None) -> int:
        compiled, arguments = _prepared(self.pool.engine, self.pool.compiled, statement, params)
        if self.connection is not None:
            return await _changed(self.connection, compiled.sql, arguments)
        async with self.pool.connection() as connection:
            return await _changed(connection, compiled.sql, arguments)

    async def stream(
        self, statement: Any, params: Params = None, batch: int = 5000
    ) -> AsyncIterator[Any]:
        assert self.connection is not None, "a stream needs a transaction"
        compiled, arguments = _prepared(self.pool.engine, self.pool.compiled, statement, params)
        async with self.connection.execute(compiled.sql, arguments) as cursor:
            while rows := await cursor.fetchmany(batch):
                for row in rows:
                    yield compiled.row(row)

    async def many(self, statement: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        await self.batch([(statement, row) for row in rows])

    async def batch(self, steps: Sequence[tuple[Any, Params]], *, guarded: bool = False) -> int:
        """Several writes in ONE trip to the connection's thread: in the open transaction,
        or else in a transaction of their own (the caller holds the writers' turn).

        Each aiosqlite call is a hop to its thread and back (tens of µs); a create with
        its events is three statements, which would otherwise cost five hops with BEGIN
        and COMMIT. aiosqlite has no public call for running a function on its thread;
        ``_execute`` is the one its own methods use. ``guarded``: when the first statement
        changes no row, the others are not run. Returns the first statement's row count.
        """
        prepared = [
            _prepared(self.pool.engine, self.pool.compiled, statement, params)
            for statement, params in steps
        ]
        if self.connection is not None:
            changed: int = await self.connection._execute(  # type: ignore[no-untyped-call]
                _run_steps, self.connection._conn, prepared, False, guarded
            )
            return changed
        async with self.pool.connection() as connection:
            changed = await connection._execute(  # type: ignore[no-untyped-call]
                _run_steps, connection._conn, prepared, True, guarded
            )
            return changed


def _run_steps(
    connection: sqlite3.Connection,
    steps: list[tuple[CompiledSql, list[Any]]],
    begin: bool,
    guarded: bool = False,
) -> int:
    """On the connection's own thread: the statements, in a transaction when ``begin``;
    the first one's row count (when ``guarded`` and it is 0, the others are not run)."""
    if begin:
        connection.execute("BEGIN IMMEDIATE")
    first = 0
    try:
        for index, (compiled, arguments) in enumerate(steps):
            cursor = connection.execute(compiled.sql, arguments)
            changed = max(cursor.rowcount, 0)
            cursor.close()  # a statement left open would refuse the COMMIT
            if index == 0:
                first = changed
                if guarded and not first:
                    break
    except BaseException:
        if begin:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
        raise
    if begin:
        connection.execute("COMMIT")
    return first


async def _changed(connection: aiosqlite.Connection, sql: str, arguments: list[Any]) -> int:
    cursor = await connection.execute(sql, arguments)
    try:
        return max(cursor.rowcount, 0)
    finally:
        await cursor.close()
