"""The bucketlists blueprint: /bucketlists/ and /bucketlists/<id>."""

from flask import Blueprint

bucketlists_blueprint = Blueprint("bucketlists", __name__)

from app.bucketlists import views  # noqa: E402,F401  (registers the routes on the blueprint)
