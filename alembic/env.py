"""Alembic environment: async engine, SQLite batch mode, our naming convention."""

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.settings import Settings
from app.storage import tables
from app.storage.engine import create_engine, is_sqlite

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = tables.SQLModel.metadata

MIGRATION_LOCK = 0x5C1A_0001
"""pg_advisory_xact_lock key: processes migrating together take turns, and the later ones
find the schema at the head. Transaction-scoped, so it works behind PgBouncer too."""


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def _for_dialect(dialect: str) -> Any:
    """Leave out of comparisons what the models create on other databases only (ddl_if)."""

    def include(obj: Any, _name: Any, _type: str, _reflected: bool, _compare_to: Any) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)

    return include


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_for_dialect(connection.dialect.name),
        render_as_batch=is_sqlite(_url()),
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def _online() -> None:
    engine = create_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_online())
