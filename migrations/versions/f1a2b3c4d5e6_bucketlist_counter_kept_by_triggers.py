"""users.bucketlists_count kept by the database, however bucketlists are written.

The counter used to be raised and lowered by the app's own code paths only, so a bulk INSERT, an
operator's DELETE or a second service left it wrong (100,000 bucketlists inserted with SQL, and the
list said X-Total-Count: 0). Triggers now keep it: on PostgreSQL statement-level ones with
transition tables (one UPDATE per statement, however many rows it wrote), on SQLite row-level ones;
a row-level one on both when a bucketlist changes owner. The counter is recounted once here.

Revision ID: f1a2b3c4d5e6
Revises: e5b7c2d4f6a8
Create Date: 2026-11-25 19:00:00

"""
from alembic import op

revision = "f1a2b3c4d5e6"
down_revision = "e5b7c2d4f6a8"
branch_labels = None
depends_on = None

RECOUNT = ("UPDATE users SET bucketlists_count = "
           "(SELECT count(*) FROM bucketlists WHERE bucketlists.created_by = users.id)")

POSTGRESQL_UP = [
    """
    CREATE FUNCTION bucketlists_count_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE users SET bucketlists_count = users.bucketlists_count + added.n
        FROM (SELECT created_by, count(*) AS n FROM new_rows GROUP BY created_by) AS added
        WHERE users.id = added.created_by;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION bucketlists_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE users SET bucketlists_count = users.bucketlists_count - removed.n
        FROM (SELECT created_by, count(*) AS n FROM old_rows GROUP BY created_by) AS removed
        WHERE users.id = removed.created_by;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION bucketlists_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE users SET bucketlists_count = bucketlists_count - 1 WHERE id = OLD.created_by;
        UPDATE users SET bucketlists_count = bucketlists_count + 1 WHERE id = NEW.created_by;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER bucketlists_count_added AFTER INSERT ON bucketlists "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION bucketlists_count_added()",
    "CREATE TRIGGER bucketlists_count_removed AFTER DELETE ON bucketlists "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION bucketlists_count_removed()",
    "CREATE TRIGGER bucketlists_count_moved AFTER UPDATE OF created_by ON bucketlists "
    "FOR EACH ROW WHEN (OLD.created_by IS DISTINCT FROM NEW.created_by) "
    "EXECUTE FUNCTION bucketlists_count_moved()",
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER bucketlists_count_moved ON bucketlists",
    "DROP TRIGGER bucketlists_count_removed ON bucketlists",
    "DROP TRIGGER bucketlists_count_added ON bucketlists",
    "DROP FUNCTION bucketlists_count_moved()",
    "DROP FUNCTION bucketlists_count_removed()",
    "DROP FUNCTION bucketlists_count_added()",
]
SQLITE_UP = [
    "CREATE TRIGGER bucketlists_count_added AFTER INSERT ON bucketlists BEGIN "
    "UPDATE users SET bucketlists_count = bucketlists_count + 1 WHERE id = NEW.created_by; END",
    "CREATE TRIGGER bucketlists_count_removed AFTER DELETE ON bucketlists BEGIN "
    "UPDATE users SET bucketlists_count = bucketlists_count - 1 WHERE id = OLD.created_by; END",
    "CREATE TRIGGER bucketlists_count_moved AFTER UPDATE OF created_by ON bucketlists "
    "WHEN OLD.created_by IS NOT NEW.created_by BEGIN "
    "UPDATE users SET bucketlists_count = bucketlists_count - 1 WHERE id = OLD.created_by; "
    "UPDATE users SET bucketlists_count = bucketlists_count + 1 WHERE id = NEW.created_by; END",
]
SQLITE_DOWN = [
    "DROP TRIGGER bucketlists_count_moved",
    "DROP TRIGGER bucketlists_count_removed",
    "DROP TRIGGER bucketlists_count_added",
]


def _statements(up: bool) -> list[str]:
    if op.get_bind().dialect.name == "postgresql":
        return POSTGRESQL_UP if up else POSTGRESQL_DOWN
    return SQLITE_UP if up else SQLITE_DOWN


def upgrade():
    for statement in _statements(up=True):
        op.execute(statement)
    op.execute(RECOUNT)


def downgrade():
    for statement in _statements(up=False):
        op.execute(statement)
