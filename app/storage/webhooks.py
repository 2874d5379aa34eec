"""Webhook endpoints, leases, positions and attempts in SQL (``app.delivery.model``).

Leases: a delivering process sets ``lease_owner`` and ``lease_until`` on the endpoints it
serves with one UPDATE; PostgreSQL picks the candidates ``FOR UPDATE SKIP LOCKED``, so two
processes claiming at once never wait on, nor both take, the same endpoint; SQLite's
writers are one at a time anyway. Every later write of the holder checks it still holds
the lease, and renews it; a holder that dies loses its endpoints when ``lease_until``
passes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from app.delivery.model import ACTIVE, Attempt, Endpoint, Failure, Listed, as_row
from app.storage.repository import SqlStore
from app.storage.tables import EventSequenceRow, WebhookAttemptRow, WebhookEndpointRow
from app.storage.wakeup import wait

endpoints = WebhookEndpointRow.__table__  # type: ignore[attr-defined]
attempts_table = WebhookAttemptRow.__table__  # type: ignore[attr-defined]
sequences = EventSequenceRow.__table__  # type: ignore[attr-defined]


def _last(table: Any) -> Any:
    """The newest sequence of the endpoint row's tenant (NULL before its first event)."""
    return (
        sa.select(sequences.c.last)
        .where(sequences.c.tenant == table.c.tenant)
        .correlate(table)
        .scalar_subquery()
    )


_CANDIDATE = endpoints.alias("candidate")
_NO_FLUSH_WAIT = sa.text("SET LOCAL synchronous_commit TO OFF")


@lru_cache(maxsize=8)
def _claim(sqlite: bool, limit: int) -> Any:
    """Lease up to ``limit`` due endpoints that have events to deliver. Built once (its
    values are binds): the delivery loop claims after commits, and compiling the statement
    each time cost more than running it."""
    candidates = _candidates(limit)
    if not sqlite:
        candidates = candidates.with_for_update(skip_locked=True)
    return (
        endpoints.update()
        .where(endpoints.c.id.in_(candidates.scalar_subquery()))
        .values(
            lease_owner=sa.bindparam("owner", type_=endpoints.c.lease_owner.type),
            lease_until=sa.bindparam("until", type_=endpoints.c.lease_until.type),
        )
        .returning(*endpoints.c)
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row["id"],
        tenant=row["tenant"],
        url=row["url"],
        event_types=list(row["event_types"]),
        secret=row["secret"],
        previous_secret=row["previous_secret"],
        previous_until=_aware(row["previous_until"]),
        state=row["state"],
        position=row["position"],
        attempts=row["attempts"],
        next_attempt=_aware(row["next_attempt"]),
        failing_since=_aware(row["failing_since"]),
        last_error=row["last_error"],
        created=_aware(row["created"]) or datetime.now(UTC),
    )


def _attempt_row(attempt: Attempt) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "endpoint_id": attempt.endpoint_id,
        "sequence": attempt.sequence,
        "attempted": attempt.attempted,
        "outcome": attempt.outcome,
        "status": attempt.status,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
    }


def _held(endpoint_id: uuid.UUID, owner: str) -> Any:
    return endpoints.update().where(endpoints.c.id == endpoint_id, endpoints.c.lease_owner == owner)


@lru_cache(maxsize=8)
def _candidates(limit: int) -> Any:
    """Active endpoints that are due, have events to deliver, and that no other worker
    holds an unexpired lease on (binds ``now`` and ``owner``)."""
    c = _CANDIDATE
    now = sa.bindparam("now", type_=endpoints.c.lease_until.type)
    owner = sa.bindparam("owner", type_=endpoints.c.lease_owner.type)
    return (
        sa.select(c.c.id)
        .where(
            c.c.state == ACTIVE,
            sa.or_(c.c.lease_until.is_(None), c.c.lease_until < now, c.c.lease_owner == owner),
            sa.or_(c.c.next_attempt.is_(None), c.c.next_attempt <= now),
            c.c.position < _last(c),
        )
        .order_by(c.c.created)
        .limit(limit)
    )


_ANY_ACTIVE = sa.select(endpoints.c.id).where(endpoints.c.state == ACTIVE).limit(1)


