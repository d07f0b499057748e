"""Sharing: members with roles, invitations by e-mail, read-only public links.

Three new tables, so nothing that serves traffic waits on a lock (squawk checks it). The owner of
a bucketlist is its `created_by` and never one of its members: a trigger refuses such a row,
whoever writes it.

Revision ID: e7c9a1b3d5f7
Revises: d4e6f8a0b2c1
Create Date: 2026-12-01 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e7c9a1b3d5f7"
down_revision = "d4e6f8a0b2c1"
branch_labels = None
depends_on = None

ROLE_CHECK = "role IN ('editor', 'viewer')"
POSTGRESQL_UP = [
    """
    CREATE FUNCTION memberships_not_owner() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM bucketlists
                   WHERE id = NEW.bucketlist_id AND created_by = NEW.user_id) THEN
            RAISE EXCEPTION 'the owner of bucketlist % is not one of its members',
                NEW.bucketlist_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER memberships_not_owner BEFORE INSERT OR UPDATE ON memberships "
    "FOR EACH ROW EXECUTE FUNCTION memberships_not_owner()",
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER memberships_not_owner ON memberships",
    "DROP FUNCTION memberships_not_owner()",
]
SQLITE_UP = [
    f"CREATE TRIGGER memberships_not_owner_{event.lower()} BEFORE {event} ON memberships "
    "WHEN EXISTS (SELECT 1 FROM bucketlists "
    "WHERE id = NEW.bucketlist_id AND created_by = NEW.user_id) "
    "BEGIN SELECT RAISE(ABORT, 'the owner of a bucketlist is not one of its members'); END"
    for event in ("INSERT", "UPDATE")
]
SQLITE_DOWN = ["DROP TRIGGER memberships_not_owner_insert",
               "DROP TRIGGER memberships_not_owner_update"]


def _postgresql() -> bool:
    return op.get_context().dialect.name == "postgresql"


def upgrade():
    """Create memberships, invitations and public_links, and the owner trigger."""
    op.create_table(
        "memberships",
        sa.Column("bucketlist_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("date_added", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(ROLE_CHECK, name=op.f("ck_memberships_role")),
        sa.ForeignKeyConstraint(["bucketlist_id"], ["bucketlists.id"],
                                name=op.f("fk_memberships_bucketlist_id_bucketlists"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_memberships_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bucketlist_id", "user_id", name=op.f("pk_memberships")),
    )
    op.create_index("ix_memberships_user_id_role", "memberships",
                    ["user_id", "role", "bucketlist_id"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucketlist_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(ROLE_CHECK, name=op.f("ck_invitations_role")),
        sa.ForeignKeyConstraint(["bucketlist_id"], ["bucketlists.id"],
                                name=op.f("fk_invitations_bucketlist_id_bucketlists"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by"], ["users.id"],
                                name=op.f("fk_invitations_invited_by_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("bucketlist_id", "email", name="uq_invitations_bucketlist_id_email"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_invitations_invited_by"), "invitations", ["invited_by"])
    op.create_index(op.f("ix_invitations_expires_at"), "invitations", ["expires_at"])
    op.create_table(
        "public_links",
        sa.Column("bucketlist_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("date_created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bucketlist_id"], ["bucketlists.id"],
                                name=op.f("fk_public_links_bucketlist_id_bucketlists"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bucketlist_id", name=op.f("pk_public_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_public_links_token_hash")),
    )
    for statement in POSTGRESQL_UP if _postgresql() else SQLITE_UP:
        op.execute(statement)


def downgrade():
    """Drop the trigger and the three tables."""
    for statement in POSTGRESQL_DOWN if _postgresql() else SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("public_links")
    op.drop_index(op.f("ix_invitations_expires_at"), table_name="invitations")
    op.drop_index(op.f("ix_invitations_invited_by"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("ix_memberships_user_id_role", table_name="memberships")
    op.drop_table("memberships")
