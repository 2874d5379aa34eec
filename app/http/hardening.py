"""Host header allow-list (``SCIM_TRUSTED_HOSTS``) as a pure ASGI middleware.

Without it, and without ``SCIM_PUBLIC_BASE_URL``, ``meta.location`` is built from whatever
Host header the request carries. With it, a request for another host gets 400 with the
SCIM envelope before anything else runs.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.http.errors import error_response
from app.scim.errors import BadRequestException


def parse_hosts(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Exact names, and the suffixes of ``*.example.com`` patterns (``.example.com``)."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    exact = frozenset(name for name in names if not name.startswith("*."))
    suffixes = tuple(name[1:] for name in names if name.startswith("*."))
    return exact, suffixes


def _host(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            host: str = value.decode("latin-1").lower()
            if host.startswith("["):  # [::1]:8000
                return host.partition("]")[0] + "]"
            return host.rpartition(":")[0] if ":" in host else host
    return ""


class TrustedHosts:
    def __init__(self, app: ASGIApp, hosts: str) -> None:
        self.app = app
        self.exact, self.suffixes = parse_hosts(hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = _host(scope)
            if host not in self.exact and not (self.suffixes and host.endswith(self.suffixes)):
                detail = f"this service does not answer for host {host!r}"
                await error_response(BadRequestException(detail=detail))(scope, receive, send)
                return
        await self.app(scope, receive, send)
