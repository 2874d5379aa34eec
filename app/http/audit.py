"""The request log (``request_log``): what the identity provider sent, what we answered.

A pure ASGI middleware notes, for every SCIM request that writes or tries to (POST, PUT,
PATCH, DELETE) and every request answered 4xx or 5xx: the request id, tenant, token name,
client address, method, route, resource type and id, status, ``scimType``, ``detail``,
the tolerances that fired (``app.scim.observed``), the duration, and the request body.
The body is redacted structurally (``app.scim.redaction``) before it is kept, and cut at
64 KiB with a flag. A PATCH answered with a resource whose ``meta.lastModified`` is older
than the request changed nothing (the service moves it on every change, RFC 7644 §3.14)
and is marked so.

Rows are written after the response, outside the request's transaction (so a failed
write is logged too), by one background task in batches (at most one write every 50 ms
under load); what the request pays is a few appends. A failure to log never fails a
request: it is one warning until logging works again. The same task deletes rows older
than ``SCIM_REQUEST_LOG_DAYS`` once an hour.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.auth import principal_of
from app.scim import observed
from app.scim.redaction import never_returned, redact
from app.scim.resources import BUILTIN, ResourceKind
from app.scim.store import LoggedRequest, Store

log = logging.getLogger(__name__)

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_BODY = 64 * 1024
"""Stored bodies are cut here (and flagged)."""
MAX_ANSWER = 64 * 1024
"""How much of a response the log reads (for detail, scimType, id and lastModified)."""
QUEUE_SIZE = 10_000
BATCH = 200
BATCH_DELAY = 0.05
"""Seconds the writer waits after a request before writing, to batch those that follow."""
PRUNE_SECONDS = 3600.0
_HEADER = b"x-request-id"


@dataclass(frozen=True)
class Served:
    """What the log needs of the served resource types: endpoints, and secret names."""

    endpoints: dict[str, str]
    secrets: frozenset[str]

    @classmethod
    def of(cls, kinds: Iterable[ResourceKind]) -> Served:
        kinds = list(kinds)
        endpoints = {kind.endpoint.strip("/").lower(): kind.name for kind in kinds}
        return cls(endpoints, never_returned(kinds))


BUILTIN_SERVED = Served.of(BUILTIN)


@dataclass(slots=True)
class Captured:
    """What the middleware saw of one request; turned into a row by the writer task."""

    request_id: str
    started: float
    method: str
    path: str
    route: str
    client: str | None
    tenant: str | None = None
    token_name: str | None = None
    status: int = 500
    location: str | None = None
    duration_ms: float = 0.0
    tolerances: tuple[str, ...] = ()
    body: list[bytes] = field(default_factory=list)
    answer: list[bytes] = field(default_factory=list)


def _json(parts: Sequence[bytes]) -> Any:
    try:
        return orjson.loads(b"".join(parts)) if parts else None
    except orjson.JSONDecodeError:
        return None


def _stored_body(captured: Captured, secrets: frozenset[str]) -> tuple[str | None, bool]:
    raw = b"".join(captured.body)
    if not raw:
        return None, False
    parsed = _json([raw])
    if parsed is None:
        return f"[not JSON: {len(raw)} bytes, not kept]", False
    kept = orjson.dumps(redact(parsed, secrets))
    if len(kept) > MAX_BODY:
        return kept[:MAX_BODY].decode(errors="ignore"), True
    return kept.decode(), False


def scim_path(path: str, prefix: str) -> str | None:
    """``path`` below the SCIM root (``/Users/x``), or None outside it; a ``{tenant}``
    in ``prefix`` matches any one segment."""
    head, marker, tail = prefix.partition("{tenant}")
    if not marker:
        return path[len(prefix) :] if path.startswith(prefix) else None
    if not path.startswith(head):
        return None
    rest = path[len(head) :]
    segment_end = rest.find("/")
    if segment_end <= 0 or not rest[segment_end:].startswith(tail):
        return None
    return rest[segment_end + len(tail) :]


def _resource(
    captured: Captured, prefix: str, endpoints: dict[str, str]
) -> tuple[str | None, str | None]:
    parts = (scim_path(captured.path, prefix) or "").strip("/").split("/")
    kind = endpoints.get(parts[0].lower()) if parts else None
    if kind is None:
        return None, None
    if len(parts) > 1 and parts[1] and not parts[1].startswith("."):
        return kind, parts[1][:128]
    if captured.location:
        return kind, captured.location.rstrip("/").rsplit("/", 1)[-1][:128]
    return kind, None


def _unchanged(captured: Captured, answer: Any) -> bool:
    if captured.method != "PATCH" or captured.status != 200 or not isinstance(answer, dict):
        return False
    modified = (answer.get("meta") or {}).get("lastModified")
    try:
        return datetime.fromisoformat(str(modified)).timestamp() < captured.started
    except ValueError:
        return False


def entry(captured: Captured, prefix: str, served: Served = BUILTIN_SERVED) -> LoggedRequest:
    """The request log row of what was captured (runs in the writer task)."""
    answer = _json(captured.answer) if captured.answer else None
    error = answer if isinstance(answer, dict) and captured.status >= 400 else {}
    body, truncated = _stored_body(captured, served.secrets)
    resource_type, resource_id = _resource(captured, prefix, served.endpoints)
    detail = error.get("detail")
    return LoggedRequest(
        request_id=captured.request_id,
        time=datetime.fromtimestamp(captured.started, UTC),
        method=captured.method,
        route=captured.route[:512],
        status=captured.status,
        duration_ms=round(captured.duration_ms, 3),
        tenant=captured.tenant,
        token_name=captured.token_name,
        client=captured.client,
        resource_type=resource_type,
        resource_id=resource_id,
        scim_type=str(error["scimType"])[:32] if error.get("scimType") else None,
        detail=str(detail) if detail is not None else None,
        tolerances=captured.tolerances,
        body=body,
        body_truncated=truncated,
        no_change=_unchanged(captured, answer),
    )


class RequestLogWriter:
    """One background task writing captured requests in batches, and pruning old rows."""

    def __init__(
        self, store: Store, days: int, prefix: str, served: Served = BUILTIN_SERVED
    ) -> None:
        self._store = store
        self._days = days
        self._prefix = prefix
        self._served = served
        self._queue: asyncio.Queue[Captured] = asyncio.Queue(QUEUE_SIZE)
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        self._pruned = -PRUNE_SECONDS

    def submit(self, captured: Captured) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            self._queue.put_nowait(captured)
        except asyncio.QueueFull:
            self._warn("the request log is behind; a request went unlogged")

    def _warn(self, message: str) -> None:
        if not self._failing:
            self._failing = True
            log.warning(message)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # Gather what arrives meanwhile: under load, one write per batch instead of
            # one per request competes with the requests' own writes.
            await asyncio.sleep(BATCH_DELAY)
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            except Exception as exc:  # logging must never fail anything
                self._warn(f"could not write the request log: {exc}")
            else:
                self._failing = False
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[Captured]) -> None:
        await self._store.write_request_log([entry(c, self._prefix, self._served) for c in batch])
        if time.monotonic() - self._pruned >= PRUNE_SECONDS:
            self._pruned = time.monotonic()
            await self.prune()

    async def prune(self) -> int:
        before = datetime.now(UTC) - timedelta(days=self._days)
        return await self._store.prune_request_log(before)

    async def flush(self) -> None:
        """Wait until every submitted request is written (tests, shutdown)."""
        await self._queue.join()

    async def close(self) -> None:
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self.flush(), timeout=5)
        except TimeoutError:
            log.warning("the request log lost %d requests at shutdown", self._queue.qsize())
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == _HEADER and 0 < len(value) <= 128 and value.isascii():
            return str(value.decode())
    return os.urandom(16).hex()


class RequestAudit:
    """The pure ASGI middleware capturing what the request log keeps."""

    def __init__(self, app: ASGIApp, writer: RequestLogWriter, prefix: str) -> None:
        self.app = app
        self.writer = writer
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scim_path(scope["path"], self.prefix) is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] in WRITES:
            await self._write(scope, receive, send)
        else:
            await self._read(scope, receive, send)

    def _captured(self, scope: Scope, request_id: str, started: float) -> Captured:
        client = scope.get("client")
        path = scope["path"]
        address = client[0] if client else None
        return Captured(request_id, started, scope["method"], path, path, address)

    async def _read(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A read is logged only when answered 4xx or 5xx: until then it costs one closure."""
        started = time.time()
        answer: list[bytes] = []
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif status >= 400 and sum(map(len, answer)) < MAX_ANSWER:
                answer.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if status >= 400 or status == 0:
                record = observed.current()
                request_id = record.request_id if record is not None else _request_id(scope)
                captured = self._captured(scope, request_id, started)
                captured.status, captured.answer = status or 500, answer
                self._finish(scope, captured, record)

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        record = observed.current()
        token = None
        if record is None:
            record, token = observed.begin(_request_id(scope))
        captured = self._captured(scope, record.request_id, time.time())
        receiving = self._receiver(receive, captured)
        sending = self._sender(send, captured, token is not None)
        try:
            await self.app(scope, receiving, sending)
        finally:
            if token is not None:
                observed.end(token)
            self._finish(scope, captured, record)

    def _finish(self, scope: Scope, captured: Captured, record: observed.Observed | None) -> None:
        captured.duration_ms = (time.time() - captured.started) * 1000
        route = scope.get("route")
        captured.route = getattr(route, "path", captured.path)
        principal = principal_of(scope)
        if principal is not None:
            captured.tenant, captured.token_name = principal.tenant, principal.token_name
        if record is not None:
            captured.tolerances = tuple(record.tolerances)
        self.writer.submit(captured)

    @staticmethod
    def _receiver(receive: Receive, captured: Captured) -> Receive:
        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                captured.body.append(message.get("body", b""))
            return message

        return receiving

    @staticmethod
    def _sender(send: Send, captured: Captured, echo: bool) -> Send:
        request_id = captured.request_id.encode()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                if echo:
                    message["headers"] = [*message.get("headers", []), (_HEADER, request_id)]
                for name, value in message.get("headers", ()):
                    if name == b"location":
                        captured.location = value.decode("latin-1")
            elif sum(map(len, captured.answer)) < MAX_ANSWER:
                captured.answer.append(message.get("body", b""))
            await send(message)

        return sending
