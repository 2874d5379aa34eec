"""What each process does when it starts and stops serving (the app's lifespan).

Start: turn unready on SIGTERM/SIGINT (``app.http.health``); read the cursor key every
process shares from the database (``service_secrets``, made by a migration) before the
first request when the database answers, or in the background, with a warning every 10 s,
until it does; with several workers, keep this worker's pool gauges current.
Stop: unready at once, background work ended, the pools closed, this worker's metrics
files retired.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from fastapi import FastAPI

from app.http.deps import Runtime
from app.http.health import Readiness
from app.http.metrics import Metrics
from app.scim.cursor import cursor_key
from app.settings import Settings
from app.storage.errors import DATABASE_ERRORS
from app.storage.repository import SqlStore

logger = logging.getLogger("app.lifecycle")


class Lifecycle:
    def __init__(
        self, settings: Settings, store: SqlStore, readiness: Readiness, metrics: Metrics
    ) -> None:
        self.settings = settings
        self.store = store
        self.readiness = readiness
        self.metrics = metrics

    async def _cursor_key(self, app: FastAPI) -> None:
        if self.settings.cursor_secret:
            return
        try:
            secret = await self.store.service_secret("cursor")
        except DATABASE_ERRORS as exc:  # no schema: serve refuses it, a test may not
            logger.warning("no shared cursor key (%s): cursors stay in this process", exc)
            return
        if secret:
            built: Runtime = app.state.runtime
            limits = replace(built.limits, cursor_secret=cursor_key(secret))
            app.state.runtime = replace(built, limits=limits)

    async def _when_reachable(self, app: FastAPI) -> None:
        await self.readiness.wait_for_database()
        await self._cursor_key(app)

    async def _start(self, app: FastAPI) -> list[asyncio.Task[None]]:
        tasks: list[asyncio.Task[None]] = []
        if self.store.sqlite:  # a file is there or not
            await self._cursor_key(app)
        else:
            try:
                async with asyncio.timeout(self.settings.db_pool_timeout_seconds):
                    await self.store.schema_revision()
            except (TimeoutError, *DATABASE_ERRORS):  # down a while: catch up when it answers
                tasks.append(asyncio.create_task(self._when_reachable(app)))
            else:
                await self._cursor_key(app)
        if self.metrics.multiprocess:
            tasks.append(asyncio.create_task(self.metrics.refresh_forever()))
        return tasks

    @asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        with self.readiness.watching_signals():
            tasks = await self._start(app)
            try:
                yield
            finally:
                self.readiness.shutting_down = True
                for task in tasks:
                    task.cancel()
                # Awaited before the store closes: a task holding a connection would
                # otherwise return it to a closed pool (and leave its thread running).
                await asyncio.gather(*tasks, return_exceptions=True)
                await self.store.close()
                self.metrics.process_exited()
