"""``python -m app serve`` and what every command says about its database.

Misconfiguration is one line on stderr and a non-zero exit, never a traceback: settings
that do not parse exit 2; a schema that is not at the migration head exits 1 naming
``python -m app migrate`` (unless ``SCIM_MIGRATE_ON_START=true``, which migrates first,
under a PostgreSQL advisory lock so replicas starting together migrate once). A database
that cannot be reached does not stop ``serve``: it starts, ``/readyz`` answers 503 and a
warning names the host and the error every 10 s until it answers (``app.http.health``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app import dburl, logs
from app.settings import Settings
from app.storage.engine import create_engine
from app.storage.errors import DATABASE_ERRORS
from app.storage.migrations import head, upgrade
from app.storage.repository import SqlStore

logger = logging.getLogger("app.serve")

MIGRATE = "python -m app migrate"


class ConfigError(Exception):
    """A one-line reason to exit non-zero."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def settings_or_exit() -> Settings:
    """The settings, or one line per bad variable and exit 2."""
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "SCIM_" + "_".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            print(f"error: {name}: {message}", file=sys.stderr)
        raise SystemExit(2) from None


def announce(settings: Settings) -> None:
    """Which database a command works on, password masked (stderr)."""
    print(f"database: {dburl.masked(settings.database_url)}", file=sys.stderr)


def reason(exc: BaseException) -> str:
    origin = getattr(exc, "orig", None) or exc
    text = str(origin).strip().splitlines()
    return f"{type(origin).__name__}: {text[0]}" if text else type(origin).__name__


def unreachable(settings: Settings, exc: BaseException) -> str:
    where = dburl.where(settings.database_url)
    return f"cannot use the database at {where}: {reason(exc)}"


async def _revision(url: str) -> str | None:
    store = SqlStore(create_engine(url), pool_size=1, pool_timeout=5.0)
    try:
        return await store.schema_revision()
    finally:
        await store.close()


def schema_revision(settings: Settings) -> str | None:
    return asyncio.run(_revision(settings.database_url))


def check_schema(settings: Settings) -> None:
    """Stop a server that would answer from a schema it does not know (or migrate it)."""
    try:
        revision = schema_revision(settings)
    except DATABASE_ERRORS as exc:
        logger.warning(
            "%s; serving anyway: /readyz answers 503 until it answers", unreachable(settings, exc)
        )
        return
    wanted = head()
    if revision == wanted:
        return
    if settings.migrate_on_start:
        logger.warning("migrating the database from %s to %s", revision or "nothing", wanted)
        upgrade(settings.database_url)
        return
    raise ConfigError(
        f"the database schema is at {revision or 'no revision (never migrated)'}, not at "
        f"{wanted}: run `{MIGRATE}` (or set SCIM_MIGRATE_ON_START=true)"
    )


def _metrics_directory() -> Path | None:
    """Several workers add up their metrics through files in one fresh directory; the one
    made here (returned) is removed when the server stops."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return None
    made = tempfile.mkdtemp(prefix="scim-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    return Path(made)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    logs.configure(settings.log_level, settings.log_format)
    # A log line like every other the server writes (stdout, JSON by default).
    logger.info("database: %s", dburl.masked(settings.database_url))
    check_schema(settings)
    workers = args.workers or settings.workers
    made = _metrics_directory() if workers > 1 else None
    try:
        _run(uvicorn, args, settings, workers)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
    return 0


def _run(uvicorn: Any, args: argparse.Namespace, settings: Settings, workers: int) -> None:
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=workers,
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        ssl_certfile=args.ssl_certfile or settings.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile or settings.ssl_keyfile,
        log_level=settings.log_level,
        log_config=None,  # app.logs configures logging in each process
        access_log=False,  # app.http.request_log writes one line per request
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


def add_arguments(serve_parser: argparse.ArgumentParser) -> None:
    serve_parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: SCIM_WORKERS)"
    )
    serve_parser.add_argument(
        "--proxy-headers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="trust X-Forwarded-Proto/For from --forwarded-allow-ips (TLS at a proxy)",
    )
    serve_parser.add_argument(
        "--forwarded-allow-ips", default="127.0.0.1", help="proxies trusted for --proxy-headers"
    )