class SqlWebhooks:
    """Implements ``WebhookStore`` on the SqlStore's connections."""

    def __init__(self, store: SqlStore, lease_seconds: float = 60.0) -> None:
        self.store = store
        self.lease_seconds = lease_seconds

    async def add_endpoint(self, endpoint: Endpoint) -> None:
        async with self.store.transaction(write=True) as tx:
            await tx.executor.execute(endpoints.insert(), as_row(endpoint))

    async def list_endpoints(self, tenant: str | None = None) -> list[Listed]:
        query = sa.select(endpoints, sa.func.coalesce(_last(endpoints), 0).label("last")).order_by(
            endpoints.c.created
        )
        if tenant is not None:
            query = query.where(endpoints.c.tenant == tenant)
        async with self.store.transaction(write=False) as tx:
            rows = await tx.executor.rows(query)
        return [Listed(_endpoint(r), max(int(r["last"]) - r["position"], 0)) for r in rows]

    async def get_endpoint(self, endpoint_id: uuid.UUID) -> Endpoint | None:
        async with self.store.transaction(write=False) as tx:
            rows = await tx.executor.rows(sa.select(endpoints).where(endpoints.c.id == endpoint_id))
        return _endpoint(rows[0]) if rows else None

    async def _update(self, endpoint_id: uuid.UUID, **values: Any) -> bool:
        statement = endpoints.update().where(endpoints.c.id == endpoint_id).values(**values)
        async with self.store.transaction(write=True) as tx:
            return bool(await tx.executor.execute(statement))

    async def remove_endpoint(self, endpoint_id: uuid.UUID) -> bool:
        async with self.store.transaction(write=True) as tx:
            statement = endpoints.delete().where(endpoints.c.id == endpoint_id)
            return bool(await tx.executor.execute(statement))

    async def rotate_secret(
        self, endpoint_id: uuid.UUID, secret: str, previous_until: datetime
    ) -> bool:
        return await self._update(
            endpoint_id,
            previous_secret=endpoints.c.secret,
            secret=secret,
            previous_until=previous_until,
        )

    async def replay(self, endpoint_id: uuid.UUID, position: int) -> bool:
        return await self._update(
            endpoint_id,
            position=position,
            state=ACTIVE,
            attempts=0,
            next_attempt=None,
            failing_since=None,
        )

    async def any_active(self) -> bool:
        async with self.store.transaction(write=False) as tx:
            return bool(await tx.executor.rows(_ANY_ACTIVE))

    async def due(self, owner: str, limit: int) -> list[uuid.UUID]:
        """The endpoints ``claim`` would take now: one read, no lock, no write."""
        async with self.store.transaction(write=False) as tx:
            values = {"now": datetime.now(UTC), "owner": owner}
            rows = await tx.executor.rows(_candidates(limit), values)
        return [row["id"] for row in rows]

    async def claim(self, owner: str, lease_seconds: float, limit: int) -> list[Endpoint]:
        now = datetime.now(UTC)
        values = {"now": now, "owner": owner, "until": now + timedelta(seconds=lease_seconds)}
        async with self.store.transaction(write=True) as tx:
            rows = await tx.executor.rows(_claim(self.store.sqlite, limit), values)
        return [_endpoint(row) for row in rows]

    def _lease(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.lease_seconds)

    async def advance(
        self, endpoint_id: uuid.UUID, owner: str, position: int, attempts: Sequence[Attempt] = ()
    ) -> bool:
        statement = _held(endpoint_id, owner).values(
            position=position,
            attempts=0,
            next_attempt=None,
            failing_since=None,
            lease_until=self._lease(),
            **({"last_error": None} if attempts else {}),
        )
        async with self.store.transaction(write=True) as tx:
            if not self.store.sqlite:
                # Not waiting for the WAL flush: a position lost in a crash only delivers
                # an event again (at least once, same webhook-id), and the drain no longer
                # waits a disk flush per event.
                await tx.executor.execute(_NO_FLUSH_WAIT)
            if not await tx.executor.execute(statement):
                return False
            if attempts:
                rows = [_attempt_row(a) for a in attempts]
                await tx.executor.execute(attempts_table.insert().values(rows))
        return True

    async def fail(self, endpoint_id: uuid.UUID, owner: str, failure: Failure) -> bool:
        statement = _held(endpoint_id, owner).values(
            attempts=failure.attempts,
            next_attempt=failure.next_attempt,
            failing_since=failure.failing_since,
            state=failure.state,
            last_error=failure.error[:512],
            lease_until=self._lease(),
        )
        async with self.store.transaction(write=True) as tx:
            if not await tx.executor.execute(statement):
                return False
            await tx.executor.execute(attempts_table.insert(), _attempt_row(failure.attempt))
        return True

    async def release(self, owner: str) -> None:
        statement = (
            endpoints.update()
            .where(endpoints.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )
        async with self.store.transaction(write=True) as tx:
            await tx.executor.execute(statement)

    async def attempts(self, endpoint_id: uuid.UUID, limit: int = 100) -> list[Attempt]:
        query = (
            sa.select(attempts_table)
            .where(attempts_table.c.endpoint_id == endpoint_id)
            .order_by(attempts_table.c.attempted.desc())
            .limit(limit)
        )
        async with self.store.transaction(write=False) as tx:
            rows = await tx.executor.rows(query)
        return [
            Attempt(
                r["endpoint_id"],
                r["sequence"],
                _aware(r["attempted"]) or datetime.now(UTC),
                r["outcome"],
                r["status"],
                r["error"],
                r["duration_ms"],
            )
            for r in rows
        ]

    async def wait_for_any(self, seconds: float) -> None:
        await wait(await self.store.wakeup.waiter(), seconds)

    async def waiter(self) -> asyncio.Event:
        return await self.store.wakeup.waiter()
