"""One log line per request, the request id, the request metrics, and the last word on
exceptions nothing else handled: a pure ASGI middleware, the outermost of the app's.

The line (``event: "request"``) carries the request id, method, route template (never the
raw path, which holds ids), status, ``scimType`` on errors, duration in ms, tenant, token
name, client (okta, entra or other, from User-Agent), the tolerances that fired and the
filter's attribute paths and operators (never its values); bodies, tokens and passwords
are never read. Probes (``/livez``, ``/readyz``, ``/metrics``) log at debug, a 503 at
warning with its cause, a 500 at error with its one traceback.

``X-Request-ID`` is taken from the request when it is printable ASCII of at most 128
characters, else generated, and echoed on the response. What the request did is read from
its ``app.scim.observed`` record, which this middleware opens.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.errors import error_response
from app.http.metrics import Metrics
from app.http.origin import client
from app.logs import request_writer
from app.scim import observed
from app.scim.errors import InternalErrorException
from app.scim.resources import BUILTIN, ResourceKind

PROBES = frozenset({"/livez", "/readyz", "/metrics"})

_REQUEST_ID = re.compile(rb"[\x20-\x7e]{1,128}")
_HEADER = b"x-request-id"


def request_id(given: bytes | None) -> str:
    """The caller's id when it is printable ASCII of at most 128 characters, else a new one."""
    if given is not None and _REQUEST_ID.fullmatch(given):
        return given.decode()
    return os.urandom(16).hex()


Route = tuple[str, tuple[str, str] | None]
"""A route's template and, for SCIM resource operations, (resource type, operation)."""


def _operation(operation_id: str | None, names: dict[str, str]) -> tuple[str, str] | None:
    """``create_user`` -> ("User", "create"); ``search_all`` -> ("all", "search")."""
    if not operation_id or "_" not in operation_id:
        return None
    verb, _, noun = operation_id.partition("_")
    resource = names.get(noun) or names.get(noun.removesuffix("s")) or noun
    return resource, "list" if verb == "list" else verb


class RequestLog:
    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics | None = None,
        kinds: Iterable[ResourceKind] = BUILTIN,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self._names = {kind.name.lower(): kind.name for kind in kinds}
        self.log = request_writer()
        self.debug = self.log.enabled(logging.DEBUG)
        self._routes: dict[Any, Route] | None = None
        self._clients: dict[bytes, str] = {}

    def _route(self, scope: Scope) -> Route:
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return "", None
        if self._routes is None:
            self._routes = {
                route.endpoint: (
                    route.path,
                    _operation(getattr(route, "operation_id", None), self._names),
                )
                for route in scope["app"].routes
                if hasattr(route, "endpoint")
            }
        return self._routes.get(endpoint, ("", None))

    def _client(self, agent: bytes) -> str:
        found = self._clients.get(agent)
        if found is None:
            found = client(agent.decode("latin-1"))
            if len(self._clients) < 1024:
                self._clients[agent] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        given = agent = None
        for name, value in scope["headers"]:
            if name == _HEADER:
                given = value
            elif name == b"user-agent":
                agent = value
        record, token = observed.begin(request_id(given))
        echoed = (_HEADER, record.request_id.encode())
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        failure: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            failure = exc
            if status == 0:
                await error_response(InternalErrorException())(scope, receive, send_with_id)
        finally:
            observed.end(token)
        seconds = time.perf_counter() - start
        route, operation = self._route(scope)
        if self.metrics is not None:
            self.metrics.observe(
                scope["method"], route, status, seconds, operation, record.tolerances
            )
        # A closed or full stdout must not fail the request.
        with contextlib.suppress(OSError, ValueError):
            self._write(scope, record, route, status, seconds, agent, failure)

    def _write(
        self,
        scope: Scope,
        record: observed.Observed,
        route: str,
        status: int,
        seconds: float,
        agent: bytes | None,
        failure: BaseException | None,
    ) -> None:
        probe = scope["path"] in PROBES
        if probe and not self.debug:
            return
        fields: dict[str, Any] = {
            "request_id": record.request_id,
            "method": scope["method"],
            "route": route or None,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
            "tenant": record.tenant,
            "token": record.token,
            "client": self._client(agent) if agent is not None else "other",
            "tolerances": record.tolerances,
        }
        if record.filter is not None:
            fields["filter"] = record.filter
        if record.scim_type is not None:
            fields["scimType"] = record.scim_type
        if failure is not None:
            fields["error"] = type(failure).__name__
            self.log.write(logging.ERROR, fields, failure)
        elif status >= 500:
            fields["error"] = record.error
            fields["cause"] = record.cause
            self.log.write(logging.WARNING, fields)
        else:
            self.log.write(logging.DEBUG if probe else logging.INFO, fields)
