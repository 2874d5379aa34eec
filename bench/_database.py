"""A fresh PostgreSQL database for a bench script: created if missing, schema emptied."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


async def fresh_database(url: str) -> None:
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        exists = await connection.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": target.database}
        )
        if not exists:
            await connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    await admin.dispose()
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        await connection.execute(sa.text("CREATE SCHEMA public"))
    await engine.dispose()
