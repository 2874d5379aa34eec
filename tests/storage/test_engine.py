"""Per-backend engine behaviour the rest of the code relies on."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.storage.engine import create_engine
from app.storage.sqlite_pool import SqlitePool
from app.storage.tables import TokenRow

tokens = TokenRow.__table__  # type: ignore[attr-defined]


def _token(name: str) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "name": name,
        "digest": uuid.uuid4().hex * 2,
        "tenant": "t",
        "created": datetime.now(UTC),
    }


async def test_savepoint_rollback_undoes_only_the_inner_work(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            outer = await connection.begin()
            await connection.execute(tokens.insert().values(**_token("outer")))
            inner = await connection.begin_nested()
            await connection.execute(tokens.insert().values(**_token("inner")))
            await inner.rollback()
            names = (await connection.execute(sa.select(tokens.c.name))).scalars().all()
            await outer.rollback()
        assert names == ["outer"]
    finally:
        await engine.dispose()


async def test_sqlite_engine_runs_with_foreign_keys_and_wal(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}")
    try:
        async with engine.connect() as connection:
            foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
            journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        assert (foreign_keys, journal) == (1, "wal")
    finally:
        await engine.dispose()


async def test_sqlite_pool_runs_with_foreign_keys_and_wal(tmp_path: Path) -> None:
    pool = SqlitePool(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}"))
    try:
        async with pool.connection() as connection:
            foreign_keys = (await connection.execute_fetchall("PRAGMA foreign_keys"))[0][0]
            journal = (await connection.execute_fetchall("PRAGMA journal_mode"))[0][0]
        assert (foreign_keys, journal) == (1, "wal")
    finally:
        await pool.close()


async def test_sqlite_writers_take_turns_in_arrival_order(tmp_path: Path) -> None:
    pool = SqlitePool(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'order.db'}"))
    order: list[int] = []

    async def writer(number: int) -> None:
        async with pool.transaction(write=True):
            order.append(number)
            await asyncio.sleep(0)

    try:
        await asyncio.gather(*(writer(n) for n in range(8)))
        assert order == list(range(8))
    finally:
        await pool.close()


@pytest.mark.postgresql_only
@pytest.mark.parametrize(
    ("setting", "value"), [("jit", "off"), ("max_parallel_workers_per_gather", "0")]
)
async def test_the_service_sessions_run_short_statements_alone(
    app: FastAPI, setting: str, value: str
) -> None:
    """No JIT (compiling the list statement cost ten times running it) and no parallel
    workers (the generic plan of a deep page became a parallel scan of the tenant)."""
    store = app.state.store
    async with store.pg.connection() as connection:
        assert await connection.fetchval(f"SHOW {setting}") == value
    async with store.engine.connect() as connection:
        assert (await connection.execute(sa.text(f"SHOW {setting}"))).scalar_one() == value
