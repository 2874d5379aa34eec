"""Bearer-token authentication (RFC 7644 §2): tokens are kept as SHA-256 digests only."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from scim2_models import UnauthorizedException

from app.scim.store import Store


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


async def authenticate(
    authorization: str | None, store: Store, bootstrap: str | None, default_tenant: str
) -> str:
    """The tenant the caller's token belongs to; 401 otherwise.

    The database is searched by digest, so no comparison ever runs on the secret itself,
    and the bootstrap token is compared in constant time.
    """
    token = _bearer(authorization)
    if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
        return default_tenant
    tenant = await store.token_tenant(digest(token))
    if tenant is None:
        raise UnauthorizedException(detail="the bearer token is not valid")
    return tenant
