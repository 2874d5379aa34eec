"""The database tables. Alembic's migrations create them; ``tests`` prove the two agree."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Document = sa.JSON().with_variant(JSONB(), "postgresql")
"""JSONB on PostgreSQL (indexable, binary), JSON1 text on SQLite."""

Timestamp = sa.DateTime(timezone=True)


class ResourceRow(SQLModel, table=True):
    """One SCIM resource: its canonical document plus the columns hot paths need.

    ``document`` is what a read serves; ``search`` is the same document with every
    case-insensitive string folded and every dateTime normalised to UTC, so the filter
    compiler compares and sorts the same way on both databases.
    """

    __tablename__ = "resources"
    __table_args__ = (
        sa.Index(
            "uq_resources_tenant_resource_type_name_key",
            "tenant",
            "resource_type",
            "name_key",
            unique=True,
        ),
        # externalId alone: the list query pre-selects by it without the tenant, which
        # PostgreSQL without statistics would misjudge (``app.storage.listing``).
        sa.Index("ix_resources_external_id", "external_id"),
        sa.Index(
            "ix_resources_tenant_resource_type_created_id",
            "tenant",
            "resource_type",
            "created",
            "id",
        ),
        sa.Index(
            "ix_resources_search",
            "search",
            postgresql_using="gin",
            postgresql_ops={"search": "jsonb_path_ops"},
            # No pending list: unvacuumed, it is scanned linearly by every lookup and
            # makes the planner prefer a sequential scan.
            postgresql_with={"fastupdate": "off"},
        ).ddl_if(dialect="postgresql"),
    )

    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    tenant: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    resource_type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    name_key: str = Field(
        sa_column=sa.Column(sa.String(512), nullable=False),
        description="Folded userName (Users) or displayName (Groups): the uniqueness key.",
    )
    external_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(512)))
    active: bool | None = Field(default=None, sa_column=sa.Column(sa.Boolean()))
    display_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(512)))
    version: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    created: datetime = Field(sa_column=sa.Column(Timestamp, nullable=False))
    last_modified: datetime = Field(sa_column=sa.Column(Timestamp, nullable=False))
    document: dict[str, Any] = Field(sa_column=sa.Column(Document, nullable=False))
    search: dict[str, Any] = Field(sa_column=sa.Column(Document, nullable=False))


class TokenRow(SQLModel, table=True):
    """A bearer token, kept only as its SHA-256 digest.

    ``scopes`` is a space-separated list (as in OAuth 2.0). After ``token rotate`` the
    replaced digest stays in ``previous_digest`` until ``previous_expires`` (the grace).
    """

    __tablename__ = "tokens"

    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    name: str = Field(sa_column=sa.Column(sa.String(128), nullable=False, unique=True))
    digest: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    tenant: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created: datetime = Field(sa_column=sa.Column(Timestamp, nullable=False))
    scopes: str = Field(sa_column=sa.Column(sa.String(256), nullable=False, server_default="scim"))
    expires: datetime | None = Field(default=None, sa_column=sa.Column(Timestamp))
    last_used: datetime | None = Field(default=None, sa_column=sa.Column(Timestamp))
    previous_digest: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(64), unique=True)
    )
    previous_expires: datetime | None = Field(default=None, sa_column=sa.Column(Timestamp))


class MembershipRow(SQLModel, table=True):
    """One direct member of one group: adding or removing a member touches one row.

    Deleting either side deletes the row (ON DELETE CASCADE), so a deleted user leaves
    its groups and a deleted group leaves the groups it was nested in.
    """

    __tablename__ = "memberships"
    __table_args__ = (sa.Index("ix_memberships_member_id", "member_id"),)

    group_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
        )
    )
    member_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
        )
    )
    member_type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    display: str | None = Field(
        default=None,
        sa_column=sa.Column(sa.String(512)),
        description="The display the client sent with the member (immutable, RFC 7643 §4.2).",
    )


class ResourceCountRow(SQLModel, table=True):
    """How many resources of a type a tenant has, and how many it ever deleted.

    Kept by database triggers on ``resources`` (migration ``hot_paths``), so an unfiltered
    list's ``totalResults`` is a sum over a few rows instead of a count over the tenant.
    On PostgreSQL each backend adds to its own shard row, so concurrent creates do not
    queue on one row lock; ``deleted`` only grows, and tells cached page positions
    (``app.storage.positions``) whether rows before them may have gone.
    """

    __tablename__ = "resource_counts"

    tenant: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    resource_type: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    shard: int = Field(sa_column=sa.Column(sa.SmallInteger(), primary_key=True))
    live: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    deleted: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))


class UniqueValueRow(SQLModel, table=True):
    """One value a configured attribute declares unique (``uniqueness`` server or global,
    RFC 7643 §2.2) held by one resource: the primary key refuses a second holder in the
    tenant, so a duplicate is decided by the database, not by a lookup.

    ``value`` is folded unless the attribute is caseExact. Rows go with their resource
    (ON DELETE CASCADE); a write replaces its resource's rows in its own transaction.
    """

    __tablename__ = "unique_values"
    __table_args__ = (sa.Index("ix_unique_values_resource_id", "resource_id"),)

    tenant: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    resource_type: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    attribute: str = Field(sa_column=sa.Column(sa.String(256), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.String(512), primary_key=True))
    resource_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(), sa.ForeignKey("resources.id", ondelete="CASCADE"), nullable=False
        )
    )


class RequestLogRow(SQLModel, table=True):
    """One SCIM request that wrote or tried to write, or that was answered 4xx/5xx.

    Written after the response, outside the request's transaction (``app.http.audit``);
    ``body`` is the request body after structural redaction (``app.scim.redaction``), cut
    at 64 KiB with ``body_truncated`` set. Pruned after ``SCIM_REQUEST_LOG_DAYS``.
    """

    __tablename__ = "request_log"
    __table_args__ = (
        sa.Index("ix_request_log_time", "time"),
        sa.Index("ix_request_log_request_id", "request_id"),
        sa.Index("ix_request_log_resource_id", "resource_id"),
    )

    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    request_id: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    time: datetime = Field(sa_column=sa.Column(Timestamp, nullable=False))
    tenant: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    token_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    client: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    method: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    route: str = Field(sa_column=sa.Column(sa.String(512), nullable=False))
    resource_type: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    resource_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    status: int = Field(sa_column=sa.Column(sa.SmallInteger(), nullable=False))
    scim_type: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    detail: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))
    tolerances: str | None = Field(default=None, sa_column=sa.Column(sa.String(512)))
    duration_ms: float = Field(sa_column=sa.Column(sa.Float(), nullable=False))
    body: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))
    body_truncated: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))
    no_change: bool = Field(sa_column=sa.Column(sa.Boolean(), nullable=False))


class EventRow(SQLModel, table=True):
    """One change event (the transactional outbox): written in the change's transaction.

    ``sequence`` counts per tenant without gaps, in commit order (``app.storage.events``);
    ``payload`` holds the rest of the event object (resource, changed, previous, members,
    request_id, token, client).
    """

    __tablename__ = "events"
    __table_args__ = (sa.Index("ix_events_time", "time"),)

    tenant: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    sequence: int = Field(sa_column=sa.Column(sa.BigInteger(), primary_key=True))
    type: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    time: datetime = Field(sa_column=sa.Column(Timestamp, nullable=False))
    resource_type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    resource_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    payload: dict[str, Any] = Field(sa_column=sa.Column(Document, nullable=False))


class EventSequenceRow(SQLModel, table=True):
    """A tenant's last event sequence; the write that takes it holds its row lock to commit."""

    __tablename__ = "event_sequences"

    tenant: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    last: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))


