"""Who is asking and where the API lives: what every service call needs besides its input."""

from dataclasses import dataclass

from app.scim.resources import ResourceKind


@dataclass(frozen=True, slots=True)
class RequestContext:
    tenant: str
    base_url: str
    """Absolute URL of the SCIM root, without a trailing slash (``https://h/scim/v2``)."""
    request_id: str | None = None
    token: str | None = None
    """The name of the caller's token (None for the bootstrap token)."""
    client: str | None = None
    """Okta, Entra or other, from the User-Agent (for change events)."""

    def location(self, kind: ResourceKind, resource_id: str) -> str:
        return f"{self.base_url}{kind.endpoint}/{resource_id}"

    def endpoint_url(self, kind: ResourceKind) -> str:
        return f"{self.base_url}{kind.endpoint}"
