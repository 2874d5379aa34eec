"""SQLAlchemy async engines per backend: the dialect every statement is compiled for, and
the connections Alembic and the test suite use.

The service itself runs its statements on the drivers (``app.storage.pg_pool``,
``app.storage.sqlite_pool``). For what does go through the engine: SQLite gets foreign keys,
WAL, a busy timeout and SQLAlchemy's documented recipe that takes transaction control away
from the sqlite3 driver so BEGIN, SAVEPOINT and ROLLBACK do what they say; PostgreSQL a
bounded pool and a statement timeout; both read and write JSON with orjson.
"""

import uuid
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

AUTOCOMMIT = "AUTOCOMMIT"


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("isolation_level") != AUTOCOMMIT:
            connection.exec_driver_sql("BEGIN")


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _statement_name() -> str:
    return f"__scim_{uuid.uuid4().hex}__"


def session_settings(statement_timeout_ms: int) -> dict[str, str]:
    """Sent at connect (never behind PgBouncer, which refuses them). Both off for short
    statements: ``jit``, as the list statement's estimated cost (the derived ``groups``
    of each row) hovers around ``jit_above_cost`` and compiling it took ~20 ms of a 2 ms
    statement; parallel workers, as the generic plan of a page at a position (a prepared
    statement's plan after its fifth run) became a parallel scan and sort of the tenant,
    5 ms where the index takes 0.6."""
    return {
        "statement_timeout": str(statement_timeout_ms),
        "jit": "off",
        "max_parallel_workers_per_gather": "0",
    }


def create_engine(
    url: str, *, pool_size: int = 20, statement_timeout_ms: int = 30_000, pooler: bool = False
) -> AsyncEngine:
    """Build the engine for ``url``; the only place that knows per-backend connection setup.

    ``pooler`` (PgBouncer in transaction mode): no startup settings, which PgBouncer
    refuses, and prepared statements uncached and uniquely named (SQLAlchemy's advice), as
    consecutive transactions may run on different server connections."""
    codecs: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **codecs)
        _install_sqlite_hooks(engine)
        return engine
    connect: dict[str, Any] = {"server_settings": session_settings(statement_timeout_ms)}
    if pooler:
        connect = {
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": _statement_name,
        }
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=0, connect_args=connect, **codecs
    )
