"""Command line: ``python -m app token create|list|revoke``, ``migrate``, ``serve``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from scim2_models import UniquenessException

from app.http.auth import digest, new_token
from app.settings import Settings
from app.storage.engine import create_engine
from app.storage.migrations import upgrade
from app.storage.repository import SqlStore


async def _with_store(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings.database_url)
    store = SqlStore(engine)
    try:
        if args.action == "create":
            token = new_token()
            try:
                await store.create_token(args.name, digest(token), args.tenant)
            except UniquenessException as exc:
                print(f"error: {exc.detail}", file=sys.stderr)
                return 1
            print(token)
            print(f"token {args.name!r} created; it is shown only once", file=sys.stderr)
        elif args.action == "list":
            for name, tenant, created in await store.list_tokens():
                print(f"{name}\t{tenant}\t{created.isoformat()}")
        elif not await store.revoke_token(args.name):
            print(f"error: no token named {args.name!r}", file=sys.stderr)
            return 1
        return 0
    finally:
        await store.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="manage bearer tokens")
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a token and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--tenant", default=None)
    actions.add_parser("list", help="list token names")
    revoke = actions.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")
    commands.add_parser("migrate", help="apply database migrations")
    serve = commands.add_parser("serve", help="run the server with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--ssl-certfile", default=None, help="default: SCIM_SSL_CERTFILE")
    serve.add_argument("--ssl-keyfile", default=None, help="default: SCIM_SSL_KEYFILE")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    if args.command == "migrate":
        upgrade(settings.database_url)
        return 0
    if args.command == "serve":
        import uvicorn

        from app import logs

        logs.configure(settings.log_level, settings.log_format)
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            ssl_certfile=args.ssl_certfile or settings.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile or settings.ssl_keyfile,
            log_level=settings.log_level,
            log_config=None,  # app.logs configures logging in each process
            access_log=False,  # app.http.request_log writes one line per request
        )
        return 0
    if getattr(args, "tenant", None) is None and args.action == "create":
        args.tenant = settings.default_tenant
    return asyncio.run(_with_store(settings, args))
