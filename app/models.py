"""The database models: a User owns many Bucketlists (sign-in's own tables: app/auth/models.py)."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from app.database import db
from app.errors import AccountDeletedError, LimitReachedError
from app.extensions import bcrypt
from app.timestamps import utcnow

# The largest id an INTEGER primary key can hold; a larger one in a URL or token names nothing.
MAX_ID = 2**31 - 1
BCRYPT_MAX_BYTES = 72
# A deleted row's id is never given to a new one, so a client (or a token) holding the old id
# cannot reach the new row. PostgreSQL's sequences never go back; SQLite needs AUTOINCREMENT.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def password_fits_bcrypt(password: str) -> bool:
    """bcrypt reads at most 72 bytes, and bcrypt 5 raises rather than silently truncate."""
    return len(password.encode("utf-8")) <= BCRYPT_MAX_BYTES


class User(db.Model):
    """A registered user, identified by an e-mail address stored in lower case."""

    __tablename__ = "users"
    # E-mails are stored in lower case, so the unique constraint ignores case; the database holds
    # every writer to that, not only this app.
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),
                      NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(256), unique=True)
    # The column keeps the tutorial's name; what it holds is the bcrypt hash, never the password.
    password_hash: Mapped[str] = mapped_column("password", String(256))
    date_created: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.now()
    )
    # How many bucketlists the user has, kept by the database's triggers on `bucketlists` (see
    # migrations), whoever writes them, so that a list's X-Total-Count costs nothing however long
    # the list is.
    bucketlists_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    bucketlists: Mapped[list["Bucketlist"]] = relationship(
        back_populates="owner",
        order_by="Bucketlist.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __init__(self, email: str, password: str) -> None:
        """Create a user with the e-mail as given and the password hashed."""
        self.email = email
        self.set_password(password)

    def set_password(self, password: str) -> None:
        """Keep the bcrypt hash of a new password."""
        self.password_hash = bcrypt.generate_password_hash(password).decode("utf-8")

    def password_is_valid(self, password: str) -> bool:
        """Check a password against the stored hash."""
        if not password_fits_bcrypt(password):
            return False
        return bcrypt.check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Timestamped:
    """`date_created` and `date_modified`, timezone-aware UTC; a new row's two are one instant."""

    date_created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    date_modified: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    def __init__(self, **fields) -> None:
        fields.setdefault("date_created", utcnow())
        fields.setdefault("date_modified", fields["date_created"])
        super().__init__(**fields)


class Bucketlist(Timestamped, db.Model):
    """A named list of goals, owned by the user who created it."""

    __tablename__ = "bucketlists"
    # One index per way a user's list is read: by id (and for the foreign key), and sorted by name
    # or by either date; the id at the end keeps each order total for paging.
    __table_args__ = (
        Index("ix_bucketlists_created_by_id", "created_by", "id"),
        Index("ix_bucketlists_created_by_name", "created_by", "name", "id"),
        Index("ix_bucketlists_created_by_date_created", "created_by", "date_created", "id"),
        Index("ix_bucketlists_created_by_date_modified", "created_by", "date_modified", "id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    owner: Mapped[User] = relationship(back_populates="bucketlists")
    items: Mapped[list["Item"]] = relationship(
        back_populates="bucketlist", order_by="Item.id", cascade="all, delete-orphan",
        passive_deletes=True,
    )
    # The caller's role in it (app/bucketlists/access.py): owner unless a query says otherwise.
    role = "owner"
    # Filled by the query that loads the bucketlist (see app/bucketlists/queries.py).
    items_count: Mapped[int | None] = query_expression()
    done_count: Mapped[int | None] = query_expression()

    @classmethod
    def add_for(cls, owner_id: int, name: str, limit: int) -> "Bucketlist":
        """A new bucketlist of the user `owner_id`, added to the session; LimitReachedError if they
        have `limit` already.

        The user's row stays locked (FOR UPDATE) until the transaction ends, so racing creates
        are counted one after the other; the database's trigger raises the count on INSERT.
        AccountDeletedError if the user was deleted since the request was authenticated.
        """
        held = db.session.scalar(
            db.select(User.bucketlists_count).where(User.id == owner_id).with_for_update()
        )
        if held is None:
            raise AccountDeletedError()
        if held >= limit:
            raise LimitReachedError(
                f"You may have at most {limit} bucketlists; delete one before creating another."
            )
        bucketlist = cls(name=name, created_by=owner_id)
        db.session.add(bucketlist)
        db.session.flush()  # its id, for the answer and its Location
        return bucketlist

    def remove(self) -> None:
        """Delete this bucketlist; its items go with it and its owner's count falls, in the
        database (ON DELETE CASCADE and a trigger)."""
        db.session.execute(db.delete(Bucketlist).where(Bucketlist.id == self.id))

    def add_item(self, name: str, done: bool, limit: int) -> "Item":
        """A new goal in this bucketlist, added to the session; LimitReachedError at `limit`.

        The caller must hold this bucketlist's row locked (FOR UPDATE), so that racing adds are
        counted one after the other.
        """
        held = db.session.scalar(
            db.select(func.count()).select_from(Item).where(Item.bucketlist_id == self.id)
        )
        if held >= limit:
            raise LimitReachedError(
                f"A bucketlist may hold at most {limit} goals; delete one before adding another."
            )
        item = Item(name=name, done=done, bucketlist_id=self.id)
        db.session.add(item)
        db.session.flush()  # its id, for the answer and its Location
        return item

    def rename(self, name: str) -> None:
        """Give the bucketlist a new name; date_modified moves even when the name is the same."""
        self.name = name
        self.date_modified = utcnow()

    def __repr__(self) -> str:
        return f"<Bucketlist {self.id} {self.name!r}>"


class Item(Timestamped, db.Model):
    """A goal in a bucketlist; `date_done` says when it was last marked done."""

    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_bucketlist_id_id", "bucketlist_id", "id"),
        Index("ix_items_bucketlist_id_name", "bucketlist_id", "name", "id"),
        Index("ix_items_bucketlist_id_done", "bucketlist_id", "done", "id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    date_done: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bucketlist_id: Mapped[int] = mapped_column(ForeignKey("bucketlists.id", ondelete="CASCADE"))
    bucketlist: Mapped[Bucketlist] = relationship(back_populates="items")

    def __init__(self, **fields) -> None:
        """A new item; `date_done` is set if it is created done."""
        fields.setdefault("done", False)
        super().__init__(**fields)
        if self.done:
            self.date_done = self.date_created

    def update(self, name: str | None = None, done: bool | None = None) -> None:
        """Change what is given; `date_done` is set when the item becomes done, cleared when not."""
        now = utcnow()
        if name is not None:
            self.name = name
        if done is not None and done != self.done:
            self.done = done
            self.date_done = now if done else None
        self.date_modified = now

    def __repr__(self) -> str:
        return f"<Item {self.id} {self.name!r}>"


class IdempotencyKey(db.Model):
    """The first answer to a creating POST sent with an `Idempotency-Key`, per caller and key, kept
    until `expires_at` so that a retry gets it again (see app/idempotency.py)."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # SHA-256 of the request (method, path and body): the same key with another request is a 422.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    def __repr__(self) -> str:
        return f"<IdempotencyKey {self.key!r} of user {self.user_id}>"
