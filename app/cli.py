"""Command line: ``python -m app token ...``, ``log``, ``catalog``, ``migrate``, ``serve``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from app import cli_catalog, cli_events, cli_log, cli_tokens, cli_webhooks
from app.settings import Settings
from app.storage.engine import create_engine
from app.storage.migrations import upgrade
from app.storage.repository import SqlStore


async def _with_store(settings: Settings, args: argparse.Namespace) -> int:
    engine = create_engine(settings.database_url)
    store = SqlStore(engine)
    try:
        if args.command == "log":
            return await cli_log.run(store, args)
        return await cli_tokens.run(store, args, settings.default_tenant)
    finally:
        await store.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    cli_tokens.add_parser(commands)
    cli_log.add_parser(commands)
    cli_catalog.register(commands)
    cli_events.register(commands)
    cli_webhooks.register(commands)
    commands.add_parser("migrate", help="apply database migrations")
    serve = commands.add_parser("serve", help="run the server with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--ssl-certfile", default=None, help="default: SCIM_SSL_CERTFILE")
    serve.add_argument("--ssl-keyfile", default=None, help="default: SCIM_SSL_KEYFILE")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            name = "SCIM_" + "_".join(str(part) for part in error["loc"]).upper()
            print(f"error: {name}: {error['msg']}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        upgrade(settings.database_url)
        return 0
    if args.command == "catalog":
        from app.main import served_kinds

        return cli_catalog.run(settings, served_kinds(settings), args)
    if args.command == "serve":
        import uvicorn

        from app.main import served_kinds

        served_kinds(settings)  # a bad SCIM_SCHEMAS: one line and exit 1, before uvicorn

        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            ssl_certfile=args.ssl_certfile or settings.ssl_certfile,
            ssl_keyfile=args.ssl_keyfile or settings.ssl_keyfile,
            log_level=settings.log_level,
            workers=args.workers,
        )
        return 0
    if args.command == "events":
        return asyncio.run(cli_events.run(settings, args))
    if args.command in ("webhook", "deliver"):
        return asyncio.run(cli_webhooks.run(settings, args))
    return asyncio.run(_with_store(settings, args))
