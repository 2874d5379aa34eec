"""PostgreSQL through one asyncpg pool, without SQLAlchemy's per-call machinery.

Through SQLAlchemy's AsyncConnection a statement costs about 250 µs of client CPU (pool
checkout, execution context, result wrapping, greenlet switches); straight on an asyncpg
pool, about 100 µs: more than the rest of a read. So on PostgreSQL every statement runs
here. They are still SQLAlchemy constructs, compiled by SQLAlchemy for this dialect (once
for the statements built once); their values go through SQLAlchemy's own bind processors,
and the pool decodes JSON with the codecs the engine uses, so rows are what SQLAlchemy
would return. The SQLAlchemy engine itself serves SQLite (``app.storage.executors``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
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
        self, engine: AsyncEngine, *, pool_size: int, statement_timeout_ms: int, timeout: float
    ) -> None:
        self.engine = engine
        self.timeout = timeout
        self._pool_size = pool_size
        self._statement_timeout_ms = statement_timeout_ms
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()
        self._compiled: WeakKeyDictionary[Any, dict[tuple[str, ...] | None, CompiledSql]] = (
            WeakKeyDictionary()
        )

    def compiled(self, statement: Any, params: Mapping[str, Any] | None = None) -> CompiledSql:
        """The statement compiled for PostgreSQL: once, for a statement object built once.

        An INSERT or UPDATE sets the columns its parameters name, as SQLAlchemy's execute
        does, so its compiled form depends on their names too. Expanding ``IN`` lists are
        rendered with their values, so such a statement (built per call, with its values)
        is compiled each time it runs.
        """
        columns = tuple(sorted(params)) if params and getattr(statement, "is_dml", False) else None
        forms = self._compiled.get(statement)
        found = forms.get(columns) if forms is not None else None
        if found is not None:
            return found
        dialect = self.engine.dialect
        keys = list(columns) if columns is not None else None
        compiled = statement.compile(dialect=dialect, column_keys=keys)
        expanding = "__[POSTCOMPILE_" in str(compiled)
        if expanding:
            compiled = statement.compile(
                dialect=dialect, column_keys=keys, compile_kwargs={"render_postcompile": True}
            )
        found = CompiledSql(
            str(compiled),
            tuple(compiled.positiontup or ()),
            dict(compiled.params),
            dict(compiled._bind_processors),
        )
        if not expanding:
            self._compiled.setdefault(statement, {})[columns] = found
        return found

    def observe(self, compiled: CompiledSql, arguments: list[Any]) -> None:
        """Whatever observes the engine's statements (tests, tracing) sees these too."""
        events = self.engine.sync_engine.dispatch.before_cursor_execute
        if events:
            events(None, None, compiled.sql, tuple(arguments), None, False)

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                _, options = self.engine.dialect.create_connect_args(self.engine.url)
                cache = options.pop("prepared_statement_cache_size", 100)
                self._pool = await asyncpg.create_pool(
                    min_size=0,
                    max_size=self._pool_size,
                    connection_class=_Connection,
                    init=_codecs,
                    statement_cache_size=cache,
                    server_settings={"statement_timeout": str(self._statement_timeout_ms)},
                    timeout=self.timeout,
                    **options,
                )
            return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection; waiting longer than the pool timeout raises TimeoutError."""
        pool = self._pool or await self._open()
        async with asyncio.timeout(self.timeout):
            connection = await pool.acquire()
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
