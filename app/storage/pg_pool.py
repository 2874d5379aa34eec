"""PostgreSQL through one asyncpg pool: every statement of the service runs here.

Statements are compiled by ``app.storage.compiled``; asyncpg returns native types, and the
pool decodes JSON with orjson as the engine would, so no result processing is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from app.storage.compiled import Compiler
from app.storage.engine import session_settings


class _Connection(asyncpg.Connection):  # type: ignore[misc]
    """Returned to the pool as is: asyncpg's reset (a round trip per release) undoes
    session state, and the service keeps none (its locks are transaction-scoped)."""

    async def reset(self, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        return None


def _jsonb_decode(raw: bytes) -> Any:
    return orjson.loads(raw[1:])


def _jsonb_encode(value: Any) -> bytes:
    return b"\x01" + (value.encode() if isinstance(value, str) else orjson.dumps(value))


def _json_encode(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else orjson.dumps(value)


async def _codecs(connection: asyncpg.Connection) -> None:
    for name, encode, decode in (
        ("jsonb", _jsonb_encode, _jsonb_decode),
        ("json", _json_encode, orjson.loads),
    ):
        await connection.set_type_codec(
            name, encoder=encode, decoder=decode, schema="pg_catalog", format="binary"
        )


class PgPool:
    """The process's asyncpg pool and the compiled form of each statement it runs."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        pool_size: int,
        statement_timeout_ms: int,
        timeout: float,
        pooler: bool = False,
    ) -> None:
        self.engine = engine
        self.pooler = pooler
        """Behind PgBouncer in transaction mode: no prepared statement outlives its
        statement (asyncpg's cache off) and no session setting is sent at connect
        (PgBouncer refuses startup parameters such as statement_timeout)."""
        self.timeout = timeout
        self._pool_size = pool_size
        self._statement_timeout_ms = statement_timeout_ms
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self.waiting = 0
        """Callers waiting for a connection (a gauge of ``/metrics``)."""
        self.compiled = Compiler(engine.dialect, result_processors=False)

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                _, options = self.engine.dialect.create_connect_args(self.engine.url)
                cache = options.pop("prepared_statement_cache_size", 100)
                session = session_settings(self._statement_timeout_ms)
                self._pool = await asyncpg.create_pool(
                    min_size=0,
                    max_size=self._pool_size,
                    connection_class=_Connection,
                    init=_codecs,
                    statement_cache_size=0 if self.pooler else cache,
                    server_settings=None if self.pooler else session,
                    timeout=self.timeout,
                    **options,
                )
            return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; waiting longer than the pool timeout raises TimeoutError."""
        pool = self._pool or await self._open()
        if pool.get_idle_size():  # one is free: no wait to bound (a timer costs ~10 µs)
            connection = await pool.acquire()
        else:
            self.waiting += 1
            try:
                async with asyncio.timeout(self.timeout):
                    connection = await pool.acquire()
            finally:
                self.waiting -= 1
        try:
            yield connection
        finally:
            await pool.release(connection)

    def size(self) -> tuple[int, int]:
        """(open connections, idle ones)."""
        if self._pool is None:
            return 0, 0
        return self._pool.get_size(), self._pool.get_idle_size()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
