"""The bucketlists blueprint: /bucketlists/... and the goals in them, .../<id>/items/..."""

from flask import Blueprint

bucketlists_blueprint = Blueprint("bucketlists", __name__)

from app.bucketlists import items, views  # noqa: E402,F401  (register the routes)
