"""Webhook endpoints and attempts as delivery sees them, and the storage they need."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

ACTIVE, DISABLED, FAILED = "active", "disabled", "failed"
"""Endpoint states: delivering; turned off by a 410 from the receiver; given up after the
retry window (``webhook replay`` makes either active again)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: uuid.UUID
    tenant: str
    url: str
    event_types: list[str]
    secret: str
    previous_secret: str | None
    previous_until: datetime | None
    state: str
    position: int
    attempts: int
    next_attempt: datetime | None
    failing_since: datetime | None
    last_error: str | None
    created: datetime


@dataclass(frozen=True, slots=True)
class Attempt:
    endpoint_id: uuid.UUID
    sequence: int
    attempted: datetime
    outcome: str
    """delivered, retry, disabled or failed."""
    status: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class Listed:
    endpoint: Endpoint
    backlog: int
    """Events of its tenant after its position (whatever their type)."""


@dataclass(frozen=True, slots=True)
class Failure:
    """What a failed attempt leaves on its endpoint."""

    attempt: Attempt
    attempts: int
    next_attempt: datetime | None
    failing_since: datetime
    state: str
    error: str


class WebhookStore(Protocol):
    """Endpoints, their leases and positions, and attempts (``app.storage.webhooks``)."""

    async def add_endpoint(self, endpoint: Endpoint) -> None: ...

    async def list_endpoints(self, tenant: str | None = None) -> list[Listed]: ...

    async def get_endpoint(self, endpoint_id: uuid.UUID) -> Endpoint | None: ...

    async def remove_endpoint(self, endpoint_id: uuid.UUID) -> bool: ...

    async def rotate_secret(
        self, endpoint_id: uuid.UUID, secret: str, previous_until: datetime
    ) -> bool:
        """The new secret signs from now; the old one too until ``previous_until``."""

    async def replay(self, endpoint_id: uuid.UUID, position: int) -> bool:
        """Deliver again everything after ``position``; makes the endpoint active."""

    async def any_active(self) -> bool:
        """Whether any endpoint of any tenant is active (one indexed read)."""

    async def due(self, owner: str, limit: int) -> list[uuid.UUID]:
        """The ids ``claim`` would take now, from one read (no lock, no write)."""

    async def claim(self, owner: str, lease_seconds: float, limit: int) -> list[Endpoint]:
        """Lease active endpoints that are due and have events to deliver: none that another
        process holds an unexpired lease on (``FOR UPDATE SKIP LOCKED`` on PostgreSQL)."""

    async def advance(
        self, endpoint_id: uuid.UUID, owner: str, position: int, attempts: Sequence[Attempt] = ()
    ) -> bool:
        """Move the position on (after 2xx, or past events it does not want) and record
        the successful attempts; False when ``owner`` no longer holds the lease."""

    async def fail(self, endpoint_id: uuid.UUID, owner: str, failure: Failure) -> bool:
        """Record a failed attempt and when to try again; False without the lease."""

    async def release(self, owner: str) -> None:
        """Give up every lease ``owner`` holds (at shutdown)."""

    async def attempts(self, endpoint_id: uuid.UUID, limit: int = 100) -> list[Attempt]:
        """The latest attempts, newest first."""

    async def wait_for_any(self, seconds: float) -> None:
        """Return when events may have committed in any tenant, or after ``seconds``."""

    async def waiter(self) -> asyncio.Event:
        """The event the next commit sets: take it BEFORE reading, wait on it after an
        empty read, and no commit in between is missed."""


def as_row(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "tenant": endpoint.tenant,
        "url": endpoint.url,
        "event_types": endpoint.event_types,
        "secret": endpoint.secret,
        "previous_secret": endpoint.previous_secret,
        "previous_until": endpoint.previous_until,
        "state": endpoint.state,
        "position": endpoint.position,
        "attempts": endpoint.attempts,
        "next_attempt": endpoint.next_attempt,
        "failing_since": endpoint.failing_since,
        "last_error": endpoint.last_error,
        "created": endpoint.created,
    }
