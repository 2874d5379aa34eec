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
    """A bearer token, kept only as its SHA-256 digest."""

    __tablename__ = "tokens"

    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), primary_key=True))
    name: str = Field(sa_column=sa.Column(sa.String(128), nullable=False, unique=True))
    digest: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    tenant: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created: datetime = Field(sa_column=sa.Column(Timestamp, nullable=False))


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


class ServiceSecretRow(SQLModel, table=True):
    """Secrets every process and replica of the service shares, made by a migration
    (``cursor``: the HMAC key of RFC 9865 cursors, unless SCIM_CURSOR_SECRET is set)."""

    __tablename__ = "service_secrets"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
