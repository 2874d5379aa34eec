"""service secrets: the cursor key every worker and replica shares

Revision ID: 7c2e9a4b5d10
Revises: a7e2c4d91b36
Create Date: 2026-12-01 12:00:00.000000

``service_secrets`` holds the HMAC key of RFC 9865 cursors, made here at random, so a
cursor issued by one process pages on every other with no setting
(``SCIM_CURSOR_SECRET`` still overrides it).
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c2e9a4b5d10"
down_revision: str | None = "a7e2c4d91b36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_secrets")),
    )
    op.bulk_insert(table, [{"name": "cursor", "value": secrets.token_urlsafe(48)}])


def downgrade() -> None:
    op.drop_table("service_secrets")
