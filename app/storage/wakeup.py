"""Wake-ups for readers waiting on new events: a hint only, never the source of truth.

A reader takes a ``waiter()`` BEFORE it queries, then waits on it if the query found
nothing: an emit committed in between has already set it, so no wake-up is lost. Three
sources set it: a commit in this process that wrote events; on PostgreSQL a NOTIFY on
``scim_events`` from any process (LISTEN on one connection of its own); and, always, the
caller's own timeout, after which it queries again (the polling fallback that serves
SQLite's other processes and a PostgreSQL behind a transaction pooler, where LISTEN
does not work).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger("app.storage")

RETRY_SECONDS = 5.0
"""How long after a failed LISTEN connection the next attempt waits."""


class Wakeup:
    def __init__(self, engine: AsyncEngine | None = None, channel: str = "scim_events") -> None:
        self._event = asyncio.Event()
        self._engine = engine
        self._channel = channel
        self._listener: asyncpg.Connection | None = None
        self._failed_at = 0.0
        self._opening = asyncio.Lock()
        self._closed = False

    def notify(self, *_args: Any) -> None:
        """Wake every current waiter (also asyncpg's listener callback)."""
        self._event.set()
        self._event = asyncio.Event()

    async def waiter(self) -> asyncio.Event:
        """The event the next notification sets; LISTEN is (re)opened here, lazily."""
        await self._listen()
        return self._event

    async def _listen(self) -> None:
        if self._engine is None or self._closed or self.listening:
            return
        if time.monotonic() - self._failed_at < RETRY_SECONDS:
            return
        async with self._opening:
            if self._closed or self.listening:
                return
            try:
                connection = await self._open()
            except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
                self._failed_at = time.monotonic()
                logger.warning("LISTEN %s failed (%s): polling only", self._channel, exc)
                return
            if self._closed:  # closed while it opened: nobody would close it later
                connection.terminate()
                return
            self._listener = connection

    @property
    def listening(self) -> bool:
        """Whether a LISTEN connection is open."""
        return self._listener is not None and not self._listener.is_closed()

    async def _open(self) -> asyncpg.Connection:
        """A connection listening on the channel, or none left open (also when cancelled)."""
        assert self._engine is not None
        _, options = self._engine.dialect.create_connect_args(self._engine.url)
        options.pop("prepared_statement_cache_size", None)
        connection = await asyncpg.connect(timeout=5, **options)
        try:
            await connection.add_listener(self._channel, self.notify)
        except BaseException:
            connection.terminate()
            raise
        return connection

    async def close(self) -> None:
        """Final: a waiter after this polls instead of listening."""
        self._closed = True
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None


async def wait(event: asyncio.Event, seconds: float) -> bool:
    """Whether ``event`` was set within ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
