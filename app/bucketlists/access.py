"""Who may do what to a bucketlist: decided here, for every route that names one.

A bucketlist's owner is its creator; its members are each an editor or a viewer (app/sharing).
RIGHTS says which role each right needs; a route names the right each of its methods uses
(`@bucketlist_access(get=READ, post=CHANGE_GOALS)`), and everything else happens here: one query
finds the bucketlist with the caller's role in it (locked for a write), a stranger gets the same
404 as for a bucketlist that does not exist, and a member whose role falls short gets a 403
naming the role needed.
"""

import functools

from flask import request
from sqlalchemy import and_, case, or_

from app.auth.guard import current_user
from app.database import db
from app.errors import APIError
from app.method_views import is_method_view
from app.models import Bucketlist, Item
from app.sharing.models import EDITOR, OWNER, VIEWER, Membership

BUCKETLIST_NOT_FOUND = "Bucketlist not found."
ITEM_NOT_FOUND = "Item not found."
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The rights, and the least role each needs.
READ = "read the bucketlist, its goals and its members"
CHANGE_GOALS = "add, change and delete goals"
RENAME = "rename the bucketlist"
DELETE = "delete the bucketlist"
MANAGE_MEMBERS = "invite, change roles and remove members"
MANAGE_LINK = "manage the public link"
# Any member may ask; `require_removal` then lets the owner remove others and a member leave.
REMOVE_MEMBER = "remove a member, or leave"
RIGHTS = {READ: VIEWER, CHANGE_GOALS: EDITOR, RENAME: EDITOR, DELETE: OWNER,
          MANAGE_MEMBERS: OWNER, MANAGE_LINK: OWNER, REMOVE_MEMBER: VIEWER}
RANK = {VIEWER: 1, EDITOR: 2, OWNER: 3}
# For a method whose own query keeps to the bucketlists the caller may read (and names the
# caller's role in its answer): the bucketlist's GET, the API's most frequent read, in one query.
READ_IN_ITS_QUERY = "read, in the method's own query"


def can_forbid(right: str) -> bool:
    """Whether a member may be refused this right with a 403: any but reading."""
    return right not in (READ, READ_IN_ITS_QUERY)


def caller_role():
    """The caller's role in the bucketlist of the row, as a column (NULL: none), for a query that
    outer-joins the caller's membership (`caller_membership()`)."""
    return case((Bucketlist.created_by == current_user().id, OWNER), else_=Membership.role)


def caller_membership():
    """The join condition of the caller's own membership of each bucketlist."""
    return and_(Membership.bucketlist_id == Bucketlist.id,
                Membership.user_id == current_user().id)


def reachable_by_caller():
    """The condition that the caller owns the bucketlist or is one of its members."""
    return or_(Bucketlist.created_by == current_user().id, Membership.user_id.is_not(None))


def require(role: str, right: str) -> None:
    """403 unless `role` (the caller's) carries `right`."""
    needed = RIGHTS[right]
    if RANK[role] < RANK[needed]:
        raise APIError(403, f"To {right} you need to be its {needed}; you are a {role} of this "
                            "bucketlist.")


def require_removal(bucketlist: Bucketlist, user_id: int) -> None:
    """Who may remove a member: the owner anyone but themself (409: an owner leaves by deleting
    the bucketlist), a member themself (leaving); any other member gets a 403."""
    me = current_user().id
    if bucketlist.role == OWNER and user_id == me:
        raise APIError(409, "The owner cannot leave their bucketlist; delete it instead.")
    if bucketlist.role != OWNER and user_id != me:
        raise APIError(403, f"To remove another member you need to be its owner; you are a "
                            f"{bucketlist.role} of this bucketlist.")


def get_bucketlist(bucketlist_id: int, right: str, lock: bool = False) -> Bucketlist:
    """The bucketlist with this id, its `role` set to the caller's, if the caller may use
    `right` on it: 404 for a stranger, 403 for a member without the role. `lock` holds its row
    (FOR UPDATE) until the transaction ends, for writes that must not race."""
    bucketlist, role = reachable(Bucketlist, Bucketlist.id == bucketlist_id, right, lock,
                                 BUCKETLIST_NOT_FOUND)
    bucketlist.role = role
    return bucketlist


def get_item(bucketlist_id: int, item_id: int, right: str, lock: bool = False) -> Item:
    """A goal of a bucketlist the caller may use `right` on, found with the caller's role in one
    query: 404 for any other goal, 403 for a member without the role. `lock` holds the goal's
    row until the transaction ends."""
    item, _ = reachable(Item, (Item.id == item_id) & (Item.bucketlist_id == bucketlist_id),
                        right, lock, ITEM_NOT_FOUND)
    return item


def reachable(model, condition, right: str, lock: bool, missing: str) -> tuple:
    """The row of `model` (a bucketlist, or a goal of one) meeting `condition` in a bucketlist
    the caller owns or is a member of, and the caller's role there: 404 saying `missing` when
    there is none, 403 when the role lacks `right`. `lock` holds the row until the transaction
    ends."""
    statement = db.select(model, caller_role())
    if model is not Bucketlist:
        statement = statement.join(Bucketlist, Bucketlist.id == model.bucketlist_id)
    statement = (statement.outerjoin(Membership, caller_membership())
                 .where(condition, reachable_by_caller()))
    if lock:
        statement = statement.with_for_update(of=model)
    found = db.session.execute(statement).first()
    if found is None:
        raise APIError(404, missing)
    row, role = found
    require(role, right)
    return row, role


def bucketlist_access(**rights: str):
    """A MethodView class decorator: each method named gets the bucketlist of `bucketlist_id`
    as `bucketlist` (and the goal of `item_id` as `item`, when the URL has one) once the caller
    is found to have its right: `@bucketlist_access(get=READ, post=CHANGE_GOALS)`. Every method
    of the view must be named, so that none goes unchecked."""

    def decorate(view):
        if not is_method_view(view):
            raise TypeError("bucketlist_access decorates a MethodView")
        missing = {method.lower() for method in view.methods} - set(rights)
        if missing:
            raise TypeError(f"{view.__name__}: no right named for {sorted(missing)}")
        for method, right in rights.items():
            if right != READ_IN_ITS_QUERY:
                setattr(view, method, _fetching(getattr(view, method), right))
        return view

    return decorate


def _fetching(func, right: str):
    @functools.wraps(func)
    def with_access(*args, bucketlist_id: int, item_id: int | None = None, **kwargs):
        lock = request.method in WRITE_METHODS
        if item_id is None:
            kwargs["bucketlist"] = get_bucketlist(bucketlist_id, right, lock=lock)
        else:
            kwargs["item"] = get_item(bucketlist_id, item_id, right, lock=lock)
        return func(*args, **kwargs)

    return with_access
