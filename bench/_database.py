"""Database setup shared by the bench scripts: fresh databases and users loaded in bulk.

Users are inserted straight into ``resources`` (setup, never measured), with the columns
the service itself writes: ``app.scim.service.rewrite`` gives the search twin and the key
columns of each document, so a bulk-loaded row is the row a POST would have stored.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.scim.resources import USER
from app.scim.service import rewrite
from app.storage.tables import ResourceRow

TENANT = "default"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "Support", "Legal")
CHUNK = 5_000


async def fresh_database(url: str) -> None:
    """Create the PostgreSQL database of ``url`` when missing and empty its public schema."""
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


def user_name(index: int) -> str:
    return f"user{index:06d}@example.com"


def user_document(index: int) -> dict[str, Any]:
    """An Okta-like user, in the canonical form the service stores (scim2-models' dump)."""
    given, family = f"Given{index}", f"Family{index}"
    return {
        "schemas": [USER.core.urn, ENTERPRISE],
        "userName": user_name(index),
        "name": {"familyName": family, "givenName": given},
        "displayName": f"{given} {family}",
        "active": True,
        "emails": [{"value": user_name(index), "type": "work", "primary": True}],
        ENTERPRISE: {"department": DEPARTMENTS[index % len(DEPARTMENTS)]},
    }


def user_row(document: dict[str, Any], moment: datetime) -> dict[str, Any]:
    """The ``resources`` row of a user document, as the service would write it."""
    write = rewrite(USER, document)
    return {
        "id": uuid.uuid4(),
        "tenant": TENANT,
        "resource_type": USER.name,
        "version": 1,
        "created": moment,
        "last_modified": moment,
        "name_key": write.keys.name_key,
        "external_id": write.keys.external_id,
        "active": write.keys.active,
        "display_name": write.keys.display_name,
        "document": write.document,
        "search": write.search,
    }


async def bulk_users(url: str, start: int, count: int) -> list[tuple[str, str]]:
    """Insert users ``start`` .. ``start + count - 1``; return their (id, userName) pairs.

    Creation times are one microsecond apart from a day in the past (a directory that
    exists already, as when an identity provider imports it), so index paging has one
    stable order and growing the directory appends to it.
    """
    table = ResourceRow.__table__  # type: ignore[attr-defined]
    engine = create_async_engine(url)
    epoch = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    loaded: list[tuple[str, str]] = []
    async with engine.begin() as connection:
        for first in range(start, start + count, CHUNK):
            rows = [
                user_row(user_document(i), epoch + timedelta(microseconds=i))
                for i in range(first, min(start + count, first + CHUNK))
            ]
            await connection.execute(table.insert(), rows)
            loaded.extend((str(r["id"]), r["document"]["userName"]) for r in rows)
    await engine.dispose()
    return loaded


async def count_users(url: str) -> int:
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        total = await connection.scalar(
            sa.text("SELECT count(*) FROM resources WHERE resource_type = 'User'")
        )
    await engine.dispose()
    return int(total or 0)


async def run_sql(url: str, *statements: str) -> None:
    """Run each statement in autocommit mode (VACUUM refuses to run in a transaction)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        for statement in statements:
            await connection.execute(sa.text(statement))
    await engine.dispose()


async def analyze(url: str, *tables: str, vacuum: bool = False) -> None:
    """Planner statistics for ``tables`` (PostgreSQL), with a VACUUM first when asked."""
    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    await run_sql(url, *(f"{command} {table}" for table in tables))
