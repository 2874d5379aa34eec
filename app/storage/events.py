"""The outbox: change events written inside the write's transaction, and the feed's reads.

Numbering: each tenant has one ``event_sequences`` row. A write takes it at its very end
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), which row-locks it until the commit,
so the next write of the tenant waits for this one to commit before it gets its numbers:
sequences have no gaps (a rollback gives its numbers back) and their order is the order
of commits, so a reader asking for "after N" can never pass an event that commits later
with a smaller number. Writes of one tenant thereby commit one at a time for the span of
that last statement and the commit; writes of different tenants do not wait on each other.

On PostgreSQL the counter and the events are one statement (a data-modifying CTE), and a
create without members puts its INSERT in the same statement, so it stays one round trip;
the statement also calls ``pg_notify`` as the feed's wake-up. SQLite's writers are queued
in the process already; there the counter and the events are statements run in one trip
to the connection's thread (``SqliteExecutor.batch``), with the INSERT of a create too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from app.scim.events import NewEvent
from app.storage.executors import Executor, PgExecutor, SqliteExecutor
from app.storage.tables import EventRow, EventSequenceRow, WebhookAttemptRow

events = EventRow.__table__  # type: ignore[attr-defined]
sequences = EventSequenceRow.__table__  # type: ignore[attr-defined]
attempts = WebhookAttemptRow.__table__  # type: ignore[attr-defined]

CHANNEL = "scim_events"
"""The PostgreSQL NOTIFY channel; the payload is the tenant."""

_PG_EMIT = """{head}s AS (
    INSERT INTO event_sequences AS q (tenant, last) {source}
    ON CONFLICT (tenant) DO UPDATE SET last = q.last + excluded.last
    RETURNING q.last)
INSERT INTO events (tenant, sequence, type, time, resource_type, resource_id, version, payload)
SELECT ${t}::varchar, s.last - ${n}::bigint + e.ord, e.ev->>'t', ${time}::timestamptz,
    e.ev->>'r', (e.ev->>'i')::uuid, (e.ev->>'v')::int, e.ev->'p'
FROM s, jsonb_array_elements(${ev}::jsonb) WITH ORDINALITY AS e(ev, ord)
RETURNING pg_notify('{channel}', ${t}::varchar)"""


def _encoded(made: Sequence[NewEvent]) -> str:
    return orjson.dumps(
        [
            {"t": e.type, "r": e.resource_type, "i": e.resource_id, "v": e.version, "p": e.payload}
            for e in made
        ],
        default=str,  # asyncpg's own UUID type
    ).decode()


COUNT_SHARDS = 16
"""``resource_counts`` shards, as the ``hot_paths`` migration's trigger picks them
(``pg_backend_pid() % 16``); ``tests/events/test_lock_order.py`` reads the trigger to check."""

_SHARD_FIRST = f"""k AS (
    INSERT INTO resource_counts AS c (tenant, resource_type, shard, live, deleted)
    SELECT tenant, resource_type, pg_backend_pid() % {COUNT_SHARDS}, 0, 0 FROM r
    ON CONFLICT (tenant, resource_type, shard) DO UPDATE SET live = c.live
    RETURNING c.tenant), """


@lru_cache(maxsize=64)
def pg_emit_sql(offset: int, after: str | None = None, *, inserts: bool = False) -> str:
    """The emitting statement with its parameters numbered from ``offset + 1``.

    ``after`` is a data-modifying statement (``... RETURNING tenant, resource_type``) run
    first, in the same statement: the counter is taken only from its rows, so only after
    it succeeded. When it ``inserts`` resources, the row of ``resource_counts`` that the
    insert trigger will move at the end of the statement is locked before the counter:
    locks are then always taken in one order (count shard, then counter; a transaction
    that inserted or deleted earlier holds its shard when it reaches the counter), so two
    writers can never wait on each other in a cycle.
    """
    t, n, time, ev = (offset + i for i in range(1, 5))
    counted = f"SELECT ${t}::varchar, ${n}::bigint"
    if after is None:
        head, source = "WITH ", f"VALUES (${t}::varchar, ${n}::bigint)"
    elif inserts:
        head, source = f"WITH r AS ({after}), {_SHARD_FIRST}", f"{counted} FROM k"
    else:
        head, source = f"WITH r AS ({after}), ", f"{counted} FROM r"
    return _PG_EMIT.format(head=head, source=source, t=t, n=n, time=time, ev=ev, channel=CHANNEL)


def pg_emit_arguments(tenant: str, made: Sequence[NewEvent], now: datetime) -> list[Any]:
    return [tenant, len(made), now, _encoded(made)]


_SQLITE_COUNT = (
    sqlite.insert(sequences)
    .values(tenant=sa.bindparam("tenant"), last=sa.bindparam("n"))
    .on_conflict_do_update(
        index_elements=[sequences.c.tenant],
        set_={"last": sequences.c.last + sa.literal_column("excluded.last")},
    )
)
_SQLITE_EVENT = events.insert().values(
    {
        **{c.name: sa.bindparam(c.name, type_=c.type) for c in events.c if c.name != "sequence"},
        "sequence": sa.select(sequences.c.last)
        .where(sequences.c.tenant == sa.bindparam("tenant"))
        .scalar_subquery()
        - sa.bindparam("back", type_=sa.BigInteger()),
    }
)
"""An event numbered from the counter the same transaction just moved on: ``back`` is how
many of the write's events come after it."""


