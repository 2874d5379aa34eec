"""The pull feed: a tenant's events after a position, with long polling (issue 12).

A consumer asks for the events after the last sequence it has applied; sequences are
gap-free and in commit order (``app.storage.events``), so "after N" never skips a change.
When the events after N were pruned by retention, the answer is "gone": the consumer must
resynchronise (a full SCIM read, then follow from the position taken before it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from app.scim.store import EventFeed

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_WAIT = 30.0


class EventsGone(Exception):
    """The events right after the asked position are no longer kept."""

    def __init__(self, after: int, oldest: int | None, position: int) -> None:
        super().__init__(f"events after {after} are no longer kept")
        self.after, self.oldest, self.position = after, oldest, position


@dataclass(frozen=True, slots=True)
class FeedPage:
    events: list[dict[str, Any]]
    next_after: int


async def _check_kept(feed: EventFeed, tenant: str, after: int) -> None:
    oldest, position = await feed.event_bounds(tenant)
    kept_from = oldest if oldest is not None else position + 1
    if after < kept_from - 1:
        raise EventsGone(after, oldest, position)


async def read(
    feed: EventFeed, tenant: str, after: int, limit: int = DEFAULT_LIMIT, wait: float = 0.0
) -> FeedPage:
    """At most ``limit`` events after ``after``; with ``wait``, up to that many seconds for
    the first one to commit (answering as soon as it does)."""
    deadline = time.monotonic() + min(max(wait, 0.0), MAX_WAIT)
    while True:
        found = await feed.events_after(tenant, after, limit)
        if not found or found[0]["sequence"] != after + 1:
            await _check_kept(feed, tenant, after)
        remaining = deadline - time.monotonic()
        if found or remaining <= 0:
            return FeedPage(found, found[-1]["sequence"] if found else after)
        await feed.wait_for_events(tenant, after, remaining)
