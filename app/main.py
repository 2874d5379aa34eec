"""Application factory: builds the engine, the store and the routes once per process.

Run with ``uvicorn app.main:create_app --factory`` (``make run`` does it).
"""

from __future__ import annotations

from fastapi import FastAPI

from app import dburl, logs
from app.http import docs, errors, health, metrics, openapi
from app.http.auth import Authenticator
from app.http.deps import Runtime
from app.http.limits import BodySizeLimit
from app.http.request_log import RequestLog
from app.http.responses import ScimResponse
from app.http.routers import discovery, resources, search
from app.lifecycle import Lifecycle
from app.scim import policy
from app.scim.cursor import cursor_key
from app.scim.query import QueryLimits
from app.scim.resources import KINDS
from app.settings import Settings
from app.storage.engine import create_engine
from app.storage.migrations import head
from app.storage.repository import SqlStore

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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
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

    app = FastAPI(
        title="SCIM 2.0 provisioning server",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifecycle.lifespan,
        default_response_class=ScimResponse,
        docs_url=None,
        redoc_url=None,
        # A redirect has no SCIM body and IdPs do not follow it for writes: /Users/ is a 404.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.readiness = readiness
    app.state.metrics = measured
    app.state.runtime = Runtime(
        settings=settings,
        store=store,
        authenticator=Authenticator(store, settings.bootstrap_token, settings.default_tenant),
        limits=query_limits(settings),
    )

    # Routes are matched in order: the resource types' first, as identity providers
    # mostly read and write those.
    prefix = settings.base_path
    for kind in KINDS.values():
        resources.install(app, prefix, kind)
    for kind in KINDS.values():
        search.install(app, f"{prefix}{kind.endpoint}/.search", [kind], f"{kind.name.lower()}s")
    search.install(app, f"{prefix}/.search", list(KINDS.values()), "all")
    discovery.install(app, prefix)
    docs.install(app)
    health.install(app, readiness)
    metrics.install(app, measured, settings.metrics_token)
    openapi.install_security(app, settings.base_path)
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestLog, metrics=measured)  # outermost: sees every answer
    return app
