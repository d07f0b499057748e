"""Prometheus metrics: the HTTP server's, named by OpenTelemetry's HTTP semantic conventions in
Prometheus form, and the app's own counters.

Off unless METRICS_PORT is set. Then every request is timed and counted, and the metrics are
served on METRICS_BIND:METRICS_PORT (`/metrics`), never on the API's own port, so nothing reaches
an API client by accident. They are served under gunicorn (`make serve`, the image): the workers
write their values to PROMETHEUS_MULTIPROC_DIR and the master serves the sum of all of them
(gunicorn.conf.py sets both up). `make run`'s development server serves none.

The job worker (`python manage.py worker`) serves its own on METRICS_PORT: the jobs that failed
for good, and, read from Redis at each scrape, how many jobs wait in the queue and how many
workers hold unacknowledged.
"""

import time

import redis
from flask import Flask, request
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
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
FAILED_JOBS = Counter("bucketlist_failed_jobs", "Queued jobs that failed for good, by task.",
                      ["task"])
DATABASE_UNAVAILABLE = Counter(
    "bucketlist_database_unavailable", "Answers 503 because the database could not be reached."
)


# Where the rule Flask matched waits for the middleware: the request is gone by the time the
# app has returned.
ROUTE_KEY = "bucketlist.url_rule"


def remember_route(response):
    """After the request: the rule Flask matched (None for a path no route answers)."""
    request.environ[ROUTE_KEY] = request.url_rule
    return response


class RecordingMiddleware:
    """Times and counts every request around the app: by method (`_OTHER` for one HTTP does not
    define, so that the label stays bounded), the route template Flask matched, and the status.

    Kept design (bench/instructions.py --metrics, GET by id): one WSGI wrapper and one hook cost
    3.4 % of a request (2.829 M instructions against 2.735 M without metrics); timing in
    before/after/teardown hooks cost 7.1 % (2.910 M against 2.716 M).
    """

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        if method not in KNOWN_METHODS:
            method = "_OTHER"
        active = ACTIVE_REQUESTS.labels(method)
        active.inc()
        started = time.perf_counter()
        statuses = []

        def recording_start_response(status, headers, exc_info=None):
            statuses.append(status[:3])
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, recording_start_response)
        finally:
            active.dec()
            rule = environ.get(ROUTE_KEY)
            route = rule.rule if rule is not None else UNMATCHED_ROUTE
            REQUEST_DURATION.labels(method, route, statuses[0] if statuses else "500").observe(
                time.perf_counter() - started
            )


def init_app(app: Flask) -> None:
    """Time and count every request when METRICS_PORT is set; without it, add nothing to a
    request's work."""
    if not app.config["METRICS_PORT"]:
        return
    app.wsgi_app = RecordingMiddleware(app.wsgi_app)
    app.after_request(remember_route)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", lambda *args: DB_CONNECTIONS_IN_USE.inc())
    event.listen(engine, "checkin", lambda *args: DB_CONNECTIONS_IN_USE.dec())


class JobQueueCollector:
    """At each scrape, from the queue's Redis: the jobs waiting for a worker (the length of the
    queue's list, as Celery's monitoring guide reads it) and the jobs workers hold
    unacknowledged (running, or waiting for a retry's countdown: kombu's `unacked` hash).
    Nothing when Redis does not answer within a quarter of a second (then `up` stays 1 and the
    series are absent)."""

    def __init__(self, url: str, queue: str) -> None:
        self.url, self.queue = url, queue

    def collect(self):
        client = redis.Redis.from_url(self.url, socket_timeout=0.25, socket_connect_timeout=0.25)
        try:
            waiting, held = client.llen(self.queue), client.hlen("unacked")
        except redis.RedisError:
            return
        finally:
            client.close()
        yield GaugeMetricFamily("bucketlist_job_queue_depth",
                                "Jobs waiting in the queue for a worker.", value=waiting)
        yield GaugeMetricFamily("bucketlist_job_queue_unacknowledged",
                                "Jobs a worker holds, running or waiting to be retried.",
                                value=held)


def serve_job_metrics(app: Flask, queue: str) -> None:
    """In the job worker, with METRICS_PORT: its metrics (failed jobs, the queue) on
    METRICS_BIND:METRICS_PORT, from a thread of its own."""
    REGISTRY.register(JobQueueCollector(app.config["JOB_QUEUE_URL"], queue))
    start_http_server(app.config["METRICS_PORT"], addr=app.config["METRICS_BIND"])
