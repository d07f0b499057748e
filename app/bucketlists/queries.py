"""The queries that list and show the bucketlists the caller owns or is a member of
(app/bucketlists/access.py fetches the one a write changes)."""

from flask import abort
from sqlalchemy import and_, bindparam, case, func, literal, or_, union_all
from sqlalchemy.orm import with_expression

from app.auth.guard import current_user
from app.bucketlists.access import BUCKETLIST_NOT_FOUND
from app.bucketlists.pagination import Page, like_pattern, sort_order
from app.database import db
from app.models import Bucketlist, Item
from app.sharing.models import OWNER, Membership


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


SORTABLE = ("id", "name", "date_created", "date_modified")


def page_of_bucketlists(args: dict) -> Page:
    """A page of the bucketlists the caller owns and those shared with them (`role` filters by
    the caller's role; `q`, `sort`, `page` and `per_page` as for every list), each with its
    counts and the caller's `role`.

    The owned ones and the shared ones are read as two branches of a UNION ALL, each on its own
    index (bucketlists by owner, memberships by user) and each cut to the rows up to the end of
    the page, so a page costs what it did with owned bucketlists alone; the total is the owner's
    counter plus a count of memberships unless `q` narrows them.
    """
    me, role = current_user().id, args.get("role")
    columns = [getattr(Bucketlist, name) for name in SORTABLE]
    branches = []
    if role in (None, OWNER):
        owner = literal(OWNER, Membership.role.type).label("role")
        branches.append(db.select(*columns, owner).where(Bucketlist.created_by == me))
    if role != OWNER:
        shared = (db.select(*columns, Membership.role.label("role"))
                  .join(Membership, Membership.bucketlist_id == Bucketlist.id)
                  .where(Membership.user_id == me))
        branches.append(shared.where(Membership.role == role) if role else shared)
    if args.get("q"):
        pattern = like_pattern(args["q"])
        branches = [branch.where(Bucketlist.name.ilike(pattern, escape="\\"))
                    for branch in branches]
    total = None if args.get("q") else _total(me, role)
    if total is None:
        total = db.session.scalar(db.select(func.count()).select_from(
            union_all(*branches).subquery()))
    offset = (args["page"] - 1) * args["per_page"]
    order = sort_order(Bucketlist, args["sort"])
    # No branch can give the page more than its first offset + per_page rows in this order.
    # (Each in a subquery of its own: SQLite takes no ORDER BY or LIMIT inside a UNION ALL.)
    cut = [db.select(branch.order_by(*order).limit(offset + args["per_page"]).subquery())
           for branch in branches]
    reachable = (union_all(*cut) if len(cut) > 1 else cut[0]).subquery("reachable")
    page = (db.select(reachable).order_by(*sort_order(reachable.c, args["sort"]))
            .limit(args["per_page"]).offset(offset).subquery("page"))
    rows = db.session.execute(
        db.select(Bucketlist, page.c.role).join(page, page.c.id == Bucketlist.id)
        .options(*WITH_COUNTS).order_by(*sort_order(page.c, args["sort"]))
    ).all()
    bucketlists = []
    for bucketlist, its_role in rows:
        bucketlist.role = its_role
        bucketlists.append(bucketlist)
    return Page(rows=bucketlists, total=total, page=args["page"], per_page=args["per_page"])


def _total(me: int, role: str | None) -> int:
    """How many bucketlists the caller reaches in this role (all, without one): the owned from
    the owner's counter, the shared from a count of their memberships."""
    owned = current_user().bucketlists_count if role in (None, OWNER) else 0
    if role == OWNER:
        return owned
    shared = db.select(func.count()).select_from(Membership).where(Membership.user_id == me)
    if role:
        shared = shared.where(Membership.role == role)
    return owned + db.session.scalar(shared)


BUCKETLIST_FIELDS = ("id", "name", "date_created", "date_modified", "created_by")
ITEM_FIELDS = ("id", "name", "done", "date_created", "date_modified", "date_done")
# A bucketlist with its goals, the API's most frequent read: one join, read as rows on the
# session's connection. Kept optimization (bench/instructions.py, GET by id): the session's own
# execute() of these rows costs 2.882 M instructions per request against 2.653 M on its
# connection (8 %), so the session is flushed by hand and its connection runs the query.
# The caller's role comes in the same query: `owner` from the bucketlist, else their membership.
BUCKETLIST_WITH_ITEMS = (
    db.select(*(getattr(Bucketlist, name) for name in BUCKETLIST_FIELDS),
              case((Bucketlist.created_by == bindparam("caller_id"), OWNER),
                   else_=Membership.role),
              *(getattr(Item, name) for name in ITEM_FIELDS))
    .outerjoin(Membership, and_(Membership.bucketlist_id == Bucketlist.id,
                                Membership.user_id == bindparam("caller_id")))
    .outerjoin(Item, Item.bucketlist_id == Bucketlist.id)
    .where(Bucketlist.id == bindparam("bucketlist_id"),
           or_(Bucketlist.created_by == bindparam("caller_id"), Membership.user_id.is_not(None)))
    .order_by(Item.id)
    .limit(bindparam("rows"))
)
ITEM_COUNTS = db.select(func.count(Item.id), func.count(Item.id).filter(Item.done.is_(True))).where(
    Item.bucketlist_id == bindparam("bucketlist_id")
)


def get_bucketlist_with_items(bucketlist_id: int, limit: int) -> dict:
    """The bucketlist with this id, if the caller owns it or is a member, with their `role` and
    its first `limit` goals (by id), as plain data, with `items_count` and `done_count` of all
    its goals; else 404.

    A bucketlist holds at most `limit` goals unless they were stored before the limit or around
    the API; the answer stays bounded even then, and only such a bucketlist costs a count query.
    """
    db.session.flush()  # what this request changed, for the rows to show it
    rows = db.session.connection().execute(
        BUCKETLIST_WITH_ITEMS,
        {"bucketlist_id": bucketlist_id, "caller_id": current_user().id, "rows": limit + 1},
    ).all()
    return _bucketlist(rows, (*BUCKETLIST_FIELDS, "role"), bucketlist_id, limit)


# The same for whoever holds a public link: no caller, so no role.
ANY_BUCKETLIST_WITH_ITEMS = (
    db.select(*(getattr(Bucketlist, name) for name in BUCKETLIST_FIELDS),
              *(getattr(Item, name) for name in ITEM_FIELDS))
    .outerjoin(Item, Item.bucketlist_id == Bucketlist.id)
    .where(Bucketlist.id == bindparam("bucketlist_id"))
    .order_by(Item.id)
    .limit(bindparam("rows"))
)


def bucketlist_with_items(bucketlist_id: int, limit: int) -> dict:
    """The bucketlist with this id and its first `limit` goals, whoever asks (a public link's
    reader): as `get_bucketlist_with_items`, without a role."""
    rows = db.session.connection().execute(
        ANY_BUCKETLIST_WITH_ITEMS, {"bucketlist_id": bucketlist_id, "rows": limit + 1}).all()
    return _bucketlist(rows, BUCKETLIST_FIELDS, bucketlist_id, limit)


def _bucketlist(rows: list, fields: tuple, bucketlist_id: int, limit: int) -> dict:
    """The bucketlist of these joined rows (its `fields`, then its goals' columns) as plain data
    with at most `limit` goals and the counts of all of them; 404 without rows."""
    if not rows:
        abort(404, description=BUCKETLIST_NOT_FOUND)
    split = len(fields)
    bucketlist = dict(zip(fields, rows[0][:split], strict=True))
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
