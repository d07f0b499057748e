"""A per-user bucketlist counter, and trigram indexes for name search where pg_trgm exists.

The trigram (GIN, pg_trgm) indexes let `?q=` substring searches use an index instead of reading
every one of a user's rows. They are created only on PostgreSQL servers that offer pg_trgm (every
standard build does; the throwaway test server does not) and are not part of the models: env.py
leaves indexes whose names end in `_trgm` out of autogenerate.

Revision ID: c3a9d1e2f4b5
Revises: 82ccdea43111
Create Date: 2026-11-25 12:40:00

"""
import logging

import sqlalchemy as sa
from alembic import op

revision = "c3a9d1e2f4b5"
down_revision = "82ccdea43111"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
TRIGRAM_INDEXES = {"ix_bucketlists_name_trgm": "bucketlists", "ix_items_name_trgm": "items"}


def _trigram_available(bind) -> bool:
    if bind.dialect.name != "postgresql":
        return False
    query = sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    return bind.execute(query).first() is not None


def upgrade():
    """Add and fill users.bucketlists_count; add the trigram indexes when pg_trgm is offered."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("bucketlists_count", sa.Integer(), server_default=sa.text("0"),
                      nullable=False)
        )
    op.execute(
        "UPDATE users SET bucketlists_count = "
        "(SELECT count(*) FROM bucketlists WHERE bucketlists.created_by = users.id)"
    )
    bind = op.get_bind()
    if not _trigram_available(bind):
        log.info("pg_trgm is not available here: name search runs without trigram indexes")
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table in TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (name gin_trgm_ops)")


def downgrade():
    """Drop the trigram indexes (if any) and the counter; the extension stays."""
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("bucketlists_count")
