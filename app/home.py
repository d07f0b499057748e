"""The front page, `/`: what this service is and where to start, for a browser and for a client.

An API client gets the entry points as JSON, as GitHub's API root gives them (`*_url` names, paths
on this host); a browser gets the same links on the browsable page (app/browsable/).
"""

from flask import url_for
from marshmallow import Schema, fields

from app.api import Blueprint

blp = Blueprint("home", __name__, description="Where to start")


class IndexSchema(Schema):
    """What the service is, and the paths of its entry points."""

    name = fields.String(required=True)
    about = fields.String(required=True)
    register_url = fields.String(required=True)
    login_url = fields.String(required=True)
    refresh_url = fields.String(required=True)
    current_user_url = fields.String(required=True)
    bucketlists_url = fields.String(required=True)
    password_reset_url = fields.String(required=True)
    docs_url = fields.String(required=True)
    openapi_url = fields.String(required=True)


@blp.get("/")
@blp.response(200, IndexSchema)
def index():
    """The bucketlist API: what you want to do before you kick the bucket.

    Register with an e-mail and a password, log in for a bearer token, then create bucketlists and
    the goals in them. Every URL below answers JSON to a client and a page with forms to a browser;
    the docs describe every route.
    """
    return {
        "name": "Bucketlist API",
        "about": "Keep the lists of goals you want to reach before you kick the bucket: "
                 "register, log in for a token, then create bucketlists and their goals.",
        "register_url": url_for("auth.register"),
        "login_url": url_for("auth.login"),
        "refresh_url": url_for("auth.refresh"),
        "current_user_url": url_for("auth.me"),
        "bucketlists_url": url_for("bucketlists.BucketlistsView"),
        "password_reset_url": url_for("auth.request_password_reset"),
        "docs_url": url_for("docs.docs_page"),
        "openapi_url": url_for("docs.openapi_json"),
    }
