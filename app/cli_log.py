"""``python -m app log``: what the identity provider sent and what was answered, newest first."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime

from app.durations import parse_duration
from app.scim.store import LoggedRequest, LogQuery
from app.storage.repository import SqlStore

_STATUS = re.compile(r"([1-5])xx|([1-5]\d\d)", re.IGNORECASE)


def _status(text: str) -> str:
    if _STATUS.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a status class like 4xx or 5xx")
    return text.lower()


def _since(text: str) -> datetime:
    try:
        return datetime.now(UTC) - parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    log = commands.add_parser("log", help="the request log, newest first")
    which = log.add_mutually_exclusive_group()
    which.add_argument("--user", help="requests about the user with this userName")
    which.add_argument("--resource", help="requests about the resource with this id")
    which.add_argument("--request-id", help="the request with this id")
    log.add_argument("--since", type=_since, help="only this recent, e.g. 1h, 7d")
    log.add_argument("--status", type=_status, help="4xx, 5xx or one status such as 409")
    log.add_argument("--tenant", help="one tenant's requests")
    log.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    log.add_argument("--body", action="store_true", help="print each redacted request body")


def line(entry: LoggedRequest) -> str:
    """One readable line per request."""
    when = entry.time.astimezone(UTC).isoformat(timespec="milliseconds")
    resource = f" {entry.resource_type}/{entry.resource_id or '-'}" if entry.resource_type else ""
    parts = [when, entry.request_id, f"{entry.method} {entry.route}", str(entry.status)]
    parts.append(f"{entry.duration_ms:.1f}ms")
    parts.append(f"tenant={entry.tenant or '-'} token={entry.token_name or '-'}")
    parts.append(f"client={entry.client or '-'}{resource}")
    if entry.scim_type:
        parts.append(f"scimType={entry.scim_type}")
    if entry.no_change:
        parts.append("no change")
    if entry.tolerances:
        parts.append(f"tolerances={','.join(entry.tolerances)}")
    if entry.detail:
        parts.append(f"detail={entry.detail!r}")
    return "  ".join(parts)


async def run(store: SqlStore, args: argparse.Namespace) -> int:
    status: str | None = args.status
    query = LogQuery(
        since=args.since,
        resource_id=args.resource,
        request_id=args.request_id,
        user_name=args.user,
        tenant=args.tenant,
        status_class=int(status[0]) if status is not None else None,
        limit=args.limit,
    )
    entries = await store.find_request_log(query)
    if status is not None and not status.endswith("xx"):
        entries = [e for e in entries if e.status == int(status)]
    for entry in entries:
        print(line(entry))
        if args.body and entry.body is not None:
            cut = " [truncated at 64 KiB]" if entry.body_truncated else ""
            print(f"    {entry.body}{cut}")
    return 0
