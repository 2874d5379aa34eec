"""Runtime configuration, read from the environment with the ``SCIM_`` prefix."""

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app import dburl


class Settings(BaseSettings):
    """Every knob an operator can turn; the README's table mirrors this class."""

    model_config = SettingsConfigDict(env_prefix="SCIM_", extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///./scim.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    base_path: str = Field(default="/scim/v2", description="Path prefix of the SCIM API.")
    public_base_url: str | None = Field(
        default=None,
        description="Absolute URL used in meta.location and $ref; default: from the request.",
    )
    default_page_size: int = Field(default=100, ge=1, description="count when none is given.")
    max_page_size: int = Field(default=1000, ge=1, description="Upper bound on count.")
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Request bodies above this get 413."
    )
    bootstrap_token: str | None = Field(
        default=None, description="A bearer token accepted besides those made by the CLI."
    )
    default_tenant: str = Field(default="default", description="Tenant of the bootstrap token.")
    max_filter_length: int = Field(default=4096, description="Longest filter accepted.")
    max_filter_depth: int = Field(default=16, description="Deepest filter nesting accepted.")
    max_filter_terms: int = Field(default=64, description="Most comparisons in one filter.")
    cursor_secret: str | None = Field(
        default=None,
        description="HMAC key signing RFC 9865 cursors; default: random per process.",
    )
    cursor_ttl_seconds: int = Field(default=3600, ge=1, description="Lifetime of a cursor.")
    max_patch_operations: int = Field(default=1000, description="Most operations in one PATCH.")
    max_patch_list_entries: int = Field(
        default=5000,
        ge=1,
        description="Most multi-valued entries one PATCH may walk (value filters, adds).",
    )
    group_patch_returns: Literal["no_content", "full"] = Field(
        default="no_content",
        description="Group PATCH answers 204 without a body unless attributes or "
        "excludedAttributes ask for one (no_content, what Entra recommends and Okta accepts); "
        "or always 200 with the entire group, members included (full, RFC 7644 §3.5.2).",
    )
    db_pool_size: int = Field(
        default=20, ge=1, description="PostgreSQL connections per process (the pool's size)."
    )
    db_statement_timeout_ms: int = Field(
        default=30_000, description="PostgreSQL statement timeout, in milliseconds."
    )
    log_level: str = Field(default="info", description="Logging level of the app.")
    ssl_certfile: str | None = Field(
        default=None, description="PEM certificate chain; with the key set, serve HTTPS."
    )
    ssl_keyfile: str | None = Field(default=None, description="PEM private key of ssl_certfile.")
    schemas: str | None = Field(
        default=None,
        description="A JSON file, or a directory of them, of Schema and ResourceType "
        "documents: custom extensions of User/Group and new resource types (README: Custom "
        "attributes).",
    )
    resource_types: str = Field(
        default="",
        description="Bundled optional resource types to serve, a comma list of Role, "
        "Entitlement, Agent, AgenticApplication (User and Group are always served).",
    )
    rate_limit: str = Field(
        default="200/4 seconds",
        description="Requests per tenant, in the limits notation (a burst of 200, 50 a "
        "second sustained); off: no limit.",
    )
    max_in_flight_per_tenant: int = Field(
        default=32, ge=0, description="Requests of one tenant at once, per worker; 0: no cap."
    )
    auth_failure_limit: str = Field(
        default="20/minute",
        description="Failed authentications per client address before 429; off: no limit.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where the buckets live: memory:// (per process) or redis://host:port/db "
        "(shared by workers and replicas; served unlimited while Redis is down).",
    )
    rate_limit_key_prefix: str = Field(
        default="scim", description="Prefix of the rate-limit keys in Redis."
    )

    request_log_days: int = Field(
        default=30, ge=1, description="Days the request log keeps a request (pruned hourly)."
    )

    trusted_hosts: str | None = Field(
        default=None,
        description="Comma-separated Host names served (*.example.com allowed); others "
        "get 400. Unset: any Host, and meta.location follows it unless public_base_url is set.",
    )
    tenant_in_path: bool = Field(
        default=False,
        description="Serve each tenant at /t/{tenant}{base_path}; its token must match it.",
    )

    @field_validator("rate_limit", "auth_failure_limit")
    @classmethod
    def _limit_notation(cls, value: str) -> str:
        from limits import parse

        if value.strip().lower() != "off":
            try:
                parse(value)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a rate like 50/second or 200/4 seconds (or off)"
                ) from None
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _storage_url(cls, value: str) -> str:
        if value != "memory://" and not value.startswith(("redis://", "rediss://")):
            raise ValueError(f"{value!r} is neither memory:// nor redis://host:port/db")
        return value

    events: bool = Field(
        default=True,
        description="Write change events with every change (off only to measure their cost).",
    )
    events_retention_days: int = Field(
        default=30, ge=1, description="Change events older than this are pruned."
    )
    delivery: Literal["server", "off"] = Field(
        default="server",
        description="Deliver webhooks inside the server process (server), or only from "
        "python -m app deliver workers (off).",
    )
    webhook_timeout_seconds: float = Field(
        default=15.0, gt=0, description="A webhook request that takes longer is retried."
    )
    webhook_backoff_first_seconds: float = Field(
        default=2.0, gt=0, description="The first retry's delay; it doubles, with jitter."
    )
    webhook_backoff_max_seconds: float = Field(
        default=3600.0, gt=0, description="The longest delay between two retries."
    )
    webhook_retry_window_seconds: float = Field(
        default=259_200.0, gt=0, description="How long one event is retried (3 days)."
    )
    webhook_lease_seconds: float = Field(
        default=60.0, gt=0, description="How long a worker holds an endpoint between writes."
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="A worker looks for due endpoints at least this often."
    )
    log_format: Literal["json", "console"] | None = Field(
        default=None,
        description="Log lines as JSON objects (json) or for people (console); default: json "
        "unless stdout is a terminal.",
    )
    metrics_token: str | None = Field(
        default=None, description="When set, GET /metrics wants it as a bearer token."
    )
    migrate_on_start: bool = Field(
        default=False,
        description="serve migrates the database first (once, under a lock) instead of "
        "refusing a schema that is not at the head.",
    )
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes of serve.")
    shutdown_grace_seconds: int = Field(
        default=10,
        ge=0,
        description="After SIGTERM, how long in-flight requests may take before they are "
        "cancelled.",
    )
    db_pool_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for a database connection (connect or pool); then 503.",
    )
    db_pooler: Literal["none", "transaction"] = Field(
        default="none",
        description="transaction: behind PgBouncer in transaction mode (asyncpg's statement "
        "cache off, no session settings at connect: set statement_timeout on the role).",
    )
    readyz_checks_db: bool = Field(
        default=True, description="GET /readyz checks the database (and its schema)."
    )
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's OpenTelemetry spans and metrics, for a process with a "
        "configured provider (off: FastAPI would look the providers up on every request).",
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return dburl.normalise(value)
