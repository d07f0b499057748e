"""Create, list, read, rename and delete the caller's own bucketlists."""

from flask import current_app, g, jsonify, url_for

from app.auth.guard import token_required
from app.bucketlists import bucketlists_blueprint
from app.bucketlists.queries import (
    WITH_COUNTS,
    get_own_bucketlist,
    get_own_bucketlist_with_items,
    own_bucketlists,
)
from app.bucketlists.schemas import (
    BucketlistDetailSchema,
    BucketlistInputSchema,
    BucketlistSchema,
    BucketlistSummarySchema,
)
from app.extensions import db
from app.models import Bucketlist
from app.openapi import documented
from app.pagination import ListQuerySchema, paginate, paging_headers
from app.request_body import query_args, request_data
from app.schemas import MessageSchema

input_schema = BucketlistInputSchema()
output_schema = BucketlistSchema()
summary_schema = BucketlistSummarySchema(many=True)
detail_schema = BucketlistDetailSchema()
list_query_schema = ListQuerySchema()
TAGS = ["bucketlists"]


@bucketlists_blueprint.post("/bucketlists/", strict_slashes=False)
@documented(
    body=BucketlistInputSchema,
    responses={201: BucketlistSchema, 409: "The caller has MAX_BUCKETLISTS_PER_USER bucketlists"},
    auth=True,
    tags=TAGS,
)
@token_required
def create_bucketlist():
    """Create a bucketlist owned by the caller."""
    data = input_schema.load(request_data())
    limit = current_app.config["MAX_BUCKETLISTS_PER_USER"]
    bucketlist = Bucketlist.add_for(g.user.id, data["name"], limit=limit)
    db.session.commit()
    response = jsonify(output_schema.dump(bucketlist))
    response.headers["Location"] = url_for(".get_bucketlist", bucketlist_id=bucketlist.id)
    return response, 201


@bucketlists_blueprint.get("/bucketlists/", strict_slashes=False)
@documented(query=ListQuerySchema, responses={200: BucketlistSummarySchema(many=True)},
            auth=True, tags=TAGS)
@token_required
def list_bucketlists():
    """The caller's bucketlists, a page at a time, with how many goals each has and has done."""
    args = list_query_schema.load(query_args())
    page = paginate(own_bucketlists(), Bucketlist, args, options=WITH_COUNTS,
                    total=g.user.bucketlists_count)
    return jsonify(summary_schema.dump(page.rows)), 200, paging_headers(page)


@bucketlists_blueprint.get("/bucketlists/<int:bucketlist_id>")
@documented(responses={200: BucketlistDetailSchema}, auth=True, tags=TAGS)
@token_required
def get_bucketlist(bucketlist_id: int):
    """One of the caller's bucketlists, with its goals (the first MAX_ITEMS_PER_BUCKETLIST)."""
    limit = current_app.config["MAX_ITEMS_PER_BUCKETLIST"]
    bucketlist = get_own_bucketlist_with_items(bucketlist_id, limit=limit)
    return jsonify(detail_schema.dump(bucketlist)), 200


@bucketlists_blueprint.put("/bucketlists/<int:bucketlist_id>")
@documented(body=BucketlistInputSchema, responses={200: BucketlistSchema}, auth=True, tags=TAGS)
@token_required
def update_bucketlist(bucketlist_id: int):
    """Rename one of the caller's bucketlists."""
    bucketlist = get_own_bucketlist(bucketlist_id)
    data = input_schema.load(request_data())
    bucketlist.rename(data["name"])
    db.session.commit()
    return jsonify(output_schema.dump(bucketlist)), 200


@bucketlists_blueprint.delete("/bucketlists/<int:bucketlist_id>")
@documented(responses={200: ("Deleted", MessageSchema)}, auth=True, tags=TAGS)
@token_required
def delete_bucketlist(bucketlist_id: int):
    """Delete one of the caller's bucketlists and its goals."""
    get_own_bucketlist(bucketlist_id).remove()
    db.session.commit()
    return jsonify(message=f"bucketlist {bucketlist_id} deleted"), 200
