"""Async engines per backend, with the settings each database needs to behave.

SQLite: foreign keys on, WAL, a busy timeout, and SQLAlchemy's documented recipe that takes
transaction control away from the sqlite3 driver so BEGIN, SAVEPOINT and ROLLBACK do what
they say. Write transactions start with BEGIN IMMEDIATE; reads in autocommit issue no BEGIN.

PostgreSQL (asyncpg): a bounded pool and a statement timeout. No pre-ping: it costs a round
trip per checkout, and a connection that died is invalidated with the whole pool on the first
error it raises (which the repository answers with 503), so the next request gets a fresh one.

Both: JSON columns are read and written with orjson.
"""

from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

WRITE_OPTION = "scim_write"
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
        options = connection.get_execution_options()
        if options.get("isolation_level") == AUTOCOMMIT:
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str, *, pool_size: int = 20, statement_timeout_ms: int = 30_000
) -> AsyncEngine:
    """Build the engine for ``url``; the only place that knows per-backend connection setup."""
    codecs: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **codecs)
        _install_sqlite_hooks(engine)
        return engine
    return create_async_engine(
        url,
        # No overflow: connections opened past the pool's size are closed on return, so a
        # burst beyond it would pay a new connection (and TLS handshake) per request.
        pool_size=pool_size,
        max_overflow=0,
        connect_args={"server_settings": {"statement_timeout": str(statement_timeout_ms)}},
        **codecs,
    )
