"""Bearer-token authentication (RFC 7644 §2): tokens are kept as SHA-256 digests only.

A request's caller is a ``Principal``: its tenant, its token's name and its scopes. Every
endpoint asks for one scope, with ``require_scope(request, scope)``; a token outside it
gets the same 401 as an unknown token, so a probe learns nothing about which tokens exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from scim2_models import UnauthorizedException

from app.scim import observed
from app.scim.store import Store, StoredToken

SCIM = "scim"
"""The SCIM API (``/scim/v2/...``): the default scope of a new token."""
EVENTS = "events"
"""The change feed and webhooks."""
METRICS = "metrics"
"""The Prometheus metrics endpoint."""
CATALOG = "catalog"
"""Writing the catalogues the application publishes (Roles, Entitlements) over HTTP."""
SCOPES = frozenset({SCIM, EVENTS, METRICS, CATALOG})

CACHE_SECONDS = 1.0
"""How long a token lookup is remembered: a revoked token stops working within this."""

CACHE_ENTRIES = 4096

LAST_USED_SECONDS = 60.0
"""``last_used`` is written at most this often per token."""

BOOTSTRAP_NAME = "bootstrap"

INVALID_TOKEN = "the bearer token is not valid"
"""The one detail of every refused token: unknown, expired, revoked, outside its scopes."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the tenant every storage call is scoped to, the token, its scopes."""

    tenant: str
    token_name: str
    scopes: frozenset[str]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh token: 256 bits from the OS, URL-safe."""
    return secrets.token_urlsafe(32)


def _bearer(authorization: str | None) -> str:
    scheme, space, token = (authorization or "").strip().partition(" ")
    if not space and scheme:
        raise UnauthorizedException(
            detail="the Authorization header lacks its scheme: send 'Bearer <token>'"
        )
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedException(detail="a bearer token is required")
    return token.strip()


def _deadline(token: StoredToken) -> float:
    ends = token.valid_until
    return math.inf if ends is None else ends.timestamp()


class Authenticator:
    """The principal of the caller's token, or 401.

    The database is searched by digest, so no comparison ever runs on the secret itself,
    and the bootstrap token is compared in constant time. A valid token is kept for
    ``CACHE_SECONDS``, so a busy identity provider costs one token lookup a second instead
    of one per request; its expiry is checked on every request, cached or not. Unknown
    tokens are never cached. ``last_used`` is written by a background task, at most once
    every ``LAST_USED_SECONDS`` per token.
    """

    def __init__(self, store: Store, bootstrap: str | None, default_tenant: str) -> None:
        self._store = store
        self._bootstrap = bootstrap.encode() if bootstrap else None
        # The identity provider's token: everything but writing the application's catalogues.
        self._bootstrap_principal = Principal(default_tenant, BOOTSTRAP_NAME, SCOPES - {CATALOG})
        self._cache: OrderedDict[str, tuple[float, Principal, float]] = OrderedDict()
        self._touched: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def known(self, authorization: str) -> bool:
        """Whether this worker found the token valid lately (no lookup, no expiry check):
        what lets a token in use through while its address is over the failure limit."""
        token = authorization.partition(" ")[2].strip()
        if self._bootstrap is not None and hmac.compare_digest(token.encode(), self._bootstrap):
            return True
        return digest(token) in self._cache

    def fresh(self, authorization: str) -> Principal | None:
        """The principal when no lookup is needed (the bootstrap token, or a live token
        checked less than ``CACHE_SECONDS`` ago); None otherwise, never an error."""
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        if self._bootstrap is not None and hmac.compare_digest(token.encode(), self._bootstrap):
            return self._bootstrap_principal
        cached = self._cache.get(digest(token))
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1] if time.time() < cached[2] else None
        return None

    async def holds(self, authorization: str | None, scope: str) -> bool:
        """Whether the caller's token is live and holds ``scope`` (never raises)."""
        try:
            return scope in (await self.principal(authorization)).scopes
        except UnauthorizedException:
            return False

    async def principal(self, authorization: str | None) -> Principal:
        token = _bearer(authorization)
        if self._bootstrap is not None and hmac.compare_digest(token.encode(), self._bootstrap):
            return self._bootstrap_principal
        key = digest(token)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            if time.time() < cached[2]:
                return cached[1]
            raise UnauthorizedException(detail=INVALID_TOKEN)
        return await self._lookup(key, now)

    async def _lookup(self, key: str, now: float) -> Principal:
        stored = await self._store.find_token(key)
        if stored is None or time.time() >= _deadline(stored):
            self._cache.pop(key, None)
            raise UnauthorizedException(detail=INVALID_TOKEN)
        principal = Principal(stored.tenant, stored.name, stored.scopes)
        self._cache[key] = (now, principal, _deadline(stored))
        self._cache.move_to_end(key)
        if len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        self._note_use(stored, now)
        return principal

    def _note_use(self, stored: StoredToken, now: float) -> None:
        wall = datetime.now(UTC)
        if stored.last_used is not None and (
            (wall - stored.last_used).total_seconds() < LAST_USED_SECONDS
        ):
            return
        if now - self._touched.get(stored.name, -math.inf) < LAST_USED_SECONDS:
            return
        self._touched[stored.name] = now
        task = asyncio.get_running_loop().create_task(self._touch(stored.name, wall))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _touch(self, name: str, wall: datetime) -> None:
        try:
            await self._store.touch_token(name, wall, LAST_USED_SECONDS)
        except Exception as exc:  # a lost last_used must never fail anything
            log.warning("could not record the last use of token %r: %s", name, exc)

    async def close(self) -> None:
        """Wait for the ``last_used`` writes still running (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def state_of(scope: MutableMapping[str, Any]) -> dict[str, Any]:
    """The request's state dict (``request.state``), shared with pure ASGI middleware."""
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def remember(scope: MutableMapping[str, Any], principal: Principal) -> None:
    """Keep the request's principal for what runs after (the handler, the request logs)."""
    state_of(scope)["principal"] = principal
    observed.caller(principal.tenant, principal.token_name)


def principal_of(scope: MutableMapping[str, Any]) -> Principal | None:
    """The principal a handler authenticated, for middleware that runs after it."""
    found: Principal | None = scope.get("state", {}).get("principal")
    return found


async def require_scope(request: Request, scope: str) -> Principal:
    """Authenticate the request for ``scope`` (401 otherwise) and remember its principal.

    What every endpoint calls first: ``principal = await require_scope(request, EVENTS)``.
    The rate-limit middleware may have authenticated the request already (its outcome is
    in the request state); otherwise it is done here.
    """
    state = state_of(request.scope)
    principal: Principal | None = state.get("principal")
    if principal is None:
        failure: UnauthorizedException | None = state.get("auth_error")
        if failure is not None:
            raise failure
        authenticator: Authenticator = request.app.state.runtime.authenticator
        principal = await authenticator.principal(request.headers.get("authorization"))
        remember(request.scope, principal)
    if scope not in principal.scopes:
        raise UnauthorizedException(detail=INVALID_TOKEN)
    return principal
