"""The goals inside a bucketlist: list, create, read, replace, change, delete; one MethodView per
URL. Members read them; the owner and editors change them (app/bucketlists/access.py)."""

from flask import current_app, url_for
from flask.views import MethodView

from app.api import Blueprint
from app.bucketlists.access import CHANGE_GOALS, READ
from app.bucketlists.pagination import PAGING_HEADERS, paginate, paging_headers
from app.bucketlists.schemas import (
    ItemInputSchema,
    ItemListQuerySchema,
    ItemPatchSchema,
    ItemSchema,
)
from app.database import db
from app.models import Bucketlist, Item
from app.schemas import ErrorSchema, MessageSchema

blp = Blueprint("items", __name__, description="The goals in your bucketlists")


@blp.route("/bucketlists/<id:bucketlist_id>/items/", strict_slashes=False)
@blp.auth_required
@blp.bucketlist_access(get=READ, post=CHANGE_GOALS)
@blp.etag
class ItemsView(MethodView):
    """The goals of a bucketlist the caller owns or is a member of."""

    operations = {"get": "list_items", "post": "create_item"}

    @blp.arguments(ItemListQuerySchema, location="query")
    @blp.response(200, ItemSchema(many=True), headers=PAGING_HEADERS)
    def get(self, args: dict, bucketlist: Bucketlist):
        """The goals of a bucketlist, a page at a time."""
        query = db.select(Item).where(Item.bucketlist_id == bucketlist.id)
        if "done" in args:
            query = query.where(Item.done.is_(args["done"]))
        page = paginate(query, Item, args)
        return page.rows, paging_headers(page)

    @blp.idempotent
    @blp.arguments(ItemInputSchema, location="json_or_form")
    @blp.response(201, ItemSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="The bucketlist holds MAX_ITEMS_PER_BUCKETLIST goals")
    def post(self, data: dict, bucketlist: Bucketlist):
        """Add a goal to a bucketlist (its owner or an editor)."""
        limit = current_app.config["MAX_ITEMS_PER_BUCKETLIST"]
        item = bucketlist.add_item(data["name"], data["done"], limit=limit)
        location = url_for(".ItemView", bucketlist_id=bucketlist.id, item_id=item.id)
        return item, {"Location": location}


@blp.route("/bucketlists/<id:bucketlist_id>/items/<id:item_id>")
@blp.auth_required
@blp.bucketlist_access(get=READ, put=CHANGE_GOALS, patch=CHANGE_GOALS, delete=CHANGE_GOALS)
@blp.etag
class ItemView(MethodView):
    """One goal of a bucketlist the caller owns or is a member of; each write checks If-Match
    when sent."""

    operations = {"get": "get_item", "put": "replace_item", "patch": "update_item",
                  "delete": "delete_item"}

    @blp.response(200, ItemSchema)
    def get(self, item: Item):
        """One goal."""
        return item

    @blp.arguments(ItemInputSchema, location="json_or_form")
    @blp.response(200, ItemSchema)
    def put(self, data: dict, item: Item):
        """Replace a goal's name and done flag.

        `done` is false unless sent; 412 if If-Match names an older version.
        """
        blp.check_etag(item, ItemSchema)
        item.update(name=data["name"], done=data["done"])
        return item

    @blp.arguments(ItemPatchSchema, location="json_or_form")
    @blp.response(200, ItemSchema)
    def patch(self, data: dict, item: Item):
        """Change only what is sent of a goal's name and done flag.

        412 if If-Match names an older version.
        """
        blp.check_etag(item, ItemSchema)
        item.update(name=data.get("name"), done=data.get("done"))
        return item

    @blp.response(200, MessageSchema, description="Deleted")
    def delete(self, item: Item):
        """Delete a goal.

        412 if If-Match names an older version.
        """
        blp.check_etag(item, ItemSchema)
        db.session.delete(item)
        return {"message": f"item {item.id} deleted"}
