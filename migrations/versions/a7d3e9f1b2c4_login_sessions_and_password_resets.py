"""Login sessions and password resets replace the list of revoked access tokens; users get
date_created.

Every access token now names its login session, and logging out ends the session, so the
revoked-token list has no use left. Access tokens issued before this revision carry no session and
are refused (they live TOKEN_LIFETIME_SECONDS, 5 minutes by default): their users log in again.
Existing users' date_created is the time of this upgrade, the earliest this database can tell.

Revision ID: a7d3e9f1b2c4
Revises: f1a2b3c4d5e6
Create Date: 2026-11-25 21:20:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "a7d3e9f1b2c4"
down_revision = "f1a2b3c4d5e6"
branch_labels = None
depends_on = None


def upgrade():
    """Create login_sessions and password_reset_tokens, add users.date_created, drop
    revoked_tokens."""
    # SQLite cannot add a column whose default is the current time: it gets this instant instead.
    if op.get_bind().dialect.name == "sqlite":
        default = sa.text(f"'{datetime.now(UTC):%Y-%m-%d %H:%M:%S.%f}'")
    else:
        default = sa.func.now()
    # Not in batch mode: SQLite would rebuild `users`, which its triggers on bucketlists forbid.
    op.add_column("users", sa.Column("date_created", sa.DateTime(timezone=True),
                                     server_default=default, nullable=False))
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_login_sessions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_sessions_ended_at"), ["ended_at"],
                              unique=False)
    op.create_table(
        "password_reset_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_password_reset_tokens_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_password_reset_tokens")),
        sa.UniqueConstraint("user_id", name=op.f("uq_password_reset_tokens_user_id")),
    )
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_reset_tokens_expires_at"), ["expires_at"],
                              unique=False)
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_tokens_expires_at"))
    op.drop_table("revoked_tokens")


def downgrade():
    """Bring back the (empty) revoked_tokens; drop the sessions, the resets and date_created.

    Access tokens issued after the upgrade are accepted again until they expire, logged out or not.
    """
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_revoked_tokens")),
    )
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_revoked_tokens_expires_at"), ["expires_at"],
                              unique=False)
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_tokens_expires_at"))
    op.drop_table("password_reset_tokens")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_ended_at"))
        batch_op.drop_index(batch_op.f("ix_login_sessions_user_id"))
    op.drop_table("login_sessions")
    op.drop_column("users", "date_created")