def sqlite_steps(
    tenant: str, made: Sequence[NewEvent], now: datetime
) -> list[tuple[Any, dict[str, Any]]]:
    """The counter and the events as statements for ``SqliteExecutor.batch``."""
    steps: list[tuple[Any, dict[str, Any]]] = [(_SQLITE_COUNT, {"tenant": tenant, "n": len(made)})]
    for index, event in enumerate(made):
        row = _row(tenant, 0, event, now)
        del row["sequence"]
        steps.append((_SQLITE_EVENT, {**row, "back": len(made) - 1 - index}))
    return steps


async def emit(
    executor: Executor,
    *,
    sqlite_backend: bool,
    tenant: str,
    made: Sequence[NewEvent],
    now: datetime,
) -> None:
    """Number ``made`` from the tenant's counter and write them (see the module docstring)."""
    if not made:
        return
    if not sqlite_backend:
        assert isinstance(executor, PgExecutor)
        await executor.raw(pg_emit_sql(0), pg_emit_arguments(tenant, made, now))
        return
    assert isinstance(executor, SqliteExecutor)
    await executor.batch(sqlite_steps(tenant, made, now))


def _row(tenant: str, sequence: int, event: NewEvent, now: datetime) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "sequence": sequence,
        "type": event.type,
        "time": now,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "version": event.version,
        "payload": event.payload,
    }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


PAYLOAD_KEYS = (
    "resource",
    "changed",
    "previous",
    "members",
    "request_id",
    "token",
    "client",
)
"""The payload's keys in the order events show them (JSONB keeps no order)."""


def render(row: Any) -> dict[str, Any]:
    """An event row as the feed and webhooks carry it (issue 12's field order)."""
    payload = row["payload"]
    return {
        "sequence": row["sequence"],
        "type": row["type"],
        "time": _aware(row["time"]).isoformat().replace("+00:00", "Z"),
        "tenant": row["tenant"],
        "resource_type": row["resource_type"],
        "resource_id": str(row["resource_id"]),
        "version": row["version"],
        **{key: payload.get(key) for key in PAYLOAD_KEYS},
    }


_AFTER = (
    sa.select(events)
    .where(events.c.tenant == sa.bindparam("tenant"), events.c.sequence > sa.bindparam("after"))
    .order_by(events.c.sequence)
    .limit(sa.bindparam("limit"))
)
_RANGE = (
    sa.select(events)
    .where(
        events.c.tenant == sa.bindparam("tenant"),
        events.c.sequence > sa.bindparam("after"),
        events.c.sequence <= sa.bindparam("upto"),
    )
    .order_by(events.c.sequence)
    .limit(sa.bindparam("limit"))
)
_LAST = sa.select(sequences.c.last).where(sequences.c.tenant == sa.bindparam("tenant"))
_BOUNDS = sa.select(
    sa.select(sa.func.min(events.c.sequence))
    .where(events.c.tenant == sa.bindparam("tenant"))
    .scalar_subquery()
    .label("first"),
    _LAST.scalar_subquery().label("last"),
)
"""Both in ONE statement, so from one snapshot: under READ COMMITTED two statements could
see a counter that moved after the events were read (a false "pruned")."""
_PRUNE = events.delete().where(events.c.time < sa.bindparam("before"))
_PRUNE_ATTEMPTS = attempts.delete().where(attempts.c.attempted < sa.bindparam("before"))


async def after(
    executor: Executor, tenant: str, position: int, limit: int, upto: int | None = None
) -> list[dict[str, Any]]:
    """Events of ``tenant`` after ``position`` (up to ``upto`` when given), oldest first."""
    params: dict[str, Any] = {"tenant": tenant, "after": position, "limit": limit}
    if upto is None:
        rows = await executor.rows(_AFTER, params)
    else:
        rows = await executor.rows(_RANGE, {**params, "upto": upto})
    return [render(row) for row in rows]


async def last(executor: Executor, tenant: str) -> int:
    rows = await executor.rows(_LAST, {"tenant": tenant})
    return int(rows[0]["last"]) if rows else 0


async def bounds(executor: Executor, tenant: str) -> tuple[int | None, int]:
    """(oldest kept sequence or None, newest sequence or 0)."""
    row = (await executor.rows(_BOUNDS, {"tenant": tenant}))[0]
    first, newest = row["first"], row["last"]
    return (int(first) if first is not None else None), int(newest or 0)


async def prune(executor: Executor, before: datetime) -> int:
    """Events older than ``before`` (and webhook attempts as old); how many events went."""
    await executor.execute(_PRUNE_ATTEMPTS, {"before": before})
    return await executor.execute(_PRUNE, {"before": before})
