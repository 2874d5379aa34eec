"""Who may read change events: a token with the ``events`` scope (issue 12).

Token scopes arrive with issue 11; until they do, this is the one place that decides, and
any valid token of the tenant reads its events.
"""

from __future__ import annotations

from fastapi import Request

from app.http.deps import runtime

SCOPE = "events"


async def events_tenant(request: Request) -> str:
    """The tenant whose events the caller may read (401 without a valid token)."""
    authenticator = runtime(request).authenticator
    return await authenticator.tenant(request.headers.get("authorization"))
