"""Rate limits and back-pressure (OWASP API4), as one pure ASGI middleware.

- Per tenant, ``SCIM_RATE_LIMIT`` in the ``limits`` notation (default ``200/4 seconds``: a
  token bucket of 200 refilled at 50 a second; in Redis, ``limits``' moving window of 200
  per 4 seconds); and at most ``SCIM_MAX_IN_FLIGHT_PER_TENANT`` requests of one tenant at
  once in each worker process.
- Per client address, ``SCIM_AUTH_FAILURE_LIMIT`` failed authentications; over it, a
  request whose token this worker has not seen valid lately gets 429 without a token
  lookup, while a token in use keeps working from the same address (identity providers
  share their egress addresses between customers).

Over a limit: 429 with the SCIM envelope, an integer ``Retry-After`` of at least 1 (Okta
backs off only when it can read one) and the ``RateLimit-Policy`` / ``RateLimit`` headers of
draft-ietf-httpapi-ratelimit-headers. The middleware authenticates the caller itself (the
token cache makes that a dictionary lookup) and leaves the outcome in the request state,
so the handler does not authenticate twice.

Buckets live in memory, or in Redis (``SCIM_RATE_LIMIT_STORAGE=redis://...``) to be shared
by workers and replicas. When Redis cannot be reached, requests are served unlimited (one
warning), and Redis is tried again every few seconds.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from scim2_models import SCIMException
from starlette.types import ASGIApp, Receive, Scope, Send

from app.http.auth import Authenticator, Principal, remember, state_of
from app.http.errors import error_response
from app.scim.errors import TooManyRequestsException

log = logging.getLogger(__name__)

OFF = "off"
RETRY_STORAGE_SECONDS = 5.0
"""After a storage failure, how long requests go unlimited before Redis is tried again."""
STORAGE_TIMEOUT_SECONDS = 0.25


def parse_limit(text: str) -> RateLimitItem | None:
    """``50/second``, ``200/4 seconds``, ``20/minute``...; ``off`` is no limit."""
    if text.strip().lower() == OFF:
        return None
    return parse(text)


def _storage(url: str, key_prefix: str) -> Storage:
    if url.startswith(("redis://", "rediss://")):
        return RedisStorage(
            f"async+{url}",
            wrap_exceptions=True,
            key_prefix=key_prefix,
            connect_timeout=STORAGE_TIMEOUT_SECONDS,
            stream_timeout=STORAGE_TIMEOUT_SECONDS,
        )
    if url == "memory://":
        return MemoryStorage()
    raise ValueError(f"rate limit storage must be memory:// or redis://..., not {url!r}")


def _policy_headers(name: str, quota: int, window: int, wait: int) -> dict[str, str]:
    return {
        "Retry-After": str(wait),
        "RateLimit-Policy": f'"{name}";q={quota};w={window}',
        "RateLimit": f'"{name}";r=0;t={wait}',
    }


def _item_headers(name: str, item: RateLimitItem | None, wait: int) -> dict[str, str]:
    assert item is not None
    return _policy_headers(name, item.amount, item.get_expiry(), wait)


class TokenBuckets:
    """Token buckets in this process: ``200/4 seconds`` holds 200 tokens, refilled at 50 a
    second. About half a microsecond a request, where ``limits``' async memory storage
    costs about ten (its strategies are windows; a bucket is this small)."""

    def __init__(self, item: RateLimitItem, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.capacity = float(item.amount)
        self.rate = item.amount / item.get_expiry()
        self._buckets: dict[str, list[float]] = {}

    def take(self, key: str) -> float:
        """Take one token: 0, or the seconds until one is there."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = [self.capacity - 1, now]
            return 0.0
        tokens = min(self.capacity, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1:
            bucket[0] = tokens - 1
            return 0.0
        bucket[0] = tokens
        return (1 - tokens) / self.rate


class Limiter:
    """The buckets, over the configured storage, failing open when it is unreachable.

    In memory, tenants draw from ``TokenBuckets``; in Redis, from ``limits``' moving window
    (a burst of the limit's amount within its window, shared by every worker and replica).
    """

    def __init__(
        self, tenant_limit: str, failure_limit: str, storage_url: str, key_prefix: str
    ) -> None:
        self.tenant_item = parse_limit(tenant_limit)
        self.failure_item = parse_limit(failure_limit)
        self._strategy = MovingWindowRateLimiter(_storage(storage_url, key_prefix))
        local = storage_url == "memory://" and self.tenant_item is not None
        self._local = TokenBuckets(self.tenant_item) if local and self.tenant_item else None
        self._paused_until = 0.0
        self._warned = False

    async def _call(self, method: str, item: RateLimitItem, *keys: str) -> Any:
        """The strategy's answer, or None while the storage is unreachable (fail open)."""
        if self._paused_until and time.monotonic() < self._paused_until:
            return None
        try:
            answer = await getattr(self._strategy, method)(item, *keys)
        except Exception as exc:  # any storage failure: serve rather than refuse
            self._paused_until = time.monotonic() + RETRY_STORAGE_SECONDS
            if not self._warned:
                self._warned = True
                log.warning("rate limits are off: their storage failed (%s)", exc)
            return None
        if self._warned:
            self._warned = False
            log.warning("rate limits are on again: their storage answers")
        self._paused_until = 0.0
        return answer

    async def _wait(self, item: RateLimitItem, *keys: str) -> int:
        stats = await self._call("get_window_stats", item, *keys)
        reset = stats.reset_time if stats is not None else time.time() + 1
        return max(1, math.ceil(reset - time.time()))

    async def tenant_wait(self, tenant: str) -> int:
        """Take one request from the tenant's bucket: 0, or the seconds to wait."""
        if self._local is not None:
            wait = self._local.take(tenant)
            return max(1, math.ceil(wait)) if wait else 0
        item = self.tenant_item
        if item is None or await self._call("hit", item, "tenant", tenant) is not False:
            return 0
        return await self._wait(item, "tenant", tenant)

    async def failures_wait(self, address: str) -> int:
        """0 while the address may still fail authentication, else the seconds to wait."""
        item = self.failure_item
        if item is None or await self._call("test", item, "auth", address) is not False:
            return 0
        return await self._wait(item, "auth", address)

    async def failed(self, address: str) -> None:
        if self.failure_item is not None:
            await self._call("hit", self.failure_item, "auth", address)


def _authorization(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


class RateLimits:
    """The pure ASGI middleware: the tenant's buckets around every authenticated request."""

    def __init__(
        self, app: ASGIApp, limiter: Limiter, authenticator: Authenticator, max_in_flight: int
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.authenticator = authenticator
        self.max_in_flight = max_in_flight
        self.in_flight: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = _authorization(scope)
        if authorization is None:
            await self.app(scope, receive, send)
            return
        principal = self.authenticator.fresh(authorization)
        if principal is None:
            principal = await self._authenticate(scope, receive, send, authorization)
            if principal is None:
                return
        remember(scope, principal)
        await self._within_tenant(principal.tenant, scope, receive, send)

    async def _authenticate(
        self, scope: Scope, receive: Receive, send: Send, authorization: str
    ) -> Principal | None:
        """The principal of a token that needs a lookup, or None once the request has been
        answered: 429 for an address over the failure limit, else the app's own 401."""
        client = scope.get("client")
        address = client[0] if client else "unknown"
        if not self.authenticator.known(authorization):
            wait = await self.limiter.failures_wait(address)
            if wait:
                detail = "too many failed authentications from this address"
                headers = _item_headers("auth", self.limiter.failure_item, wait)
                await _refuse(scope, receive, send, detail, headers)
                return None
        try:
            return await self.authenticator.principal(authorization)
        except SCIMException as exc:
            state_of(scope)["auth_error"] = exc
            await self.limiter.failed(address)
            await self.app(scope, receive, send)
            return None

    async def _within_tenant(self, tenant: str, scope: Scope, receive: Receive, send: Send) -> None:
        running = self.in_flight.get(tenant, 0)
        if self.max_in_flight and running >= self.max_in_flight:
            detail = f"more than {self.max_in_flight} requests of this tenant at once"
            headers = _policy_headers("in-flight", self.max_in_flight, 1, 1)
            await _refuse(scope, receive, send, detail, headers)
            return
        self.in_flight[tenant] = running + 1
        try:
            wait = await self.limiter.tenant_wait(tenant)
            if wait:
                detail = "this tenant's request rate is over its limit"
                headers = _item_headers("tenant", self.limiter.tenant_item, wait)
                await _refuse(scope, receive, send, detail, headers)
                return
            await self.app(scope, receive, send)
        finally:
            left = self.in_flight[tenant] - 1
            if left:
                self.in_flight[tenant] = left
            else:
                del self.in_flight[tenant]


async def _refuse(
    scope: Scope, receive: Receive, send: Send, detail: str, headers: dict[str, str]
) -> None:
    response = error_response(TooManyRequestsException(detail=detail), headers)
    await response(scope, receive, send)
