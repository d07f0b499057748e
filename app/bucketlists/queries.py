"""The queries that list and show the caller's bucketlists (app/bucketlists/ownership.py
fetches the one a write changes)."""

from flask import abort
from sqlalchemy import bindparam, func
from sqlalchemy.orm import with_expression

from app.auth.guard import current_user
from app.database import db
from app.models import Bucketlist, Item

BUCKETLIST_NOT_FOUND = "Bucketlist not found."


def _counts():
    """Loader options that fill `items_count` and `done_count` in the query of the bucketlists."""
    items = db.select(func.count(Item.id)).where(Item.bucketlist_id == Bucketlist.id)
    done = items.where(Item.done.is_(True))
    return (
        with_expression(Bucketlist.items_count, items.scalar_subquery()),
        with_expression(Bucketlist.done_count, done.scalar_subquery()),
    )


# Built once: options and statements cost more to build than to run; values are bound per call.
WITH_COUNTS = _counts()


def own_bucketlists():
    """A select of the caller's bucketlists."""
    return db.select(Bucketlist).where(Bucketlist.created_by == current_user().id)


BUCKETLIST_FIELDS = ("id", "name", "date_created", "date_modified", "created_by")
ITEM_FIELDS = ("id", "name", "done", "date_created", "date_modified", "date_done")
# A bucketlist with its goals, the API's most frequent read: one join, read as rows on the
# session's connection. Kept optimization (bench/instructions.py, GET by id): the session's own
# execute() of these rows costs 2.882 M instructions per request against 2.653 M on its
# connection (8 %), so the session is flushed by hand and its connection runs the query.
OWN_BUCKETLIST_WITH_ITEMS = (
    db.select(*(getattr(Bucketlist, name) for name in BUCKETLIST_FIELDS),
              *(getattr(Item, name) for name in ITEM_FIELDS))
    .outerjoin(Item, Item.bucketlist_id == Bucketlist.id)
    .where(Bucketlist.id == bindparam("bucketlist_id"),
           Bucketlist.created_by == bindparam("owner_id"))
    .order_by(Item.id)
    .limit(bindparam("rows"))
)
ITEM_COUNTS = db.select(func.count(Item.id), func.count(Item.id).filter(Item.done.is_(True))).where(
    Item.bucketlist_id == bindparam("bucketlist_id")
)


def get_own_bucketlist_with_items(bucketlist_id: int, limit: int) -> dict:
    """The caller's bucketlist with this id and its first `limit` goals (by id), as plain data,
    with `items_count` and `done_count` of all its goals; else 404.

    A bucketlist holds at most `limit` goals unless they were stored before the limit or around
    the API; the answer stays bounded even then, and only such a bucketlist costs a count query.
    """
    db.session.flush()  # what this request changed, for the rows to show it
    rows = db.session.connection().execute(
        OWN_BUCKETLIST_WITH_ITEMS,
        {"bucketlist_id": bucketlist_id, "owner_id": current_user().id, "rows": limit + 1},
    ).all()
    if not rows:
        abort(404, description=BUCKETLIST_NOT_FOUND)
    split = len(BUCKETLIST_FIELDS)
    bucketlist = dict(zip(BUCKETLIST_FIELDS, rows[0][:split], strict=True))
    # A bucketlist without goals comes as one row whose item columns are NULL.
    items = [dict(zip(ITEM_FIELDS, row[split:], strict=True))
             for row in rows if row[split] is not None]
    if len(items) > limit:
        del items[limit:]
        counts = db.session.connection().execute(ITEM_COUNTS, {"bucketlist_id": bucketlist_id})
        bucketlist["items_count"], bucketlist["done_count"] = counts.one()
    else:
        bucketlist["items_count"] = len(items)
        bucketlist["done_count"] = sum(item["done"] for item in items)
    bucketlist["items"] = items
    return bucketlist
