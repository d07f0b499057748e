"""Create, list, read, rename and delete the caller's own bucketlists."""

from flask import abort, g, jsonify, url_for

from app.auth.guard import token_required
from app.bucketlists import bucketlists_blueprint
from app.bucketlists.schemas import BucketlistInputSchema, BucketlistSchema
from app.extensions import db
from app.models import MAX_ID, Bucketlist
from app.openapi import documented
from app.request_body import request_data
from app.schemas import MessageSchema

input_schema = BucketlistInputSchema()
output_schema = BucketlistSchema()
NOT_FOUND_MESSAGE = "Bucketlist not found."
TAGS = ["bucketlists"]


def get_own_bucketlist(bucketlist_id: int) -> Bucketlist:
    """The caller's bucketlist with this id; someone else's does not exist for them (404)."""
    if bucketlist_id > MAX_ID:
        abort(404, description=NOT_FOUND_MESSAGE)
    return db.first_or_404(
        db.select(Bucketlist).where(
            Bucketlist.id == bucketlist_id, Bucketlist.created_by == g.user.id
        ),
        description=NOT_FOUND_MESSAGE,
    )


@bucketlists_blueprint.post("/bucketlists/", strict_slashes=False)
@documented(body=BucketlistInputSchema, responses={201: BucketlistSchema}, auth=True, tags=TAGS)
@token_required
def create_bucketlist():
    """Create a bucketlist owned by the caller."""
    data = input_schema.load(request_data())
    bucketlist = Bucketlist(name=data["name"], created_by=g.user.id)
    db.session.add(bucketlist)
    db.session.commit()
    response = jsonify(output_schema.dump(bucketlist))
    response.headers["Location"] = url_for(".get_bucketlist", bucketlist_id=bucketlist.id)
    return response, 201


@bucketlists_blueprint.get("/bucketlists/", strict_slashes=False)
@documented(responses={200: BucketlistSchema(many=True)}, auth=True, tags=TAGS)
@token_required
def list_bucketlists():
    """The caller's bucketlists, oldest first."""
    bucketlists = db.session.scalars(
        db.select(Bucketlist).where(Bucketlist.created_by == g.user.id).order_by(Bucketlist.id)
    )
    return jsonify(output_schema.dump(bucketlists, many=True)), 200


@bucketlists_blueprint.get("/bucketlists/<int:bucketlist_id>")
@documented(responses={200: BucketlistSchema}, auth=True, tags=TAGS)
@token_required
def get_bucketlist(bucketlist_id: int):
    """One of the caller's bucketlists."""
    return jsonify(output_schema.dump(get_own_bucketlist(bucketlist_id))), 200


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
    """Delete one of the caller's bucketlists."""
    bucketlist = get_own_bucketlist(bucketlist_id)
    db.session.delete(bucketlist)
    db.session.commit()
    return jsonify(message=f"bucketlist {bucketlist_id} deleted"), 200
