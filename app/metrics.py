"""Prometheus metrics: the HTTP server's, named by OpenTelemetry's HTTP semantic conventions in
Prometheus form, and the app's own counters.

Off unless METRICS_PORT is set. Then every request is timed and counted, and the metrics are
served on METRICS_BIND:METRICS_PORT (`/metrics`), never on the API's own port, so nothing reaches
an API client by accident. They are served under gunicorn (`make serve`, the image): the workers
write their values to PROMETHEUS_MULTIPROC_DIR and the master serves the sum of all of them
(gunicorn.conf.py sets both up). `make run`'s development server serves none.
"""

import time

from flask import Flask, g, request
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event

from app.database import db

# OpenTelemetry's advice for http.server.request.duration, in seconds.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
                           "CONNECT", "TRACE"})
UNMATCHED_ROUTE = ""  # no route answered the path (a 404): one series, not one per path

REQUEST_DURATION = Histogram(
    "http_server_request_duration_seconds", "Duration of HTTP server requests.",
    ["http_request_method", "http_route", "http_response_status_code"],
    buckets=DURATION_BUCKETS,
)
ACTIVE_REQUESTS = Gauge(
    "http_server_active_requests", "Number of HTTP server requests in progress.",
    ["http_request_method"], multiprocess_mode="livesum",
)
DB_CONNECTIONS_IN_USE = Gauge(
    "db_client_connections_in_use", "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
LOGIN_FAILURES = Counter("bucketlist_login_failures", "Logins refused: wrong e-mail or password.")
RATE_LIMITED = Counter("bucketlist_rate_limited", "Requests refused with 429 (rate limits).")
IDEMPOTENT_REPLAYS = Counter(
    "bucketlist_idempotent_replays", "Creates answered again from a stored Idempotency-Key."
)
MAILS = Counter("bucketlist_mails", "Mails handed to the mail server, by result.", ["result"])
DATABASE_UNAVAILABLE = Counter(
    "bucketlist_database_unavailable", "Answers 503 because the database could not be reached."
)


def method_label() -> str:
    """The request's method, or `_OTHER` for one HTTP does not define (the label stays bounded)."""
    return request.method if request.method in KNOWN_METHODS else "_OTHER"


def start_timing() -> None:
    g.metrics_method = method_label()
    g.metrics_started = time.perf_counter()
    ACTIVE_REQUESTS.labels(g.metrics_method).inc()


def record_response(response):
    """After the request: its duration, by method, route template and status."""
    if "metrics_started" in g:
        route = request.url_rule.rule if request.url_rule else UNMATCHED_ROUTE
        REQUEST_DURATION.labels(g.metrics_method, route, str(response.status_code)).observe(
            time.perf_counter() - g.metrics_started
        )
    return response


def end_timing(_error=None) -> None:
    if "metrics_method" in g:
        ACTIVE_REQUESTS.labels(g.metrics_method).dec()


def init_app(app: Flask) -> None:
    """Time and count every request when METRICS_PORT is set; without it, add nothing to a
    request's work."""
    if not app.config["METRICS_PORT"]:
        return
    app.before_request(start_timing)
    app.after_request(record_response)
    app.teardown_request(end_timing)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", lambda *args: DB_CONNECTIONS_IN_USE.inc())
    event.listen(engine, "checkin", lambda *args: DB_CONNECTIONS_IN_USE.dec())
