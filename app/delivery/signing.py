"""Standard Webhooks messages (standard-webhooks spec 1.0): body, id and signatures.

The body is ``{"type", "timestamp", "data"}`` with the event as ``data`` and the event's
commit time as ``timestamp``, so every attempt and every replay sends the same bytes; the
``webhook-id`` is derived from the tenant and sequence, so it is the same on every retry
and replay (the receiver's idempotency key). ``webhook-timestamp`` is the send time, as
receivers reject stale ones; ``webhook-signature`` holds one ``v1,`` signature per live
secret (two during a rotation), made by the ``standardwebhooks`` package itself.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime
from typing import Any

import orjson
from standardwebhooks import Webhook

from app.delivery.model import Endpoint

_NAMESPACE = uuid.UUID("6f1f9c4e-2f55-4c1e-9d0a-53c1b2e0e712")


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def message_id(tenant: str, sequence: int) -> str:
    return "msg_" + uuid.uuid5(_NAMESPACE, f"{tenant}/{sequence}").hex


def body(event: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": event["type"], "timestamp": event["time"], "data": event})


def live_secrets(endpoint: Endpoint, now: datetime) -> list[str]:
    found = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_until and endpoint.previous_until > now:
        found.append(endpoint.previous_secret)
    return found


def headers(endpoint: Endpoint, msg_id: str, payload: bytes, now: datetime) -> dict[str, str]:
    text = payload.decode()
    signatures = [Webhook(s).sign(msg_id, now, text) for s in live_secrets(endpoint, now)]
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "user-agent": "scim-server-webhooks/1",
    }
