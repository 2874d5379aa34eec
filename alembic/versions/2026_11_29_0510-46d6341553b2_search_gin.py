"""search GIN index (PostgreSQL)

Revision ID: 46d6341553b2
Revises: e1b5e2a05b70
Create Date: 2026-11-29 05:10:00.000000

A GIN index with ``jsonb_path_ops`` on ``resources.search`` serves the containment queries
(``search @> '{"emails": [{"value": "x"}]}'``) that the filter compiler emits for every
``eq`` on a JSON attribute (``app/storage/json_sql.py``): ``emails.value eq`` and Entra's
``emails[type eq "work"].value eq`` hit it. ``jsonb_path_ops`` indexes only ``@>``, which is
all the compiler uses, and is smaller and faster than the default operator class. SQLite has
no such index: its hot paths are the indexed columns.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "46d6341553b2"
down_revision: str | None = "e1b5e2a05b70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_resources_search",
            "resources",
            ["search"],
            postgresql_using="gin",
            postgresql_ops={"search": "jsonb_path_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_resources_search", table_name="resources")
