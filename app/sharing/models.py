"""The tables of sharing. A bucketlist's owner is its `created_by`; the others who may reach it are
its members, each an editor or a viewer. Invitations and public links keep only the SHA-256 of
their tokens, as the sign-in tables do."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.models import token_digest
from app.database import db
from app.models import NEVER_REUSE_IDS
from app.timestamps import utcnow

OWNER, EDITOR, VIEWER = "owner", "editor", "viewer"
MEMBER_ROLES = (EDITOR, VIEWER)
ROLES = (OWNER, *MEMBER_ROLES)
ROLE_CHECK = "role IN ('editor', 'viewer')"

__all__ = ["EDITOR", "MEMBER_ROLES", "OWNER", "ROLES", "VIEWER", "Invitation", "Membership",
           "PublicLink", "token_digest"]


class Membership(db.Model):
    """A user's role in a bucketlist they do not own. The database refuses a membership of the
    bucketlist's owner (a trigger; see the migration)."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role"),
        # The shared bucketlists of a user, by role: the list's second half and its filter.
        Index("ix_memberships_user_id_role", "user_id", "role", "bucketlist_id"),
    )

    bucketlist_id: Mapped[int] = mapped_column(
        ForeignKey("bucketlists.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    date_added: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<Membership {self.user_id} {self.role} of {self.bucketlist_id}>"


class Invitation(db.Model):
    """An invitation by e-mail to a bucketlist, pending until accepted (then deleted), withdrawn
    or past `expires_at`. One per bucketlist and address: inviting again replaces it."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role"),
        UniqueConstraint("bucketlist_id", "email", name="uq_invitations_bucketlist_id_email"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bucketlist_id: Mapped[int] = mapped_column(ForeignKey("bucketlists.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                            index=True)
    date_created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    def __repr__(self) -> str:
        return f"<Invitation {self.id} {self.role} to {self.bucketlist_id}>"


class PublicLink(db.Model):
    """A bucketlist's read-only link: whoever has its token may read the bucketlist."""

    __tablename__ = "public_links"

    bucketlist_id: Mapped[int] = mapped_column(
        ForeignKey("bucketlists.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    date_created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<PublicLink of {self.bucketlist_id}>"
