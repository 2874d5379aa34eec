"""SQLite through a few aiosqlite connections: every statement of the service runs here.

Each connection has its thread (aiosqlite); WAL lets readers read while the one writer
writes. Writers queue on an asyncio lock, in order, instead of polling SQLite's file lock
through busy_timeout (where a writer's p99 reached seconds under 16 concurrent ones); the
busy timeout stays for other processes (the CLI). Statements are compiled by
``app.storage.compiled``, with SQLAlchemy's result processors for the types SQLite has no
native form of (UUIDs, timestamps, JSON, booleans).

Connections are opened as SQLAlchemy's documented recipe would: autocommit at the driver
(``isolation_level=None``), so BEGIN, SAVEPOINT and COMMIT mean what they say; foreign keys
on; WAL; synchronous=NORMAL.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.storage.compiled import Compiler

_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
)


class SqlitePool:
    """A few aiosqlite connections to one database file, and the writers' queue."""

    def __init__(self, engine: AsyncEngine, *, size: int = 4, timeout: float = 5.0) -> None:
        self.engine = engine
        database = make_url(engine.url).database or ":memory:"
        self._path = database
        # An in-memory database exists once per connection: one connection serves all.
        self._size = 1 if database == ":memory:" else size
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._open = 0
        self._opening = asyncio.Lock()
        self.writers = asyncio.Lock()
        self.timeout = timeout
        self.waiting = 0
        self._closed = False
        """Callers waiting for a connection (a gauge of ``/metrics``)."""
        self.compiled = Compiler(engine.dialect, result_processors=True)

    async def _connect(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(self._path, isolation_level=None, timeout=30)
        try:
            for pragma in _PRAGMAS:
                await connection.execute(pragma)
        except BaseException:  # cancelled at shutdown, say: the thread must still end
            await asyncio.shield(connection.close())
            raise
        return connection

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._idle.empty() and self._open < self._size:
            async with self._opening:
                if self._open < self._size:
                    self._open += 1
                    try:
                        self._idle.put_nowait(await self._connect())
                    except BaseException:
                        self._open -= 1
                        raise
        if self._idle.empty():
            self.waiting += 1
            try:
                async with asyncio.timeout(self.timeout):
                    connection = await self._idle.get()
            finally:
                self.waiting -= 1
        else:
            connection = self._idle.get_nowait()
        try:
            yield connection
        finally:
            if self._closed:  # given back after close() (a task ending at shutdown)
                self._open -= 1
                await asyncio.shield(connection.close())
            else:
                self._idle.put_nowait(connection)

    @asynccontextmanager
    async def transaction(self, *, write: bool) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE for writers (queued here), BEGIN for a reading snapshot."""
        if not write:
            async with self.connection() as connection, _begun(connection, "BEGIN"):
                yield connection
            return
        async with self.writers:  # noqa: SIM117 (the writer's turn comes before a connection)
            async with self.connection() as connection, _begun(connection, "BEGIN IMMEDIATE"):
                yield connection

    def size(self) -> tuple[int, int]:
        """(open connections, idle ones)."""
        return self._open, self._idle.qsize()

    async def close(self) -> None:
        self._closed = True
        while not self._idle.empty():
            await self._idle.get_nowait().close()
            self._open -= 1


@asynccontextmanager
async def _begun(connection: aiosqlite.Connection, begin: str) -> AsyncIterator[None]:
    await connection.execute(begin)
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            await connection.execute("ROLLBACK")
        raise
    await connection.execute("COMMIT")
