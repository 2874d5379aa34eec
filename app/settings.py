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
    group_patch_returns: Literal["resource", "full", "no_content"] = Field(
        default="resource",
        description="Group PATCH answers 200 with the group, members only when asked for "
        "with attributes (resource); 200 with every member (full, RFC 7644 §3.5.2 read "
        "literally); or 204 without a body (no_content).",
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

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return dburl.normalise(value)
