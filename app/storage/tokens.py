"""The ``tokens`` table behind the Store's token methods (mixed into ``SqlStore``).

Only digests are kept. A lookup matches the current digest or, during a rotation's grace,
the previous one; expiry is checked by the caller, so a cached answer expires on time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from scim2_models import UniquenessException

from app.scim.store import StoredToken
from app.storage.errors import INTEGRITY_ERRORS
from app.storage.tables import TokenRow

tokens = TokenRow.__table__  # type: ignore[attr-defined]

_COLUMNS = (
    tokens.c.name,
    tokens.c.tenant,
    tokens.c.scopes,
    tokens.c.created,
    tokens.c.expires,
    tokens.c.last_used,
    tokens.c.previous_expires,
)
_FIND = sa.select(
    *_COLUMNS, (tokens.c.previous_digest == sa.bindparam("digest")).label("previous")
).where(
    sa.or_(
        tokens.c.digest == sa.bindparam("digest"),
        tokens.c.previous_digest == sa.bindparam("digest"),
    )
)
_INSERT = tokens.insert()
_LIST = sa.select(*_COLUMNS).order_by(tokens.c.name)
_DELETE = tokens.delete().where(tokens.c.name == sa.bindparam("token_name"))
_ROTATE = (
    tokens.update()
    .where(tokens.c.name == sa.bindparam("token_name"))
    .values(
        previous_digest=tokens.c.digest,
        previous_expires=sa.bindparam("grace_ends"),
        digest=sa.bindparam("new_digest"),
    )
)
_TOUCH = (
    tokens.update()
    .where(tokens.c.name == sa.bindparam("token_name"))
    .where(sa.or_(tokens.c.last_used.is_(None), tokens.c.last_used < sa.bindparam("stale")))
    .values(last_used=sa.bindparam("now"))
)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _token(row: Any, previous: bool = False) -> StoredToken:
    created = _aware(row["created"])
    assert created is not None
    return StoredToken(
        name=row["name"],
        tenant=row["tenant"],
        scopes=frozenset(row["scopes"].split()),
        created=created,
        expires=_aware(row["expires"]),
        last_used=_aware(row["last_used"]),
        previous_expires=_aware(row["previous_expires"]),
        previous=previous,
    )


class TokenMethods:
    """The Store protocol's token methods, over ``transaction`` of the class mixing it in."""

    def transaction(
        self, *, write: bool, snapshot: bool = False, single: bool = False
    ) -> AbstractAsyncContextManager[Any]:
        raise NotImplementedError

    async def _rows(self, statement: Any, params: dict[str, Any] | None = None) -> Sequence[Any]:
        async with self.transaction(write=False) as tx:
            rows: Sequence[Any] = await tx.executor.rows(statement, params)
            return rows

    async def _write(self, statement: Any, params: dict[str, Any]) -> int:
        async with self.transaction(write=True, single=True) as tx:
            count: int = await tx.executor.execute(statement, params)
            return count

    async def create_token(
        self,
        name: str,
        digest: str,
        tenant: str,
        scopes: Sequence[str] = ("scim",),
        expires: datetime | None = None,
    ) -> None:
        row = {
            "id": uuid.uuid4(),
            "name": name,
            "digest": digest,
            "tenant": tenant,
            "created": datetime.now(UTC),
            "scopes": " ".join(sorted(set(scopes))),
            "expires": expires,
        }
        try:
            await self._write(_INSERT, row)
        except INTEGRITY_ERRORS as exc:
            raise UniquenessException(detail=f"a token named {name!r} exists") from exc

    async def find_token(self, digest: str) -> StoredToken | None:
        rows = await self._rows(_FIND, {"digest": digest})
        return _token(rows[0], bool(rows[0]["previous"])) if rows else None

    async def list_tokens(self) -> list[StoredToken]:
        return [_token(row) for row in await self._rows(_LIST)]

    async def rotate_token(self, name: str, digest: str, grace_ends: datetime) -> bool:
        params = {"token_name": name, "new_digest": digest, "grace_ends": grace_ends}
        return bool(await self._write(_ROTATE, params))

    async def revoke_token(self, name: str) -> bool:
        return bool(await self._write(_DELETE, {"token_name": name}))

    async def touch_token(self, name: str, now: datetime, interval_seconds: float) -> None:
        stale = now - timedelta(seconds=interval_seconds)
        await self._write(_TOUCH, {"token_name": name, "now": now, "stale": stale})
