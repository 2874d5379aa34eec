"""Reads on PostgreSQL straight through an asyncpg pool, without SQLAlchemy's per-call work.

A read by id costs about 100 µs of client CPU on an asyncpg pool and 250 µs through
SQLAlchemy's AsyncConnection (pool checkout, execution context, result wrapping): more than
the rest of the request. Reads outside a transaction (every read but a streamed group) run
here. The statements are still SQLAlchemy constructs, compiled once for PostgreSQL; their
values go through SQLAlchemy's own bind processors, and the pool decodes JSON with the
codecs the engine uses, so rows come back as they would through SQLAlchemy.

Writes, and reads that need a snapshot, stay on the engine's pool (``app.storage.engine``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True, slots=True)
class CompiledSql:
    """A statement's PostgreSQL text, its parameters in order and how to process them."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    processors: dict[str, Callable[[Any], Any]]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name in self.names:
            value = params[name] if name in params else self.defaults[name]
            processor = self.processors.get(name)
            out.append(processor(value) if processor is not None else value)
        return out


class _Connection(asyncpg.Connection):  # type: ignore[misc]
    """Returned to the pool as is: asyncpg's reset (a round trip per release) undoes
    session state, and these connections only ever run single read statements."""

    async def reset(self, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        return None


def _jsonb_decode(raw: bytes) -> Any:
    return orjson.loads(raw[1:])


def _jsonb_encode(value: Any) -> bytes:
    return b"\x01" + (value.encode() if isinstance(value, str) else orjson.dumps(value))


async def _codecs(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=_jsonb_encode, decoder=_jsonb_decode, schema="pg_catalog", format="binary"
    )
    await connection.set_type_codec(
        "json",
        encoder=lambda v: v.encode() if isinstance(v, str) else orjson.dumps(v),
        decoder=orjson.loads,
        schema="pg_catalog",
        format="binary",
    )


class PgReads:
    """An asyncpg pool beside the engine's, for one-statement reads."""

    def __init__(
        self, engine: AsyncEngine, *, pool_size: int, statement_timeout_ms: int, timeout: float
    ) -> None:
        self._engine = engine
        self._pool_size = pool_size
        self._statement_timeout_ms = statement_timeout_ms
        self._timeout = timeout
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._compiled: WeakKeyDictionary[Any, CompiledSql] = WeakKeyDictionary()

    def compiled(self, statement: Any) -> CompiledSql:
        """The statement compiled once (statements are built once and reused)."""
        found = self._compiled.get(statement)
        if found is None:
            compiled = statement.compile(dialect=self._engine.dialect)
            if "__[POSTCOMPILE_" in str(compiled):
                raise ValueError("statements read here cannot use expanding IN parameters")
            processors = dict(compiled._bind_processors)
            found = CompiledSql(
                str(compiled), tuple(compiled.positiontup or ()), dict(compiled.params), processors
            )
            self._compiled[statement] = found
        return found

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                _, options = self._engine.dialect.create_connect_args(self._engine.url)
                cache = options.pop("prepared_statement_cache_size", 100)
                self._pool = await asyncpg.create_pool(
                    min_size=0,
                    max_size=self._pool_size,
                    connection_class=_Connection,
                    init=_codecs,
                    statement_cache_size=cache,
                    server_settings={"statement_timeout": str(self._statement_timeout_ms)},
                    timeout=self._timeout,
                    **options,
                )
            return self._pool

    async def rows(self, statement: Any, params: Mapping[str, Any]) -> Sequence[Any]:
        """The rows of one statement (records indexable by column name)."""
        pool = self._pool or await self._open()
        compiled = self.compiled(statement)
        arguments = compiled.arguments(params)
        events = self._engine.sync_engine.dispatch.before_cursor_execute
        if events:
            # Whatever observes the engine's statements (tests, tracing) sees these too.
            events(None, None, compiled.sql, tuple(arguments), None, False)
        async with pool.acquire(timeout=self._timeout) as connection:
            rows: Sequence[Any] = await connection.fetch(compiled.sql, *arguments)
            return rows

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
