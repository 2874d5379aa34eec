"""unique values of configured attributes

Revision ID: a7c4e9d1f3b2
Revises: 5b1f0c3d2a71
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c4e9d1f3b2"
down_revision: str | None = "5b1f0c3d2a71"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unique_values",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("attribute", sa.String(length=256), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_unique_values_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant", "resource_type", "attribute", "value", name=op.f("pk_unique_values")
        ),
    )
    op.create_index("ix_unique_values_resource_id", "unique_values", ["resource_id"])


def downgrade() -> None:
    op.drop_index("ix_unique_values_resource_id", table_name="unique_values")
    op.drop_table("unique_values")
