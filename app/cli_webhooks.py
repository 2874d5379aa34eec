"""``python -m app webhook add|list|remove|rotate-secret|replay`` and ``deliver``."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import uuid
from datetime import UTC, datetime, timedelta

from app.delivery import signing, wiring
from app.delivery.model import ACTIVE, Endpoint
from app.delivery.urls import refusal
from app.settings import Settings
from app.storage.engine import create_engine
from app.storage.repository import SqlStore
from app.storage.webhooks import SqlWebhooks


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    webhook = commands.add_parser("webhook", help="manage webhook endpoints")
    actions = webhook.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add an endpoint; prints its id and secret once")
    add.add_argument("--url", required=True)
    add.add_argument("--tenant", default=None, help="default: SCIM_DEFAULT_TENANT")
    add.add_argument("--events", default="*", help="event type patterns: user.*,group.*")
    add.add_argument("--allow-insecure", action="store_true", help="plain http to loopback")
    add.add_argument(
        "--from",
        dest="after",
        type=int,
        default=None,
        help="deliver events after this sequence (default: only new ones)",
    )
    actions.add_parser("list", help="endpoints with position, backlog and last error")
    remove = actions.add_parser("remove", help="remove an endpoint")
    remove.add_argument("id")
    rotate = actions.add_parser(
        "rotate-secret", help="new secret; the old one signs too for a while"
    )
    rotate.add_argument("id")
    rotate.add_argument("--overlap-hours", type=float, default=24.0)
    replay = actions.add_parser("replay", help="deliver again every event after --from")
    replay.add_argument("id")
    replay.add_argument("--from", dest="after", type=int, required=True)
    commands.add_parser("deliver", help="run a webhook delivery worker (and event pruning)")


def _id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def _add(
    store: SqlStore, hooks: SqlWebhooks, settings: Settings, args: argparse.Namespace
) -> int:
    reason = refusal(args.url, allow_insecure=args.allow_insecure)
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    tenant = args.tenant or settings.default_tenant
    position = args.after if args.after is not None else (await store.event_bounds(tenant))[1]
    types = [t.strip() for t in args.events.split(",") if t.strip()] or ["*"]
    endpoint = Endpoint(
        id=uuid.uuid4(),
        tenant=tenant,
        url=args.url,
        event_types=types,
        secret=signing.new_secret(),
        previous_secret=None,
        previous_until=None,
        state=ACTIVE,
        position=position,
        attempts=0,
        next_attempt=None,
        failing_since=None,
        last_error=None,
        created=datetime.now(UTC),
    )
    await hooks.add_endpoint(endpoint)
    print(endpoint.id)
    print(endpoint.secret)
    print("endpoint added; its secret is shown only once", file=sys.stderr)
    return 0


async def _list(hooks: SqlWebhooks) -> int:
    print("id\ttenant\turl\tstate\tposition\tbacklog\tevents\tlast_error")
    for listed in await hooks.list_endpoints():
        e = listed.endpoint
        fields = [str(e.id), e.tenant, e.url, e.state, str(e.position), str(listed.backlog)]
        print("\t".join([*fields, ",".join(e.event_types), e.last_error or "-"]))
    return 0


async def _one(hooks: SqlWebhooks, args: argparse.Namespace) -> int:
    endpoint_id = _id(args.id)
    done = False
    if endpoint_id is not None and args.action == "remove":
        done = await hooks.remove_endpoint(endpoint_id)
    elif endpoint_id is not None and args.action == "rotate-secret":
        secret = signing.new_secret()
        until = datetime.now(UTC) + timedelta(hours=args.overlap_hours)
        done = await hooks.rotate_secret(endpoint_id, secret, until)
        if done:
            print(secret)
            print(f"both secrets sign until {until.isoformat()}", file=sys.stderr)
    elif endpoint_id is not None and args.action == "replay":
        done = await hooks.replay(endpoint_id, args.after)
    if not done:
        print(f"error: no endpoint {args.id!r}", file=sys.stderr)
        return 1
    return 0


async def _deliver(settings: Settings, store: SqlStore, hooks: SqlWebhooks) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with wiring.running(settings, hooks, store):
        await stop.wait()
    return 0


async def run(settings: Settings, args: argparse.Namespace) -> int:
    store = SqlStore(create_engine(settings.database_url))
    hooks = SqlWebhooks(store, lease_seconds=settings.webhook_lease_seconds)
    try:
        if args.command == "deliver":
            return await _deliver(settings, store, hooks)
        if args.action == "add":
            return await _add(store, hooks, settings, args)
        if args.action == "list":
            return await _list(hooks)
        return await _one(hooks, args)
    finally:
        await store.close()
