"""Database failures turned into the SCIM errors they stand for (RFC 7644 §3.12).

A database that cannot be reached, a timeout, an exhausted pool or a deadlock is 503 with
``Retry-After``, which identity providers retry; a value no column can hold is 400. The
same rules cover SQLAlchemy's wrapped errors and asyncpg's own (``app.storage.pg_pool``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from scim2_models import InvalidValueException
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.scim.errors import ServiceUnavailableException

INTEGRITY_ERRORS = (
    IntegrityError,
    asyncpg.IntegrityConstraintViolationError,
    sqlite3.IntegrityError,
)
"""A unique or foreign key constraint refused a write, whichever driver ran it."""

_CAUSES = {
    "57014": "statement timeout",
    "40P01": "deadlock",
    "40001": "serialization failure",
    "55P03": "lock not available",
    "53300": "too many connections",
    "57P01": "server shutting down",
    "57P02": "server crashed",
    "57P03": "server starting up",
}
"""PostgreSQL errors that a retry can cure, by SQLSTATE."""


def _sqlstate(exc: BaseException) -> str:
    origin = exc.orig if isinstance(exc, DBAPIError) else exc
    return str(getattr(origin, "sqlstate", None) or "")


def _cause(exc: BaseException) -> str | None:
    """Why the database could not serve, or None when the statement itself is at fault."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        return f"SQLite: {text}" if "locked" in text or "disk" in text else None
    if isinstance(exc, PoolTimeoutError | TimeoutError):
        return "timeout waiting for the database or a pooled connection"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError | OperationalError | InterfaceError | asyncpg.InterfaceError):
        return f"connection failed ({type(getattr(exc, 'orig', exc)).__name__})"
    sqlstate = _sqlstate(exc)
    if sqlstate in _CAUSES:
        return _CAUSES[sqlstate]
    if sqlstate.startswith("08") or isinstance(exc, asyncpg.PostgresConnectionError):
        return "connection lost"
    return None


DATABASE_ERRORS = (
    DBAPIError,
    PoolTimeoutError,
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sqlite3.Error,
    ServiceUnavailableException,
)
"""What a database that is down, refuses us or has no schema raises, whichever driver
(outside a request: start-up, the CLI)."""


@asynccontextmanager
async def database_errors() -> AsyncIterator[None]:
    try:
        yield
    except (
        DBAPIError,
        PoolTimeoutError,
        OSError,
        TimeoutError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
    ) as exc:
        cause = _cause(exc)
        if cause is not None:
            error = ServiceUnavailableException(detail=f"the database is unavailable: {cause}")
            raise error from exc
        if _sqlstate(exc).startswith("22"):  # data exception: a value no column can hold
            raise InvalidValueException(detail="a value cannot be stored as sent") from exc
        raise
