"""Probes for load balancers: /health (the process answers) and /ready (the database does too).

A Redis that rate limits cannot reach does not make the service unready (it counts per process
meanwhile, app/auth/throttling.py); /ready says so in `rate_limits`, for monitoring.
"""

from sqlalchemy import text

from app import jobs
from app.api import Blueprint
from app.auth.throttling import storage_state
from app.database import db
from app.errors import APIError
from app.schemas import ErrorSchema, ReadySchema, StatusSchema

blp = Blueprint("health", __name__, description="Probes for load balancers")


@blp.get("/health")
@blp.response(200, StatusSchema, description="The process is alive")
def health():
    """Liveness: answers without touching the database."""
    return {"status": "ok"}


@blp.get("/ready")
@blp.response(200, ReadySchema, description="Ready to serve")
@blp.alt_response(503, schema=ErrorSchema,
                  description="The database, or the job queue when one is set, cannot be reached")
def ready():
    """Readiness: whether the database answers, and how rate limits are counted.

    The database must answer a trivial query, and the job queue its ping when JOB_QUEUE_URL is
    set (else 503 JSON); `rate_limits` is `degraded` while their Redis does not answer.
    """
    db.session.execute(text("SELECT 1"))
    answer = {"status": "ready", "rate_limits": storage_state()}
    if jobs.queued():
        if not jobs.reachable():
            raise APIError(503, "The job queue (JOB_QUEUE_URL) does not answer.",
                           headers={"Retry-After": "5"})
        answer["jobs"] = "reachable"
    return answer
