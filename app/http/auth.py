"""Bearer-token authentication (RFC 7644 §2): tokens are kept as SHA-256 digests only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict

from scim2_models import UnauthorizedException

from app.scim import observed
from app.scim.store import Store

CACHE_SECONDS = 1.0
"""How long a token's tenant is remembered: a revoked token stops working within this."""

CACHE_ENTRIES = 4096

BOOTSTRAP_NAME = "bootstrap"
"""The token name the request log shows for SCIM_BOOTSTRAP_TOKEN."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh token: 256 bits from the OS, URL-safe."""
    return secrets.token_urlsafe(32)


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedException(detail="a bearer token is required")
    return token.strip()


class Authenticator:
    """The tenant of the caller's token, or 401.

    The database is searched by digest, so no comparison ever runs on the secret itself,
    and the bootstrap token is compared in constant time. A valid token's tenant is kept
    for ``CACHE_SECONDS``, so a busy identity provider costs one token lookup a second
    instead of one per request; unknown tokens are never cached.
    """

    def __init__(self, store: Store, bootstrap: str | None, default_tenant: str) -> None:
        self._store = store
        self._bootstrap = bootstrap.encode() if bootstrap else None
        self._default_tenant = default_tenant
        self._cache: OrderedDict[str, tuple[float, str, str]] = OrderedDict()

    async def tenant(self, authorization: str | None) -> str:
        token = _bearer(authorization)
        if self._bootstrap is not None and hmac.compare_digest(token.encode(), self._bootstrap):
            observed.caller(self._default_tenant, BOOTSTRAP_NAME)
            return self._default_tenant
        key = digest(token)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            observed.caller(cached[1], cached[2])
            return cached[1]
        owner = await self._store.token_owner(key)
        if owner is None:
            self._cache.pop(key, None)
            raise UnauthorizedException(detail="the bearer token is not valid")
        name, tenant = owner
        observed.caller(tenant, name)
        self._cache[key] = (now, tenant, name)
        self._cache.move_to_end(key)
        if len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return tenant
