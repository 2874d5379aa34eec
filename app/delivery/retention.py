"""Retention: events older than ``SCIM_EVENTS_RETENTION_DAYS`` are pruned, hourly."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from app.scim.store import EventFeed

logger = logging.getLogger("app.delivery")

EVERY_SECONDS = 3600.0


async def prune_once(feed: EventFeed, days: int) -> int:
    return await feed.prune_events(datetime.now(UTC) - timedelta(days=days))


async def prune_forever(feed: EventFeed, days: int, every: float = EVERY_SECONDS) -> None:
    """Prune now, then every ``every`` seconds; a failed round is logged and retried."""
    while True:
        try:
            pruned = await prune_once(feed, days)
            if pruned:
                logger.info("pruned %d events older than %d days", pruned, days)
        except Exception:
            logger.warning("pruning events failed; retrying later", exc_info=True)
        await asyncio.sleep(every)
