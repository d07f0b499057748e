"""The goals inside one of the caller's bucketlists: list, create, read, replace, change, delete."""

from flask import current_app, jsonify, url_for

from app.auth.guard import token_required
from app.bucketlists import bucketlists_blueprint
from app.bucketlists.queries import bucketlist_items, get_own_bucketlist, get_own_item
from app.bucketlists.schemas import (
    ItemInputSchema,
    ItemListQuerySchema,
    ItemPatchSchema,
    ItemSchema,
)
from app.extensions import db
from app.models import Item
from app.openapi import documented
from app.pagination import paginate, paging_headers
from app.request_body import query_args, request_data
from app.schemas import MessageSchema

input_schema = ItemInputSchema()
patch_schema = ItemPatchSchema()
output_schema = ItemSchema()
list_query_schema = ItemListQuerySchema()
ITEMS = "/bucketlists/<int:bucketlist_id>/items/"
ITEM = "/bucketlists/<int:bucketlist_id>/items/<int:item_id>"
TAGS = ["items"]


@bucketlists_blueprint.get(ITEMS, strict_slashes=False)
@documented(query=ItemListQuerySchema, responses={200: ItemSchema(many=True)}, auth=True,
            tags=TAGS)
@token_required
def list_items(bucketlist_id: int):
    """The goals of one of the caller's bucketlists, a page at a time."""
    query = bucketlist_items(bucketlist_id)
    args = list_query_schema.load(query_args())
    if "done" in args:
        query = query.where(Item.done.is_(args["done"]))
    page = paginate(query, Item, args)
    return jsonify(output_schema.dump(page.rows, many=True)), 200, paging_headers(page)


@bucketlists_blueprint.post(ITEMS, strict_slashes=False)
@documented(
    body=ItemInputSchema,
    responses={201: ItemSchema, 409: "The bucketlist holds MAX_ITEMS_PER_BUCKETLIST goals"},
    auth=True,
    tags=TAGS,
)
@token_required
def create_item(bucketlist_id: int):
    """Add a goal to one of the caller's bucketlists."""
    bucketlist = get_own_bucketlist(bucketlist_id, lock=True)
    data = input_schema.load(request_data())
    limit = current_app.config["MAX_ITEMS_PER_BUCKETLIST"]
    item = bucketlist.add_item(data["name"], data["done"], limit=limit)
    db.session.commit()
    response = jsonify(output_schema.dump(item))
    response.headers["Location"] = url_for(
        ".get_item", bucketlist_id=bucketlist.id, item_id=item.id
    )
    return response, 201


@bucketlists_blueprint.get(ITEM)
@documented(responses={200: ItemSchema}, auth=True, tags=TAGS)
@token_required
def get_item(bucketlist_id: int, item_id: int):
    """One goal."""
    return jsonify(output_schema.dump(get_own_item(bucketlist_id, item_id))), 200


@bucketlists_blueprint.put(ITEM)
@documented(body=ItemInputSchema, responses={200: ItemSchema}, auth=True, tags=TAGS)
@token_required
def replace_item(bucketlist_id: int, item_id: int):
    """Replace a goal's name and done flag (done is false unless sent)."""
    item = get_own_item(bucketlist_id, item_id)
    data = input_schema.load(request_data())
    item.update(name=data["name"], done=data["done"])
    db.session.commit()
    return jsonify(output_schema.dump(item)), 200


@bucketlists_blueprint.patch(ITEM)
@documented(body=ItemPatchSchema, responses={200: ItemSchema}, auth=True, tags=TAGS)
@token_required
def update_item(bucketlist_id: int, item_id: int):
    """Change only what is sent of a goal's name and done flag."""
    item = get_own_item(bucketlist_id, item_id)
    data = patch_schema.load(request_data())
    item.update(name=data.get("name"), done=data.get("done"))
    db.session.commit()
    return jsonify(output_schema.dump(item)), 200


@bucketlists_blueprint.delete(ITEM)
@documented(responses={200: ("Deleted", MessageSchema)}, auth=True, tags=TAGS)
@token_required
def delete_item(bucketlist_id: int, item_id: int):
    """Delete a goal."""
    item = get_own_item(bucketlist_id, item_id)
    db.session.delete(item)
    db.session.commit()
    return jsonify(message=f"item {item_id} deleted"), 200
