"""Opaque, tamper-proof cursors for RFC 9865 cursor paging.

A cursor is ``base64url(payload) "." base64url(hmac)``: only RFC 3986 unreserved
characters, as RFC 9865 §2 requires. The payload keeps the anchor of the page boundary
(sort key value and id, the keyset), the direction, when it was issued, and a digest of
the query it belongs to, so a cursor replayed with another filter, sort or tenant is
refused (``invalidCursor``) and an old one is ``expiredCursor`` (RFC 9865 §3).

The HMAC key is ``SCIM_CURSOR_SECRET``; unset, the random key a migration keeps in the
database (read at start-up by ``app.main``), so cursors work across workers, replicas and
restarts; before it is read (or with no lifespan, as in tests) a key made once per process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from scim2_models import ExpiredCursorException, InvalidCursorException

from app.scim.store import Anchor, CursorPosition

PROCESS_KEY = secrets.token_bytes(32)
"""The signing key when no SCIM_CURSOR_SECRET is configured."""


def cursor_key(secret: str | None) -> bytes:
    """The configured secret as a key, or the per-process one."""
    return secret.encode() if secret else PROCESS_KEY


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest()[:18])


def _encode_key(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if isinstance(value, uuid.UUID):
        return {"u": value.hex}
    return value


def _decode_key(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "u" in value:
            return uuid.UUID(value["u"])
        return Decimal(value["n"])
    return value


def fingerprint(*parts: Any) -> str:
    """A digest of what a cursor is bound to (tenant, resource types, filter, sort)."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def encode(secret: bytes, query: str, anchor: Anchor, *, backwards: bool) -> str:
    """The cursor for the page strictly after (``backwards``: before) ``anchor``."""
    payload = {
        "q": query,
        "k": _encode_key(anchor.key),
        "i": anchor.id.hex,
        "b": backwards,
        "t": int(time.time()),
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_sign(secret, body)}"


def decode(secret: bytes, token: str, query: str, ttl_seconds: int) -> CursorPosition:
    """Verify and open a cursor; raises invalidCursor or expiredCursor (RFC 9865 §3)."""
    body, _, signature = token.partition(".")
    if not hmac.compare_digest(signature.encode(), _sign(secret, body).encode()):
        raise InvalidCursorException(detail="the cursor is not one this service issued")
    try:
        payload = json.loads(_unb64(body))
        anchor = Anchor(_decode_key(payload["k"]), uuid.UUID(payload["i"]))
        issued, bound, backwards = int(payload["t"]), payload["q"], bool(payload["b"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidCursorException(detail="the cursor is malformed") from exc
    if bound != query:
        raise InvalidCursorException(detail="the cursor belongs to another query")
    if time.time() - issued > ttl_seconds:
        raise ExpiredCursorException(detail="the cursor has expired; start again")
    return CursorPosition(anchor, backwards=backwards)
