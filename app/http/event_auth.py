"""Who may read change events: a token with the ``events`` scope (``token create --scope
events``); any other token gets the 401 of an unknown one."""

from __future__ import annotations

from fastapi import Request

from app.http.auth import EVENTS, require_scope


async def events_tenant(request: Request) -> str:
    """The tenant whose events the caller may read (401 without a token of scope events)."""
    return (await require_scope(request, EVENTS)).tenant
