"""Probes for load balancers: /health (the process answers) and /ready (the database does too)."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from app.extensions import db
from app.openapi import documented
from app.schemas import StatusSchema

health_blueprint = Blueprint("health", __name__)


@health_blueprint.get("/health")
@documented(responses={200: ("The process is alive", StatusSchema)}, tags=["operations"])
def health():
    """Liveness: answers without touching the database."""
    return jsonify(status="ok"), 200


@health_blueprint.get("/ready")
@documented(
    responses={200: ("Ready to serve", StatusSchema), 503: "The database cannot be reached"},
    tags=["operations"],
)
def ready():
    """Readiness: the database answers a trivial query (503 JSON when it does not)."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ready"), 200
