"""The database models: a User owns many Bucketlists."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import bcrypt, db
from app.timestamps import utcnow

# The largest id an INTEGER primary key can hold; a larger one in a URL or token names nothing.
MAX_ID = 2**31 - 1
BCRYPT_MAX_BYTES = 72


def password_fits_bcrypt(password: str) -> bool:
    """bcrypt reads at most 72 bytes, and bcrypt 5 raises rather than silently truncate."""
    return len(password.encode("utf-8")) <= BCRYPT_MAX_BYTES


class User(db.Model):
    """A registered user, identified by an e-mail address stored in lower case."""

    __tablename__ = "users"
    # E-mails are stored in lower case, so the unique constraint ignores case; the database holds
    # every writer to that, not only this app.
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(256), unique=True)
    # The column keeps the tutorial's name; what it holds is the bcrypt hash, never the password.
    password_hash: Mapped[str] = mapped_column("password", String(256))
    bucketlists: Mapped[list["Bucketlist"]] = relationship(
        back_populates="owner",
        order_by="Bucketlist.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __init__(self, email: str, password: str) -> None:
        """Create a user with the e-mail as given and the password hashed."""
        self.email = email
        self.password_hash = bcrypt.generate_password_hash(password).decode("utf-8")

    def password_is_valid(self, password: str) -> bool:
        """Check a password against the stored hash."""
        if not password_fits_bcrypt(password):
            return False
        return bcrypt.check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Bucketlist(db.Model):
    """A named list of goals, owned by the user who created it."""

    __tablename__ = "bucketlists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    date_created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    date_modified: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    created_by: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    owner: Mapped[User] = relationship(back_populates="bucketlists")

    def __init__(self, **fields) -> None:
        """A new bucketlist's creation and modification times are the same instant."""
        now = utcnow()
        fields.setdefault("date_created", now)
        fields.setdefault("date_modified", fields["date_created"])
        super().__init__(**fields)

    def rename(self, name: str) -> None:
        """Give the bucketlist a new name; date_modified moves even when the name is the same."""
        self.name = name
        self.date_modified = utcnow()

    def __repr__(self) -> str:
        return f"<Bucketlist {self.id} {self.name!r}>"
