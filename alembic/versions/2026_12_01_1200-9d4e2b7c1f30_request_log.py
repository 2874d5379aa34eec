"""request log: what the identity provider sent and what was answered

Revision ID: 9d4e2b7c1f30
Revises: 5b1f0c3d2a71
Create Date: 2026-12-01 12:00:00.000000

``request_log`` holds one row per SCIM write or 4xx/5xx answer, the body redacted
(``app.http.audit``); the server prunes it after ``SCIM_REQUEST_LOG_DAYS``. It revises
the hot-paths revision beside ``7a3c9e1d4b20`` (token scopes); the lead chains them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4e2b7c1f30"
down_revision: str | None = "7a3c9e1d4b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=True),
        sa.Column("token_name", sa.String(length=128), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("route", sa.String(length=512), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=True),
        sa.Column("resource_id", sa.String(length=128), nullable=True),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("scim_type", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("tolerances", sa.String(length=512), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("body_truncated", sa.Boolean(), nullable=False),
        sa.Column("no_change", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_log")),
    )
    op.create_index("ix_request_log_time", "request_log", ["time"])
    op.create_index("ix_request_log_request_id", "request_log", ["request_id"])
    op.create_index("ix_request_log_resource_id", "request_log", ["resource_id"])


def downgrade() -> None:
    op.drop_index("ix_request_log_resource_id", table_name="request_log")
    op.drop_index("ix_request_log_request_id", table_name="request_log")
    op.drop_index("ix_request_log_time", table_name="request_log")
    op.drop_table("request_log")
