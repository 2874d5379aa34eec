"""Prometheus metrics (prometheus-client) and ``GET /metrics``.

Names follow OpenTelemetry's HTTP semantic conventions as Prometheus spells them
(``http_server_request_duration_seconds`` with ``http_request_method``, ``http_route`` and
``http_response_status_code``), plus SCIM counters and the database pool's gauges. No
label carries a tenant, an id or anything else without a small fixed set of values.

With several worker processes (``SCIM_WORKERS`` > 1) ``python -m app serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the workers start: every process
writes its samples there and ``/metrics``, whichever worker answers it, adds them up
(prometheus-client's multiprocess mode). One process keeps its metrics in memory.
"""

from __future__ import annotations

import asyncio
import hmac
import os
from collections.abc import Callable
from contextlib import suppress

from fastapi import FastAPI, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from scim2_models import UnauthorizedException
from starlette.responses import Response

from app.delivery import metrics as delivery_metrics
from app.http.auth import METRICS
from app.http.errors import error_response

METRICS_PATH = "/metrics"

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
"""OpenTelemetry's advice for http.server.request.duration, in seconds."""

PoolStats = Callable[[], tuple[int, int, int]]


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """One process's metric objects; ``observe`` is called once per request."""

    def __init__(self, pool_stats: PoolStats | None = None) -> None:
        self.multiprocess = multiprocess_dir() is not None
        # Multiprocess samples live in files, whatever registry the objects are in; one
        # process gets a registry of its own, so apps built side by side never collide.
        self.registry = CollectorRegistry()
        own = None if self.multiprocess else self.registry
        self._pool_stats = pool_stats
        self.duration = Histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests.",
            ("http_request_method", "http_route", "http_response_status_code"),
            buckets=DURATION_BUCKETS,
            registry=own,
        )
        self.operations = Counter(
            "scim_operations",
            "SCIM operations served, by resource type, operation and outcome.",
            ("resource_type", "operation", "outcome"),
            registry=own,
        )
        self.tolerances = Counter(
            "scim_tolerances",
            "Okta and Entra tolerances applied (app/scim/policy.py).",
            ("name",),
            registry=own,
        )
        live = {"multiprocess_mode": "livesum"}
        self.pool_connections = Gauge(
            "scim_db_pool_connections",
            "Database connections of the pool, in use or idle.",
            ("state",),
            registry=own,
            **live,  # type: ignore[arg-type]
        )
        self.pool_waiting = Gauge(
            "scim_db_pool_waiting",
            "Requests waiting for a pooled connection (the pool never overflows its size).",
            registry=own,
            **live,  # type: ignore[arg-type]
        )
        self._children: dict[tuple[str, str, int], Callable[[float], None]] = {}
        self._counted: dict[tuple[str, str, str], Callable[[], None]] = {}

    def observe(
        self,
        method: str,
        route: str,
        status: int,
        seconds: float,
        operation: tuple[str, str] | None,
        tolerances: list[str],
    ) -> None:
        key = (method, route, status)
        observe = self._children.get(key)
        if observe is None:
            observe = self.duration.labels(method, route, str(status)).observe
            self._children[key] = observe
        observe(seconds)
        if operation is not None:
            outcome = "success" if status < 400 else str(status)
            counted = (operation[0], operation[1], outcome)
            inc = self._counted.get(counted)
            if inc is None:
                inc = self._counted[counted] = self.operations.labels(*counted).inc
            inc()
        for name in tolerances:
            self.tolerances.labels(name).inc()

    def refresh_pool(self) -> None:
        if self._pool_stats is None:
            return
        in_use, idle, waiting = self._pool_stats()
        self.pool_connections.labels("in_use").set(in_use)
        self.pool_connections.labels("idle").set(idle)
        self.pool_waiting.set(waiting)

    def render(self) -> bytes:
        self.refresh_pool()
        if not self.multiprocess:
            # Webhook delivery keeps its metrics in a registry of its own (app.delivery);
            # with several workers they are in the multiprocess files like the rest.
            return generate_latest(self.registry) + delivery_metrics.exposition()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)

    async def refresh_forever(self, every: float = 5.0) -> None:
        """Keep this worker's pool gauges current for scrapes another worker answers."""
        while True:
            self.refresh_pool()
            await asyncio.sleep(every)

    def process_exited(self) -> None:
        if self.multiprocess:
            with suppress(OSError):
                multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def install(app: FastAPI, metrics: Metrics, token: str | None) -> None:
    """``GET /metrics``; with ``SCIM_METRICS_TOKEN`` set, only for that bearer token or a
    token of scope ``metrics`` (``token create --scope metrics``)."""
    expected = f"Bearer {token}".encode() if token else None

    @app.get(METRICS_PATH, include_in_schema=False)
    async def scrape(request: Request) -> Response:
        if expected is not None:
            authorization = request.headers.get("authorization", "")
            if not hmac.compare_digest(authorization.encode(), expected):
                authenticator = request.app.state.runtime.authenticator
                if not await authenticator.holds(authorization, METRICS):
                    return _unauthorized()
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)


def _unauthorized() -> Response:
    return error_response(UnauthorizedException(detail="the metrics token is required"))
