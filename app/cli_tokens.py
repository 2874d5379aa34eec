"""``python -m app token create|list|rotate|revoke``: bearer tokens, shown only once."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from scim2_models import UniquenessException

from app.durations import parse_duration
from app.http.auth import SCIM, SCOPES, digest, new_token
from app.scim.store import StoredToken
from app.storage.repository import SqlStore


def _duration(text: str) -> object:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _scope(text: str) -> str:
    if text not in SCOPES:
        raise argparse.ArgumentTypeError(
            f"unknown scope {text!r}; scopes are {', '.join(sorted(SCOPES))}"
        )
    return text


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser("token", help="manage bearer tokens")
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--tenant", default=None, help="default: SCIM_DEFAULT_TENANT")
    create.add_argument(
        "--scope",
        dest="scopes",
        action="extend",
        nargs="+",
        type=_scope,
        help=f"what the token may call: {', '.join(sorted(SCOPES))} (default: {SCIM})",
    )
    create.add_argument("--expires-in", type=_duration, default=None, help="e.g. 90d")
    actions.add_parser("list", help="name, tenant, scopes, created, expires, last used")
    rotate = actions.add_parser("rotate", help="give a token a new secret, print it once")
    rotate.add_argument("name")
    rotate.add_argument(
        "--grace",
        type=_duration,
        default=parse_duration("0s"),
        help="how long the old secret keeps working, e.g. 24h (default: not at all)",
    )
    revoke = actions.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")


def _when(value: datetime | None, empty: str = "-") -> str:
    return value.isoformat(timespec="seconds") if value is not None else empty


def _line(token: StoredToken) -> str:
    expires = _when(token.expires, "never")
    if token.previous_expires is not None and token.previous_expires > datetime.now(UTC):
        expires += f" (previous secret until {_when(token.previous_expires)})"
    fields = [token.name, token.tenant, ",".join(sorted(token.scopes))]
    fields += [_when(token.created), expires, _when(token.last_used, "never")]
    return "\t".join(fields)


async def run(store: SqlStore, args: argparse.Namespace, default_tenant: str) -> int:
    now = datetime.now(UTC)
    if args.action == "create":
        token = new_token()
        expires = now + args.expires_in if args.expires_in is not None else None
        tenant = args.tenant or default_tenant
        try:
            await store.create_token(
                args.name, digest(token), tenant, args.scopes or [SCIM], expires
            )
        except UniquenessException as exc:
            print(f"error: {exc.detail}", file=sys.stderr)
            return 1
        print(token)
        print(f"token {args.name!r} created; it is shown only once", file=sys.stderr)
        return 0
    if args.action == "list":
        print("name\ttenant\tscopes\tcreated\texpires\tlast used")
        for stored in await store.list_tokens():
            print(_line(stored))
        return 0
    if args.action == "rotate":
        token = new_token()
        if not await store.rotate_token(args.name, digest(token), now + args.grace):
            print(f"error: no token named {args.name!r}", file=sys.stderr)
            return 1
        print(token)
        until = (
            "stops working within 1 s"
            if not args.grace
            else f"works until {_when(now + args.grace)}"
        )
        print(f"token {args.name!r} rotated; the old secret {until}", file=sys.stderr)
        return 0
    if not await store.revoke_token(args.name):
        print(f"error: no token named {args.name!r}", file=sys.stderr)
        return 1
    print(f"token {args.name!r} revoked; it stops working within 1 s")
    return 0
