"""The delivery worker: each endpoint's events, in sequence order, at least once.

One loop per process claims due endpoints (row leases, ``app.storage.webhooks``) and
drains each in its own task, so one delivery at most is in flight per endpoint, across
processes too. For each event after the endpoint's position that its ``event_types``
match: a 2xx moves the position on; a 410 disables the endpoint; anything else (another
status, a timeout, a refused connection) is retried after an exponential backoff with
jitter, or after the receiver's ``Retry-After``, until the retry window has passed, when
the endpoint is marked failed (``webhook replay`` resumes it). Events it does not want
move the position on without a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fnmatch
import functools
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from app.delivery import metrics, signing
from app.delivery.model import ACTIVE, DISABLED, FAILED, Attempt, Endpoint, Failure, WebhookStore
from app.scim.store import EventFeed

logger = logging.getLogger("app.delivery")


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    timeout: float = 15.0
    backoff_first: float = 2.0
    backoff_max: float = 3600.0
    retry_window: float = 3 * 86400.0
    lease: float = 60.0
    poll: float = 1.0
    batch: int = 100
    endpoints: int = 50
    """Endpoints claimed per round."""


def wants(endpoint: Endpoint, event_type: str) -> bool:
    return any(fnmatch.fnmatchcase(event_type, p) for p in endpoint.event_types)


def backoff(config: DeliveryConfig, attempts: int) -> float:
    """Seconds before retry number ``attempts``: doubling from ``backoff_first`` up to
    ``backoff_max``, with full jitter over its upper half (receivers recovering from an
    outage do not get every sender back at the same instant)."""
    ceiling = min(config.backoff_max, config.backoff_first * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


def retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds: an integer or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return max((parsedate_to_datetime(value) - now).total_seconds(), 0.0)
    return None


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None
    error: str | None
    retry_after: float | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Deliverer:
    def __init__(
        self,
        hooks: WebhookStore,
        feed: EventFeed,
        config: DeliveryConfig | None = None,
    ) -> None:
        self.hooks = hooks
        self.feed = feed
        self.config = config or DeliveryConfig()
        self.owner = f"worker-{uuid.uuid4().hex[:16]}"
        self._draining: dict[uuid.UUID, asyncio.Task[bool]] = {}
        self._kick = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        for task in list(self._draining.values()):
            task.cancel()
        await asyncio.gather(*self._draining.values(), return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.hooks.release(self.owner)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Deliver until ``stop`` is set (or the task is cancelled).

        Each claimed endpoint is drained by a task of its own, so a slow receiver holds
        up only its own endpoint; the loop claims again when events commit, when a drain
        ends (its endpoint may have more by then) or every ``poll`` seconds.
        """
        stop = stop or asyncio.Event()
        while not stop.is_set():
            self._kick.clear()
            started, idle = False, False
            try:
                started = await self._start_drains()
                idle = not self._draining and not await self.hooks.any_active()
            except Exception:
                logger.warning("claiming endpoints failed; retrying", exc_info=True)
            if idle:
                # No endpoint at all (most deployments): look again every ``poll`` without
                # listening, or every commit of every process would wake this loop.
                await asyncio.sleep(self.config.poll)
            else:
                await self._idle(DEBOUNCE_SECONDS if started else IDLE_DEBOUNCE_SECONDS)

    async def _start_drains(self) -> bool:
        """Claim (a write) only when a read finds a due endpoint no drain here serves:
        commits wake this loop, and most find every endpoint already being drained (or
        none at all). Whether a drain started."""
        due = await self.hooks.due(self.owner, self.config.endpoints)
        if all(endpoint_id in self._draining for endpoint_id in due):
            return False
        claimed = await self.hooks.claim(self.owner, self.config.lease, self.config.endpoints)
        started = False
        for endpoint in claimed:
            if endpoint.id not in self._draining:
                task = asyncio.create_task(self._drain(endpoint))
                self._draining[endpoint.id] = task
                task.add_done_callback(functools.partial(self._drained, endpoint.id))
                started = True
        return started

    def _drained(self, key: uuid.UUID, _task: asyncio.Task[bool]) -> None:
        self._draining.pop(key, None)
        self._kick.set()

    async def _idle(self, debounce: float) -> None:
        waits = [
            asyncio.create_task(self.hooks.wait_for_any(self.config.poll)),
            asyncio.create_task(self._kick.wait()),
        ]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()
            await asyncio.gather(*waits, return_exceptions=True)
        # Commits come in bursts: one look per ``debounce`` serves them all. A look that
        # found nothing to start waits longer: running drains follow their endpoints'
        # commits themselves, so the loop only has to notice endpoints that went idle.
        await asyncio.sleep(debounce)

    async def round(self) -> bool:
        """Claim due endpoints and drain each, waiting for all; whether any made progress
        (one step of ``run``, for tests and tools)."""
        claimed = await self.hooks.claim(self.owner, self.config.lease, self.config.endpoints)
        if not claimed:
            return False
        results = await asyncio.gather(*(self._drain(e) for e in claimed))
        return any(results)

    async def _drain(self, endpoint: Endpoint) -> bool:
        """Deliver in order until caught up, failing, or the lease is lost; a database
        error ends the drain (the next claim resumes from the stored position)."""
        try:
            return await self._drain_steps(endpoint)
        except Exception:
            logger.warning("delivering to %s failed; retrying", endpoint.id, exc_info=True)
            return False

    async def _drain_steps(self, endpoint: Endpoint) -> bool:
        """The bookkeeping of successes (position, attempts) is written once per batch of
        events or per ``FLUSH_SECONDS``, not per event: a crash in between redelivers the
        unrecorded ones, which at-least-once allows (the receiver has their ids)."""
        book, lingered = _Book(endpoint.position), False
        while True:
            woken = await self.hooks.waiter()
            found = await self.feed.events_after(endpoint.tenant, book.position, self.config.batch)
            if not found and not lingered:
                # Caught up: wait for the next commit once before letting the endpoint go,
                # so a steady stream of writes is served without claiming it again.
                lingered = True
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.config.poll):
                        await woken.wait()
                continue
            if not found:
                return book.moved
            lingered = False
            for event in found:
                if wants(endpoint, event["type"]):
                    attempt = await self._deliver(endpoint, event)
                    if isinstance(attempt, Failure):
                        # Successes first: ``advance`` clears the retry state ``fail`` sets.
                        if await self._flush(endpoint, book):
                            await self.hooks.fail(endpoint.id, self.owner, attempt)
                        return book.moved
                    book.delivered.append(attempt)
                    endpoint = dataclasses.replace(endpoint, attempts=0, failing_since=None)
                book.position, book.moved = event["sequence"], True
                if book.due() and not await self._flush(endpoint, book):
                    return book.moved
            if not await self._flush(endpoint, book):
                return book.moved

    async def _flush(self, endpoint: Endpoint, book: _Book) -> bool:
        """Record the position and the successful attempts; False without the lease."""
        if book.position == book.recorded:
            return True
        held = await self.hooks.advance(endpoint.id, self.owner, book.position, book.delivered)
        book.recorded, book.delivered, book.since = book.position, [], time.monotonic()
        return held

    async def _deliver(self, endpoint: Endpoint, event: dict[str, Any]) -> Attempt | Failure:
        """The successful attempt, or what the failure leaves on the endpoint."""
        now = datetime.now(UTC)
        outcome = await self.send(endpoint, event, now)
        sequence = event["sequence"]
        if outcome.delivered:
            metrics.delivered(event)
            return Attempt(
                endpoint.id, sequence, now, "delivered", outcome.status, None, outcome.duration_ms
            )
        failure = self._failure(endpoint, sequence, now, outcome)
        metrics.failed(failure.attempt.outcome)
        logger.info("webhook %s: event %d: %s", endpoint.id, sequence, failure.error)
        return failure

    def _failure(
        self, endpoint: Endpoint, sequence: int, now: datetime, outcome: Outcome
    ) -> Failure:
        error = outcome.error or f"HTTP {outcome.status}"
        since = endpoint.failing_since or now
        attempts = endpoint.attempts + 1
        state, kind, next_at = ACTIVE, "retry", None
        if outcome.status == 410:
            state, kind, error = DISABLED, "disabled", "the receiver answered 410 Gone: disabled"
        elif (now - since).total_seconds() >= self.config.retry_window:
            state, kind, error = FAILED, "failed", f"gave up after the retry window: {error}"
        else:
            # The receiver's Retry-After wins over the backoff, within the retry window.
            delay = outcome.retry_after
            if delay is None:
                delay = backoff(self.config, attempts)
            next_at = now + timedelta(seconds=min(delay, self.config.retry_window))
        attempt = Attempt(
            endpoint.id, sequence, now, kind, outcome.status, error, outcome.duration_ms
        )
        return Failure(attempt, attempts, next_at, since, state, error)

    def _client(self) -> aiohttp.ClientSession:
        """One session per worker (kept-alive connections), made on first use: aiohttp's
        client costs a fifth of httpx's per request, which delivery inside the server
        process pays for every event."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.config.timeout),
                trust_env=False,
                auto_decompress=False,
            )
        return self._session

    async def send(self, endpoint: Endpoint, event: dict[str, Any], now: datetime) -> Outcome:
        """One POST of one event, signed; never raises for what the network does."""
        payload = signing.body(event)
        msg_id = signing.message_id(event["tenant"], event["sequence"])
        headers = signing.headers(endpoint, msg_id, payload, now)
        started = time.perf_counter()
        try:
            async with self._client().post(
                endpoint.url, data=payload, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                status, retry = response.status, response.headers.get("retry-after")
        except TimeoutError:
            return Outcome(None, "timed out", None, _ms(started))
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:300], None, _ms(started))
        return Outcome(status, None, retry_after(retry, now), _ms(started))


DEBOUNCE_SECONDS = 0.01
IDLE_DEBOUNCE_SECONDS = 0.1
FLUSH_SECONDS = 1.0
FLUSH_EVENTS = 100


@dataclasses.dataclass
class _Book:
    """A drain's progress: where it is, what the database says, the unrecorded successes."""

    position: int
    recorded: int = -1
    moved: bool = False
    delivered: list[Attempt] = dataclasses.field(default_factory=list)
    since: float = dataclasses.field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.recorded = self.position

    def due(self) -> bool:
        return len(self.delivered) >= FLUSH_EVENTS or time.monotonic() - self.since >= FLUSH_SECONDS


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
