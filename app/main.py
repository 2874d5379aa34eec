"""Application factory: builds the engine, the store and the routes once per process.

Run with ``uvicorn app.main:create_app --factory`` (``make run`` does it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from app import dburl, logs
from app.delivery import wiring
from app.http import docs, errors, health, metrics, openapi
from app.http.audit import RequestAudit, RequestLogWriter, Served
from app.http.auth import Authenticator
from app.http.deps import Runtime
from app.http.hardening import TrustedHosts
from app.http.limits import BodySizeLimit
from app.http.rate_limits import Limiter, RateLimits
from app.http.request_log import RequestLog
from app.http.responses import ScimResponse
from app.http.routers import discovery, events, resources, search
from app.lifecycle import Lifecycle
from app.scim import policy
from app.scim.cursor import cursor_key
from app.scim.query import QueryLimits
from app.scim.resources import BUILTIN, Registry
from app.scim.schema_config import SchemaConfigError, load
from app.settings import Settings
from app.storage.engine import create_engine
from app.storage.migrations import head
from app.storage.repository import SqlStore
from app.storage.webhooks import SqlWebhooks

DESCRIPTION = """SCIM 2.0 (RFC 7643/7644) provisioning API for Okta and Microsoft Entra ID.

Click **Authorize** and paste a bearer token made with `python -m app token create`."""


def query_limits(settings: Settings) -> QueryLimits:
    return QueryLimits(
        default_count=settings.default_page_size,
        max_count=settings.max_page_size,
        max_filter_length=settings.max_filter_length,
        max_filter_depth=settings.max_filter_depth,
        max_filter_terms=settings.max_filter_terms,
        cursor_secret=cursor_key(settings.cursor_secret),
        cursor_ttl_seconds=settings.cursor_ttl_seconds,
    )


def served_kinds(settings: Settings) -> Registry:
    """The resource types to serve; a bad ``SCIM_SCHEMAS`` stops the start with one line."""
    try:
        bundled = [name.strip() for name in settings.resource_types.split(",") if name.strip()]
        return load(settings.schemas, BUILTIN, bundled)
    except SchemaConfigError as exc:
        raise SystemExit(f"error: {exc}") from None


def _telemetry(enabled: bool) -> TelemetryConfig:
    """FastAPI's native OpenTelemetry, on only when asked: while on, it looks up the global
    tracer, meter and logger providers on every request (2.5 % of a filter lookup's CPU in
    the profile), which nobody needs without a configured provider."""
    if enabled:
        return {}
    return {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    kinds = served_kinds(settings)
    policy.accept_internal_email_domains()
    logs.configure(settings.log_level, settings.log_format)
    engine = create_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        pooler=settings.db_pooler == "transaction",
    )
    store = SqlStore(
        engine,
        pool_size=settings.db_pool_size,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        events=settings.events,
        pool_timeout=settings.db_pool_timeout_seconds,
        pooler=settings.db_pooler == "transaction",
    )
    measured = metrics.Metrics(store.pool_stats)
    readiness = health.Readiness(
        store,
        head(),
        checks_db=settings.readyz_checks_db,
        where=dburl.where(settings.database_url),
    )
    lifecycle = Lifecycle(settings, store, readiness, measured)
    hooks = SqlWebhooks(store, lease_seconds=settings.webhook_lease_seconds)

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[None]:
        async with lifecycle.lifespan(served):
            try:
                if settings.delivery == "server":
                    async with wiring.running(settings, hooks, store):
                        yield
                else:
                    yield
            finally:
                await served.state.request_log.close()
                await served.state.runtime.authenticator.close()

    app = FastAPI(
        title="SCIM 2.0 provisioning server",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        default_response_class=ScimResponse,
        docs_url=None,
        redoc_url=None,
        # A redirect has no SCIM body and IdPs do not follow it for writes: /Users/ is a 404.
        redirect_slashes=False,
        telemetry=_telemetry(settings.opentelemetry),
    )
    app.state.settings = settings
    app.state.store = store
    app.state.webhooks = hooks
    app.state.readiness = readiness
    app.state.metrics = measured
    app.state.runtime = Runtime(
        settings=settings,
        store=store,
        authenticator=Authenticator(store, settings.bootstrap_token, settings.default_tenant),
        limits=query_limits(settings),
        kinds=kinds,
    )

    # Routes are matched in order: the resource types' first, as identity providers
    # mostly read and write those.
    prefix = f"/t/{{tenant}}{settings.base_path}" if settings.tenant_in_path else settings.base_path
    for kind in kinds:
        resources.install(app, prefix, kind)
    for kind in kinds:
        search.install(app, f"{prefix}{kind.endpoint}/.search", [kind], kind.endpoint[1:].lower())
    search.install(app, f"{prefix}/.search", list(kinds), "all")
    discovery.install(app, prefix)
    events.install(app)
    docs.install(app)
    health.install(app, readiness)
    metrics.install(app, measured, settings.metrics_token)
    openapi.install_security(app, prefix)
    errors.install(app)
    app.add_middleware(
        RateLimits,
        limiter=Limiter(
            settings.rate_limit,
            settings.auth_failure_limit,
            settings.rate_limit_storage,
            settings.rate_limit_key_prefix,
        ),
        authenticator=app.state.runtime.authenticator,
        max_in_flight=settings.max_in_flight_per_tenant,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.request_log = RequestLogWriter(
        store, settings.request_log_days, prefix, Served.of(kinds)
    )
    app.add_middleware(RequestAudit, writer=app.state.request_log, prefix=prefix)
    if settings.trusted_hosts:
        app.add_middleware(TrustedHosts, hosts=settings.trusted_hosts)
    app.add_middleware(RequestLog, metrics=measured, kinds=kinds)  # outermost: sees every answer
    return app
