"""A bucketlist's read-only public link: the owner makes one (a new PUT replaces it) or revokes
it; anyone with its URL reads the bucketlist and its goals without logging in, and sees no e-mail
or user id of anyone."""

import secrets

from flask import current_app
from flask.views import MethodView

from app.api import Blueprint
from app.bucketlists.access import MANAGE_LINK
from app.bucketlists.queries import bucketlist_with_items
from app.database import db
from app.errors import APIError
from app.links import public_url_for
from app.models import Bucketlist
from app.schemas import MessageSchema
from app.sharing.models import PublicLink, token_digest
from app.sharing.schemas import PublicLinkSchema, SharedBucketlistSchema

blp = Blueprint("public_links", __name__, description="Read-only links to a bucketlist")
LINK_NOT_FOUND = "This link does not exist or was revoked."


@blp.route("/bucketlists/<id:bucketlist_id>/public-link")
@blp.auth_required
@blp.bucketlist_access(put=MANAGE_LINK, delete=MANAGE_LINK)
class PublicLinkView(MethodView):
    """The public link of a bucketlist (its owner only)."""

    operations = {"put": "make_public_link", "delete": "revoke_public_link"}

    @blp.response(200, PublicLinkSchema, description="The new link; the old one stops working")
    def put(self, bucketlist: Bucketlist):
        """Make a new read-only link; any earlier link of the bucketlist stops working.

        Only the link's hash is kept, so this answer is the one time the URL is shown.
        """
        token = secrets.token_urlsafe(32)
        db.session.execute(db.delete(PublicLink).where(PublicLink.bucketlist_id == bucketlist.id))
        db.session.add(PublicLink(bucketlist_id=bucketlist.id, token_hash=token_digest(token)))
        return {"url": public_url_for("public_links.SharedView", token=token)}

    @blp.response(200, MessageSchema, description="Revoked")
    def delete(self, bucketlist: Bucketlist):
        """Revoke the read-only link."""
        revoked = db.session.execute(
            db.delete(PublicLink).where(PublicLink.bucketlist_id == bucketlist.id)).rowcount
        if not revoked:
            raise APIError(404, "This bucketlist has no public link.")
        return {"message": f"the public link of bucketlist {bucketlist.id} was revoked"}


@blp.route("/shared/<token:token>")
class SharedView(MethodView):
    """A bucketlist read through its public link, by anyone who has it."""

    operations = {"get": "get_shared_bucketlist"}

    @blp.response(200, SharedBucketlistSchema)
    def get(self, token: str):
        """The bucketlist and its goals, read-only, with no e-mail or user id of anyone."""
        bucketlist_id = db.session.scalar(db.select(PublicLink.bucketlist_id).where(
            PublicLink.token_hash == token_digest(token)))
        if bucketlist_id is None:
            raise APIError(404, LINK_NOT_FOUND)
        return bucketlist_with_items(bucketlist_id, current_app.config["MAX_ITEMS_PER_BUCKETLIST"])
