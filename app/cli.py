"""Command line: ``python -m app token ...``, ``log``, ``catalog``, ``events``, ``webhook``,
``deliver``, ``migrate``, ``serve``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from scim2_models import SCIMException

from app import cli_catalog, cli_events, cli_log, cli_serve, cli_tokens, cli_webhooks, dburl
from app.settings import Settings
from app.storage.engine import create_engine
from app.storage.errors import DATABASE_ERRORS
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
    cli_serve.add_arguments(serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = cli_serve.settings_or_exit()
    try:
        return _command(args, settings)
    except cli_serve.ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except DATABASE_ERRORS as exc:
        print(f"error: {_database_failure(settings, exc)}", file=sys.stderr)
        return 1


def _database_failure(settings: Settings, exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    if "no such table" in text or ("does not exist" in text and "relation" in text):
        where = dburl.where(settings.database_url)
        return f"the database at {where} has no schema: run `{cli_serve.MIGRATE}`"
    return cli_serve.unreachable(settings, exc)


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in ("serve", "catalog"):
        from app.main import served_kinds

        kinds = served_kinds(settings)  # a bad SCIM_SCHEMAS: one line and exit, first
        if args.command == "serve":
            return cli_serve.serve(args, settings)
        cli_serve.announce(settings)
        return cli_catalog.run(settings, kinds, args)
    cli_serve.announce(settings)
    if args.command == "migrate":
        upgrade(settings.database_url)
        return 0
    try:
        if args.command == "events":
            return asyncio.run(cli_events.run(settings, args))
        if args.command in ("webhook", "deliver"):
            return asyncio.run(cli_webhooks.run(settings, args))
        return asyncio.run(_with_store(settings, args))
    except SCIMException as exc:  # the store's 503: the database cannot be reached
        cause = exc.__cause__
        if cause is not None and isinstance(cause, DATABASE_ERRORS):
            raise cause from None
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
