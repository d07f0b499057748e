"""Whose is it: every view that takes a bucketlist or goal id gets it through here, fetched by
id and owner in one query. Someone else's does not exist for the caller (404)."""

import functools

from flask import request

from app.auth.guard import current_user
from app.bucketlists.queries import BUCKETLIST_NOT_FOUND
from app.database import db
from app.method_views import for_each_method
from app.models import Bucketlist, Item

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ITEM_NOT_FOUND = "Item not found."


def get_own_bucketlist(bucketlist_id: int, lock: bool = False) -> Bucketlist:
    """The caller's bucketlist with this id; someone else's does not exist for them (404).

    `lock` holds its row (FOR UPDATE) until the transaction ends, for writes that must not race.
    """
    statement = db.select(Bucketlist).where(Bucketlist.id == bucketlist_id,
                                            Bucketlist.created_by == current_user().id)
    if lock:
        statement = statement.with_for_update()
    return db.first_or_404(statement, description=BUCKETLIST_NOT_FOUND)


def get_own_item(bucketlist_id: int, item_id: int, lock: bool = False) -> Item:
    """An item of one of the caller's bucketlists; any other item is a 404.

    `lock` holds its row (FOR UPDATE) until the transaction ends, for writes that must not race.
    """
    statement = (
        db.select(Item)
        .join(Bucketlist, Item.bucketlist_id == Bucketlist.id)
        .where(Item.id == item_id, Item.bucketlist_id == bucketlist_id,
               Bucketlist.created_by == current_user().id)
    )
    if lock:
        statement = statement.with_for_update(of=Item)
    return db.first_or_404(statement, description=ITEM_NOT_FOUND)


def own_bucketlist(view):
    """A view function, or each method of a MethodView, gets the caller's bucketlist named by
    `bucketlist_id` as `bucketlist` (else 404), before its body is read; locked until the
    transaction ends when the request writes."""

    def fetching(func):
        @functools.wraps(func)
        def with_bucketlist(*args, bucketlist_id: int, **kwargs):
            bucketlist = get_own_bucketlist(bucketlist_id, lock=request.method in WRITE_METHODS)
            return func(*args, bucketlist=bucketlist, **kwargs)

        return with_bucketlist

    return for_each_method(fetching, view)


def own_item(view):
    """A view function, or each method of a MethodView, gets the caller's goal named by
    `bucketlist_id` and `item_id` as `item` (else 404), before its body is read; locked until the
    transaction ends when the request writes."""

    def fetching(func):
        @functools.wraps(func)
        def with_item(*args, bucketlist_id: int, item_id: int, **kwargs):
            item = get_own_item(bucketlist_id, item_id, lock=request.method in WRITE_METHODS)
            return func(*args, item=item, **kwargs)

        return with_item

    return for_each_method(fetching, view)
