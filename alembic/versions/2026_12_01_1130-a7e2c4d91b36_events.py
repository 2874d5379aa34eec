"""events: the change-event outbox and its per-tenant counter

Revision ID: a7e2c4d91b36
Revises: 5b1f0c3d2a71
Create Date: 2026-12-01 11:30:00.000000

- ``events`` holds every change event, keyed by (tenant, sequence); ``ix_events_time``
  serves retention pruning.
- ``event_sequences`` is each tenant's counter (``app.storage.events``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a7e2c4d91b36"
down_revision: str | None = "5b1f0c3d2a71"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", DOCUMENT, nullable=False),
        sa.PrimaryKeyConstraint("tenant", "sequence", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_time", ["time"], unique=False)
    op.create_table(
        "event_sequences",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", name=op.f("pk_event_sequences")),
    )


def downgrade() -> None:
    op.drop_table("event_sequences")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_time")
    op.drop_table("events")
