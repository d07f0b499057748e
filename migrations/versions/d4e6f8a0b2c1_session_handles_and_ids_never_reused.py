"""Sessions are named by a random handle; on SQLite, a deleted row's id is never given again.

Tokens named their login session by its sequential id, so anyone holding the signing secret (or a
weak one) could walk session ids to reach someone else's. Each session now has `handle`, 144
random bits, and tokens carry that. Sessions started before this revision are deleted: their
tokens name them by id, which no longer names anything, so their users log in again once.

SQLite gave a new row the id of the last row deleted (its ROWID without AUTOINCREMENT): a
deleted user's token then worked as the next user who registered, and a deleted bucketlist's id
named the next one. users, bucketlists, items and login_sessions are rebuilt with AUTOINCREMENT
on SQLite (PostgreSQL's sequences never go back; nothing changes there). The rebuild runs with
foreign keys off, so that dropping the old `users` cascades to nothing, and the triggers that keep
users.bucketlists_count are dropped and made again around it.

Revision ID: d4e6f8a0b2c1
Revises: b8e4f0a2c3d5
Create Date: 2026-12-01 00:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "d4e6f8a0b2c1"
down_revision = "b8e4f0a2c3d5"
branch_labels = None
depends_on = None

REBUILT_TABLES = ["users", "bucketlists", "items", "login_sessions"]
SQLITE_TRIGGERS = {
    "bucketlists_count_added":
        "CREATE TRIGGER bucketlists_count_added AFTER INSERT ON bucketlists BEGIN "
        "UPDATE users SET bucketlists_count = bucketlists_count + 1 WHERE id = NEW.created_by; "
        "END",
    "bucketlists_count_removed":
        "CREATE TRIGGER bucketlists_count_removed AFTER DELETE ON bucketlists BEGIN "
        "UPDATE users SET bucketlists_count = bucketlists_count - 1 WHERE id = OLD.created_by; "
        "END",
    "bucketlists_count_moved":
        "CREATE TRIGGER bucketlists_count_moved AFTER UPDATE OF created_by ON bucketlists "
        "WHEN OLD.created_by IS NOT NEW.created_by BEGIN "
        "UPDATE users SET bucketlists_count = bucketlists_count - 1 WHERE id = OLD.created_by; "
        "UPDATE users SET bucketlists_count = bucketlists_count + 1 WHERE id = NEW.created_by; "
        "END",
}


def _foreign_keys(on: bool) -> None:
    """Turn SQLite's foreign keys on or off; a PRAGMA that SQLite ignores inside a transaction,
    so the migrations run so far are committed first."""
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if op.get_bind().exec_driver_sql("PRAGMA foreign_keys").scalar() != on:
        raise RuntimeError("SQLite would not turn its foreign keys "
                           f"{'on' if on else 'off'}; the tables were not rebuilt.")


def _rebuild_sqlite_tables(autoincrement: bool) -> None:
    """Rebuild the tables with (or without) AUTOINCREMENT, keeping every row and id; foreign
    keys must be off."""
    bind = op.get_bind()
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in REBUILT_TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if problems:
        raise RuntimeError(f"Foreign keys broken by the rebuild: {problems[:5]}")


def _on_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    """Add login_sessions.handle (deleting today's sessions); on SQLite, AUTOINCREMENT ids."""
    if _on_sqlite():
        _foreign_keys(on=False)
    op.execute("DELETE FROM login_sessions")
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.add_column(sa.Column("handle", sa.String(length=24), nullable=False))
        batch_op.create_unique_constraint(batch_op.f("uq_login_sessions_handle"), ["handle"])
    if _on_sqlite():
        _rebuild_sqlite_tables(autoincrement=True)
        _foreign_keys(on=True)


def downgrade():
    """Drop login_sessions.handle (and every session, whose tokens name it); on SQLite, plain
    ROWID ids again."""
    if _on_sqlite():
        _foreign_keys(on=False)
    op.execute("DELETE FROM login_sessions")
    with op.batch_alter_table("login_sessions") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_login_sessions_handle"), type_="unique")
        batch_op.drop_column("handle")
    if _on_sqlite():
        _rebuild_sqlite_tables(autoincrement=False)
        _foreign_keys(on=True)
