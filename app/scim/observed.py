"""What one request did, noted as it happens, for the request log and the metrics to read.

The HTTP edge opens an ``Observed`` record per request (``begin``) and reads it when the
response is sent; the SCIM layer notes into it without knowing who reads: the tolerances
that fired (``app.scim.policy``), the filter's shape (``app.scim.query``). The HTTP layer
adds the caller (tenant, token name) and the error (scimType, the 503's cause). Outside a
request (the CLI, a test calling the service directly) there is no record and noting
does nothing.

One ``ContextVar`` holds the record; it is mutable, so what a handler notes is seen by the
middleware that opened it (contexts copied for tasks share the object).
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass, field


@dataclass(slots=True)
class Observed:
    request_id: str
    tolerances: list[str] = field(default_factory=list)
    tenant: str | None = None
    token: str | None = None
    """The token's name (never the token itself)."""
    filter: str | None = None
    """The filter's attribute paths and operators, values left out."""
    scim_type: str | None = None
    cause: str | None = None
    """Why the service could not serve (a 503's detail)."""
    error: str | None = None
    """The class of the exception behind a 5xx."""


CURRENT: ContextVar[Observed | None] = ContextVar("scim_observed", default=None)


def begin(request_id: str) -> tuple[Observed, Token[Observed | None]]:
    record = Observed(request_id)
    return record, CURRENT.set(record)


def end(token: Token[Observed | None]) -> None:
    CURRENT.reset(token)


def current() -> Observed | None:
    return CURRENT.get()


def tolerance(name: str) -> None:
    """Note that the tolerance ``name`` fired (``app.scim.policy``)."""
    record = CURRENT.get()
    if record is not None:
        record.tolerances.append(name)


def caller(tenant: str, token: str) -> None:
    record = CURRENT.get()
    if record is not None:
        record.tenant = tenant
        record.token = token
