"""Async engines per backend, with the settings each database needs to behave.

SQLite: foreign keys on, WAL, a busy timeout, and SQLAlchemy's documented recipe that takes
transaction control away from the sqlite3 driver so BEGIN, SAVEPOINT and ROLLBACK do what
they say. Write transactions start with BEGIN IMMEDIATE so concurrent writers queue on the
busy timeout instead of failing on a read-to-write upgrade.

PostgreSQL (asyncpg): a bounded pool with pre-ping and a statement timeout.
"""

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

WRITE_OPTION = "scim_write"


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
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str, *, pool_size: int = 10, statement_timeout_ms: int = 30_000
) -> AsyncEngine:
    """Build the engine for ``url``; the only place that knows per-backend connection setup."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _install_sqlite_hooks(engine)
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"statement_timeout": str(statement_timeout_ms)}},
    )