class WebhookEndpointRow(SQLModel, table=True):
    """A receiver of a tenant's events, and where its delivery stands.

    ``position`` is the last sequence it acknowledged (or skipped, not matching
    ``event_types``); ``attempts``/``next_attempt``/``failing_since`` describe the retries
    of the event after it; ``lease_owner``/``lease_until`` say which process delivers to it
    (``app.storage.webhooks``). During a rotation ``previous_secret`` signs too, until
    ``previous_until``.
    """

    __tablename__ = "webhook_endpoints"

    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    tenant: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    url: str = Field(sa_column=sa.Column(sa.String(2048), nullable=False))
    event_types: list[str] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    secret: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    previous_secret: str | None = Field(default=None, sa_column=sa.Column(sa.String(128)))
    previous_until: datetime | None = Field(default=None, sa_column=sa.Column(Timestamp))
    state: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    position: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    attempts: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))
    next_attempt: datetime | None = Field(default=None, sa_column=sa.Column(Timestamp))
    failing_since: datetime | None = Field(default=None, sa_column=sa.Column(Timestamp))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.String(512)))
    lease_owner: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    lease_until: datetime | None = Field(default=None, sa_column=sa.Column(Timestamp))
    created: datetime = Field(sa_column=sa.Column(Timestamp, nullable=False))


class WebhookAttemptRow(SQLModel, table=True):
    """One delivery attempt: which event, when, what came back."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        sa.Index("ix_webhook_attempts_endpoint_id_sequence", "endpoint_id", "sequence"),
    )

    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    endpoint_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid(),
            sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    sequence: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    attempted: datetime = Field(sa_column=sa.Column(Timestamp, nullable=False))
    outcome: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    status: int | None = Field(default=None, sa_column=sa.Column(sa.Integer()))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.String(512)))
    duration_ms: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False))


class ServiceSecretRow(SQLModel, table=True):
    """Secrets every process and replica of the service shares, made by a migration
    (``cursor``: the HMAC key of RFC 9865 cursors, unless SCIM_CURSOR_SECRET is set)."""

    __tablename__ = "service_secrets"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
