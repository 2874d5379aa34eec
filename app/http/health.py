"""``GET /livez`` and ``GET /readyz``, outside the SCIM base path and without a token.

``/livez`` does no I/O: 200 while the process serves (failing it means "restart me").
``/readyz`` is 200 when the database answers within a second and its schema is at the
migration head, and 503 from the moment a shutdown begins (SIGTERM or SIGINT), so a load
balancer stops sending before the process stops answering; its JSON body names each
check and the first that failed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.responses import Response

from app.scim.store import Store

logger = logging.getLogger("app.health")

READY_TIMEOUT = 1.0
"""How long /readyz waits for the database."""

RETRY_EVERY = 10.0
"""How often an unreachable database is tried, and warned about, after start-up."""


def _json(body: dict[str, Any], status: int) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer within the timeout"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class Readiness:
    """Whether this process should get traffic; built once per app by ``create_app``."""

    def __init__(self, store: Store, head: str | None, *, checks_db: bool, where: str) -> None:
        self.store = store
        self.head = head
        self.checks_db = checks_db
        self.where = where
        self.shutting_down = False

    async def checks(self) -> dict[str, str]:
        """Each check's result, "ok" or why not; in order, stopping at the first failure."""
        results = {"shutdown": "in progress" if self.shutting_down else "ok"}
        if self.shutting_down or not self.checks_db:
            return results
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                revision = await self.store.schema_revision()
        except Exception as exc:
            results["database"] = f"unreachable at {self.where}: {_reason(exc)}"
            return results
        results["database"] = "ok"
        if revision != self.head:
            results["schema"] = (
                f"at {revision or 'no revision'}, the head is {self.head}: "
                "run `python -m app migrate`"
            )
        else:
            results["schema"] = "ok"
        return results

    async def wait_for_database(self, every: float = RETRY_EVERY) -> None:
        """Warn every ``every`` seconds, naming the host and the error, until it answers."""
        failed = False
        while True:
            try:
                await self.store.schema_revision()
            except Exception as exc:
                failed = True
                logger.warning(
                    "database unreachable at %s: %s; retrying in %gs",
                    self.where,
                    _reason(exc),
                    every,
                )
                await asyncio.sleep(every)
                continue
            if failed:
                logger.warning("database at %s reachable again", self.where)
            return

    @contextmanager
    def watching_signals(self) -> Iterator[None]:
        """Turn unready on SIGTERM or SIGINT, then let the server's own handler run."""
        previous: dict[int, Any] = {}

        def handler(signum: int, frame: FrameType | None) -> None:
            self.shutting_down = True
            chained = previous.get(signum)
            if callable(chained):
                chained(signum, frame)

        try:
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, handler)
        except ValueError:  # not the main thread: nothing to chain onto
            previous.clear()
        try:
            yield
        finally:
            for signum, old in previous.items():
                signal.signal(signum, old)


def install(app: FastAPI, readiness: Readiness) -> None:
    @app.get("/livez", include_in_schema=False)
    async def livez() -> Response:
        return _json({"status": "live"}, 200)

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        checks = await readiness.checks()
        failed = next((name for name, result in checks.items() if result != "ok"), None)
        if failed is None:
            return _json({"status": "ready", "checks": checks}, 200)
        body = {"status": "unready", "failed": failed, "checks": checks}
        return Response(
            orjson.dumps(body),
            status_code=503,
            media_type="application/json",
            headers={"Retry-After": "1"},
        )
