"""``python -m app events tail [--tenant T] [--from N]`` and ``events prune``."""

from __future__ import annotations

import argparse
import sys

import orjson

from app.delivery import feed, retention
from app.settings import Settings
from app.storage.engine import create_engine
from app.storage.repository import SqlStore


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    events = commands.add_parser("events", help="read the change events")
    actions = events.add_subparsers(dest="action", required=True)
    tail = actions.add_parser("tail", help="print events as they commit, one JSON line each")
    tail.add_argument("--tenant", default=None, help="default: SCIM_DEFAULT_TENANT")
    tail.add_argument(
        "--from",
        dest="after",
        type=int,
        default=None,
        help="print events after this sequence (default: only new ones)",
    )
    tail.add_argument("--limit", type=int, default=None, help="stop after this many events")
    actions.add_parser("prune", help="delete events older than SCIM_EVENTS_RETENTION_DAYS")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    store = SqlStore(create_engine(settings.database_url))
    try:
        if args.action == "prune":
            pruned = await retention.prune_once(store, settings.events_retention_days)
            print(f"pruned {pruned} events", file=sys.stderr)
            return 0
        return await _tail(store, args.tenant or settings.default_tenant, args.after, args.limit)
    finally:
        await store.close()


async def _tail(store: SqlStore, tenant: str, after: int | None, limit: int | None) -> int:
    position = after if after is not None else (await store.event_bounds(tenant))[1]
    printed = 0
    while limit is None or printed < limit:
        try:
            page = await feed.read(store, tenant, position, feed.MAX_LIMIT, wait=feed.MAX_WAIT)
        except feed.EventsGone as exc:
            print(f"error: {exc}; the oldest kept is {exc.oldest}", file=sys.stderr)
            return 1
        for event in page.events[: None if limit is None else limit - printed]:
            sys.stdout.write(orjson.dumps(event).decode() + "\n")
            printed += 1
        sys.stdout.flush()
        position = page.next_after
    return 0
