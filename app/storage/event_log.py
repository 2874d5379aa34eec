"""The change-event feed's reads on the SQL store (``app.scim.store.EventFeed``)."""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

from app.storage import events as outbox
from app.storage.wakeup import Wakeup, wait

POLL_SECONDS = 1.0
"""A waiting reader queries at least this often (other SQLite processes, no LISTEN)."""


class EventLog:
    """Mixed into ``SqlStore``: reads of the outbox, pruning, and waiting for commits."""

    wakeup: Wakeup

    def transaction(
        self, *, write: bool, snapshot: bool = False, single: bool = False
    ) -> AbstractAsyncContextManager[Any]:
        raise NotImplementedError

    async def events_after(
        self, tenant: str, after: int, limit: int, upto: int | None = None
    ) -> list[dict[str, Any]]:
        async with self.transaction(write=False) as tx:
            return await outbox.after(tx.executor, tenant, after, limit, upto)

    async def event_bounds(self, tenant: str) -> tuple[int | None, int]:
        """(oldest kept sequence or None, newest sequence), from one statement."""
        async with self.transaction(write=False) as tx:
            return await outbox.bounds(tx.executor, tenant)

    async def prune_events(self, before: datetime) -> int:
        async with self.transaction(write=True) as tx:
            return await outbox.prune(tx.executor, before)

    async def wait_for_events(self, tenant: str, after: int, seconds: float) -> None:
        """Return once ``tenant`` may have events after ``after``, or after ``seconds``."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            waiter = await self.wakeup.waiter()
            async with self.transaction(write=False) as tx:
                if await outbox.last(tx.executor, tenant) > after:
                    return
            await wait(waiter, min(remaining, POLL_SECONDS))
