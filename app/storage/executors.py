"""Where statements run: asyncpg on PostgreSQL, SQLAlchemy's engine on SQLite.

The repository and the membership operations build SQLAlchemy statements and hand them
to an ``Executor``; it returns rows indexable by column name, row counts, or a stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from app.storage.pg_pool import PgPool

Params = Mapping[str, Any] | None


class Executor(Protocol):
    async def rows(self, statement: Any, params: Params = None) -> Sequence[Any]:
        """Every row of a statement, indexable by column name."""

    async def execute(self, statement: Any, params: Params = None) -> int:
        """Run a statement that changes rows; how many it changed."""

    def stream(
        self, statement: Any, params: Params = None, batch: int = 5000
    ) -> AsyncIterator[Any]:
        """The rows of a statement, fetched in batches (inside a transaction)."""


def _count(status: str) -> int:
    """The row count of asyncpg's command status (``"INSERT 0 3"``, ``"DELETE 2"``)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PgExecutor:
    """Statements on one connection (a transaction), or, without one, each statement on a
    connection of the pool (reads outside a transaction)."""

    def __init__(self, pool: PgPool, connection: asyncpg.Connection | None = None) -> None:
        self.pool = pool
        self.connection = connection

    def _prepared(self, statement: Any, params: Params) -> tuple[str, list[Any]]:
        compiled = self.pool.compiled(statement, params)
        arguments = compiled.arguments(params or {})
        self.pool.observe(compiled, arguments)
        return compiled.sql, arguments

    async def rows(self, statement: Any, params: Params = None) -> Sequence[Any]:
        sql, arguments = self._prepared(statement, params)
        if self.connection is not None:
            found: Sequence[Any] = await self.connection.fetch(sql, *arguments)
            return found
        async with self.pool.connection() as connection:
            found = await connection.fetch(sql, *arguments)
            return found

    async def execute(self, statement: Any, params: Params = None) -> int:
        sql, arguments = self._prepared(statement, params)
        if self.connection is not None:
            return _count(await self.connection.execute(sql, *arguments))
        async with self.pool.connection() as connection:
            return _count(await connection.execute(sql, *arguments))

    async def stream(
        self, statement: Any, params: Params = None, batch: int = 5000
    ) -> AsyncIterator[Any]:
        assert self.connection is not None, "a stream needs a transaction"
        sql, arguments = self._prepared(statement, params)
        async for row in self.connection.cursor(sql, *arguments, prefetch=batch):
            yield row


class SaExecutor:
    """Statements on one SQLAlchemy connection (SQLite)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def rows(self, statement: Any, params: Params = None) -> Sequence[Any]:
        return (await self.connection.execute(statement, params)).mappings().all()

    async def execute(self, statement: Any, params: Params = None) -> int:
        return (await self.connection.execute(statement, params)).rowcount or 0

    async def stream(
        self, statement: Any, params: Params = None, batch: int = 5000
    ) -> AsyncIterator[Any]:
        result = await self.connection.stream(statement.execution_options(yield_per=batch), params)
        async for part in result.mappings().partitions(batch):
            for row in part:
                yield row
