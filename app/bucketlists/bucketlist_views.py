"""Create, list, read, rename and delete bucketlists, the caller's own and those shared with
them: one MethodView per URL; who may do what is app/bucketlists/access.py's to say."""

from flask import current_app, request, url_for
from flask.views import MethodView

from app.api import Blueprint
from app.auth.guard import current_user
from app.bucketlists.access import DELETE, READ_IN_ITS_QUERY, RENAME
from app.bucketlists.pagination import PAGING_HEADERS, paging_headers
from app.bucketlists.queries import get_bucketlist_with_items, page_of_bucketlists
from app.bucketlists.schemas import (
    BucketlistDetailSchema,
    BucketlistInputSchema,
    BucketlistListQuerySchema,
    BucketlistSchema,
    BucketlistSummarySchema,
)
from app.conditional import etag_header
from app.models import Bucketlist
from app.schemas import ErrorSchema, MessageSchema

blp = Blueprint("bucketlists", __name__, description="Your bucketlists, and those shared with you")


def detail(bucketlist_id: int) -> dict:
    """The bucketlist as GET shows it to the caller (its ETag is made from this), else 404."""
    return get_bucketlist_with_items(
        bucketlist_id, limit=current_app.config["MAX_ITEMS_PER_BUCKETLIST"]
    )


def check_etag(bucketlist: Bucketlist) -> None:
    """412 unless If-Match names the bucketlist's ETag as GET shows it, or when If-None-Match
    does; the bucketlist with its goals is read for that only when either was sent."""
    if request.if_match or request.if_none_match:
        blp.check_etag(detail(bucketlist.id), BucketlistDetailSchema)


@blp.route("/bucketlists/", strict_slashes=False)
@blp.auth_required
@blp.etag
class BucketlistsView(MethodView):
    """The caller's bucketlists and those shared with them."""

    operations = {"get": "list_bucketlists", "post": "create_bucketlist"}

    @blp.arguments(BucketlistListQuerySchema, location="query")
    @blp.response(200, BucketlistSummarySchema(many=True), headers=PAGING_HEADERS)
    def get(self, args: dict):
        """The caller's bucketlists and those shared with them, a page at a time.

        Each with the caller's role, how many goals it has and how many of them are done.
        """
        page = page_of_bucketlists(args)
        return page.rows, paging_headers(page)

    @blp.idempotent
    @blp.arguments(BucketlistInputSchema, location="json_or_form")
    @blp.response(201, BucketlistSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="The caller has MAX_BUCKETLISTS_PER_USER bucketlists")
    def post(self, data: dict):
        """Create a bucketlist owned by the caller."""
        limit = current_app.config["MAX_BUCKETLISTS_PER_USER"]
        bucketlist = Bucketlist.add_for(current_user().id, data["name"], limit=limit)
        location = url_for(".BucketlistView", bucketlist_id=bucketlist.id)
        return bucketlist, {"Location": location}


@blp.route("/bucketlists/<id:bucketlist_id>")
@blp.auth_required
@blp.bucketlist_access(get=READ_IN_ITS_QUERY, put=RENAME, delete=DELETE)
@blp.etag
class BucketlistView(MethodView):
    """A bucketlist the caller owns or is a member of. GET reads it and its goals in one query
    that keeps to those; the writes fetch and lock it through `bucketlist_access`."""

    operations = {"get": "get_bucketlist", "put": "update_bucketlist",
                  "delete": "delete_bucketlist"}

    @blp.response(200, BucketlistDetailSchema)
    def get(self, bucketlist_id: int):
        """A bucketlist, with its goals and the caller's role.

        The goals are the first MAX_ITEMS_PER_BUCKETLIST, by id.
        """
        return detail(bucketlist_id)

    @blp.arguments(BucketlistInputSchema, location="json_or_form")
    @blp.response(200, BucketlistSchema)
    def put(self, data: dict, bucketlist: Bucketlist):
        """Rename a bucketlist (its owner or an editor).

        412 if If-Match names an older version.
        """
        check_etag(bucketlist)
        bucketlist.rename(data["name"])
        # The ETag of the bucketlist as GET shows it, for the next conditional request.
        return bucketlist, etag_header(detail(bucketlist.id), BucketlistDetailSchema)

    @blp.response(200, MessageSchema, description="Deleted")
    def delete(self, bucketlist: Bucketlist):
        """Delete a bucketlist and its goals (its owner only).

        412 if If-Match names an older version.
        """
        check_etag(bucketlist)
        bucketlist.remove()
        return {"message": f"bucketlist {bucketlist.id} deleted"}
