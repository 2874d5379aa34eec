"""token scopes, expiry, last use and rotation grace

Revision ID: 7a3c9e1d4b20
Revises: a7c4e9d1f3b2
Create Date: 2026-12-01 11:30:00.000000

- ``scopes``: space-separated; existing tokens keep the SCIM API (``scim``).
- ``expires``: when the token stops working (NULL: never).
- ``last_used``: written at most once a minute per token.
- ``previous_digest`` / ``previous_expires``: the digest ``token rotate`` replaced, valid
  until the grace ends.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3c9e1d4b20"
down_revision: str | None = "a7c4e9d1f3b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scopes", sa.String(length=256), server_default="scim", nullable=False)
        )
        batch_op.add_column(sa.Column("expires", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("previous_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("previous_expires", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_tokens_previous_digest"), ["previous_digest"]
        )


def downgrade() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tokens_previous_digest"), type_="unique")
        batch_op.drop_column("previous_expires")
        batch_op.drop_column("previous_digest")
        batch_op.drop_column("last_used")
        batch_op.drop_column("expires")
        batch_op.drop_column("scopes")
