"""Who sent a request, as change events record it: the identity provider and the request id.

Okta's provisioning client says ``Okta SCIM Client`` in its User-Agent; Microsoft Entra's
says ``Azure`` or ``Microsoft`` (``Azure AD SCIM Client``, ``Microsoft.AAD.Provisioning``).
The request id is the caller's ``X-Request-Id`` when it sends one (at most 128 characters).
"""

from __future__ import annotations

from starlette.requests import Request

from app.scim import observed


def client(user_agent: str | None) -> str:
    """Okta, Entra or other."""
    agent = (user_agent or "").lower()
    if "okta" in agent:
        return "Okta"
    if "azure" in agent or "microsoft" in agent or "entra" in agent:
        return "Entra"
    return "other"


def request_id(request: Request) -> str | None:
    """The request's id as the JSON request log and the request log row carry it
    (``app.http.request_log``), else the caller's X-Request-Id."""
    record = observed.current()
    if record is not None:
        return record.request_id
    found = request.scope.get("state", {}).get("request_id")
    if isinstance(found, str):
        return found
    sent = request.headers.get("x-request-id")
    return sent[:128] if sent else None
