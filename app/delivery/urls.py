"""Which URLs may receive webhooks: https, or plain http to a loopback address when the
operator says ``--allow-insecure`` (a receiver on the same machine, tests)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refusal(url: str, *, allow_insecure: bool = False) -> str | None:
    """Why ``url`` cannot be an endpoint, or None when it can."""
    parts = urlsplit(url)
    if not parts.hostname:
        return f"{url!r} is not an absolute URL"
    if parts.scheme == "https":
        return None
    if parts.scheme != "http":
        return f"{url!r}: webhooks are sent over https"
    if not _loopback(parts.hostname):
        return f"{url!r}: plain http is allowed only to a loopback address"
    if not allow_insecure:
        return f"{url!r}: plain http needs --allow-insecure"
    return None
