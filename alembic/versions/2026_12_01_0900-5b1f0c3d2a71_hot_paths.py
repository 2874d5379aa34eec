"""hot paths: externalId index alone, GIN without pending list, resource counts

Revision ID: 5b1f0c3d2a71
Revises: e3a2b36e377f
Create Date: 2026-12-01 09:00:00.000000

- ``ix_resources_external_id`` on ``external_id`` alone replaces the (tenant, type,
  external_id) index: the list query pre-selects candidates by the term alone
  (``app.storage.listing``), so no (tenant, ...) index competes for the plan.
- ``ix_resources_search`` loses its GIN pending list (``fastupdate = off``).
- ``resource_counts`` holds per-tenant, per-type counts kept by triggers, for
  ``totalResults`` of unfiltered lists; it is filled from the rows already there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1f0c3d2a71"
down_revision: str | None = "e3a2b36e377f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARDS = 16

POSTGRES_FUNCTION = f"""
CREATE FUNCTION resources_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO resource_counts AS c (tenant, resource_type, shard, live, deleted)
        SELECT tenant, resource_type, pg_backend_pid() % {SHARDS}, count(*), 0
        FROM changed GROUP BY tenant, resource_type
        ON CONFLICT (tenant, resource_type, shard) DO UPDATE SET live = c.live + EXCLUDED.live;
    ELSE
        INSERT INTO resource_counts AS c (tenant, resource_type, shard, live, deleted)
        SELECT tenant, resource_type, pg_backend_pid() % {SHARDS}, -count(*), count(*)
        FROM changed GROUP BY tenant, resource_type
        ON CONFLICT (tenant, resource_type, shard)
        DO UPDATE SET live = c.live + EXCLUDED.live, deleted = c.deleted + EXCLUDED.deleted;
    END IF;
    RETURN NULL;
END
$$
"""

POSTGRES_TRIGGERS = (
    "CREATE TRIGGER resources_counted_insert AFTER INSERT ON resources "
    "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION resources_count()",
    "CREATE TRIGGER resources_counted_delete AFTER DELETE ON resources "
    "REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION resources_count()",
)

SQLITE_TRIGGERS = (
    """CREATE TRIGGER resources_counted_insert AFTER INSERT ON resources BEGIN
        INSERT INTO resource_counts (tenant, resource_type, shard, live, deleted)
        VALUES (NEW.tenant, NEW.resource_type, 0, 1, 0)
        ON CONFLICT (tenant, resource_type, shard) DO UPDATE SET live = live + 1;
    END""",
    """CREATE TRIGGER resources_counted_delete AFTER DELETE ON resources BEGIN
        INSERT INTO resource_counts (tenant, resource_type, shard, live, deleted)
        VALUES (OLD.tenant, OLD.resource_type, 0, -1, 1)
        ON CONFLICT (tenant, resource_type, shard)
        DO UPDATE SET live = live - 1, deleted = deleted + 1;
    END""",
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index("ix_resources_tenant_resource_type_external_id")
        batch_op.create_index("ix_resources_external_id", ["external_id"], unique=False)
    if postgresql:
        op.execute("ALTER INDEX ix_resources_search SET (fastupdate = off)")
        op.execute("SELECT gin_clean_pending_list('ix_resources_search')")
    op.create_table(
        "resource_counts",
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("live", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant", "resource_type", "shard", name=op.f("pk_resource_counts")
        ),
    )
    op.execute(
        "INSERT INTO resource_counts (tenant, resource_type, shard, live, deleted) "
        "SELECT tenant, resource_type, 0, count(*), 0 FROM resources GROUP BY tenant, resource_type"
    )
    if postgresql:
        op.execute(POSTGRES_FUNCTION)
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(
        "DROP TRIGGER IF EXISTS resources_counted_insert" + (" ON resources" if postgresql else "")
    )
    op.execute(
        "DROP TRIGGER IF EXISTS resources_counted_delete" + (" ON resources" if postgresql else "")
    )
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS resources_count()")
        op.execute("ALTER INDEX ix_resources_search SET (fastupdate = on)")
    op.drop_table("resource_counts")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index("ix_resources_external_id")
        batch_op.create_index(
            "ix_resources_tenant_resource_type_external_id",
            ["tenant", "resource_type", "external_id"],
            unique=False,
        )
