"""Gunicorn settings for production: `gunicorn "run:app"` (or `make serve`) reads this file.

Every setting can be changed from the environment:
  GUNICORN_BIND            where to listen (default 127.0.0.1:8000; HOST and PORT also work)
  GUNICORN_WORKERS         processes (default 2 x cores; WEB_CONCURRENCY also works)
  GUNICORN_THREADS         threads per process (default 1; more than 1 means gthread workers)
  GUNICORN_WORKER_CLASS    sync (default) or gthread
  GUNICORN_TIMEOUT         seconds before a silent worker is restarted (default 30)
  GUNICORN_GRACEFUL_TIMEOUT  seconds to finish requests on shutdown or reload (default 30)
  GUNICORN_ACCESS_LOG      "-" for stdout (default), a file path, or "off"
  GUNICORN_CONTROL_SOCKET  a path for gunicorn's control socket (gunicornc); default none

Limits gunicorn enforces itself, before the app sees a request (its defaults, set here to be
seen): a request line (method, URL, version) of at most 4094 bytes, else 414; at most 100 header
fields of at most 8190 bytes each, else 431. Those answers, and the 400 for a request that is not
valid HTTP, are JSON `{"message": ...}` like every answer of the app (JsonErrors below). nginx in
front (deploy/nginx/bucketlist.conf) has limits of its own and answers JSON too.

Which scheme a request came with is the app's decision alone (ProxyFix, following PROXY_COUNT and
PROXY_TRUST_PROTO): gunicorn is told to believe no X-Forwarded-Proto, -Protocol or -Ssl header.
"""

import glob
import json
import multiprocessing
import os
import re
import tempfile

from gunicorn.glogging import Logger
from gunicorn.http.errors import (
    InvalidHeader,
    InvalidHeaderName,
    InvalidHTTPVersion,
    InvalidRequestLine,
    InvalidRequestMethod,
    LimitRequestHeaders,
    LimitRequestLine,
    ObsoleteFolding,
)
from gunicorn.util import write_nonblock
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker


def _int(name: str, default: int) -> int:
    return int(os.getenv(name, default))


bind = os.getenv("GUNICORN_BIND") or f"{os.getenv('HOST', '127.0.0.1')}:{os.getenv('PORT', '8000')}"
# Measured on 2 cores (docs/benchmarks.md): 2 x cores single-threaded workers served the API
# 30-60% faster than 2 x cores + 1 workers with 2 threads each, which spend more in switching.
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = _int("GUNICORN_THREADS", 1)
# A sync worker takes a connection only when it is free and closes it after the answer, so the
# load spreads evenly. gthread workers keep connections alive, but each keeps every connection it
# accepted, busy or not: under 64 keep-alive connections one of four did most of the work
# (make bench, docs/benchmarks.md: p99 595 ms and 495 requests/s with gthread, 158 ms and 617/s
# with sync). Slow clients hold a sync worker, so on the internet put a buffering proxy (nginx)
# in front.
worker_class_name = os.getenv("GUNICORN_WORKER_CLASS", "sync")
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (a stop or restart) and SIGHUP (a reload), each worker finishes the request it is
# serving and takes no other; it is killed after graceful_timeout. At least `timeout`, so that no
# request a worker may still run is cut short (docs/deployment.md, "Rolling restarts").
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # gthread only
_access_log = os.getenv("GUNICORN_ACCESS_LOG", "-")
accesslog = None if _access_log == "off" else _access_log
errorlog = "-"
# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), which
# several instances on one machine would share, and which a container's user may not write.
control_socket = os.getenv("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
# gunicorn would otherwise set the scheme from a loopback client's own X-Forwarded-Proto.
secure_scheme_headers = {}
forwarded_allow_ips = ""
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# A query parameter whose name holds "token" (a password reset link mailed before the token moved
# to the link's fragment, an OAuth-style ?access_token=) is logged as this.
MASKED = "[masked]"
TOKEN_PARAMETER = re.compile(r"(^|&)([^&=]*token[^&=]*=)[^&]*", re.IGNORECASE)


def masked_query(query: str) -> str:
    """The query string with the value of every *token* parameter masked."""
    return TOKEN_PARAMETER.sub(lambda match: match[1] + match[2] + MASKED, query)


class JsonAccessLogger(Logger):
    """One JSON object per request, with the X-Request-ID the app answered with."""

    def access(self, resp, req, environ, request_time):
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        headers = {name.lower(): value for name, value in resp.headers}
        entry = {
            "time": self.now(),
            "remote": environ.get("REMOTE_ADDR", "-"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": masked_query(environ.get("QUERY_STRING", "")),
            "status": resp.status_code,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "request_id": headers.get("x-request-id", "-"),
            "user_agent": environ.get("HTTP_USER_AGENT", "-"),
            # trace_id and span_id when OpenTelemetry traces the request (app/tracing.py)
            **environ.get("bucketlist.trace", {}),
        }
        try:
            self.access_log.info(json.dumps(entry))
        except Exception:  # a log line must never break a response
            self.exception("Failed to write the access log")


logger_class = JsonAccessLogger


# What gunicorn answers itself, by the error it meets reading a request.
GUNICORN_ERRORS = {
    LimitRequestLine: (414, "URI Too Long",
                       "The request line (method, URL and version) is too long: the limit is "
                       f"{limit_request_line} bytes."),
    LimitRequestHeaders: (431, "Request Header Fields Too Large",
                          f"The request's headers are too large: at most {limit_request_fields} "
                          f"fields of at most {limit_request_field_size} bytes each."),
}
NOT_HTTP = (InvalidRequestLine, InvalidRequestMethod, InvalidHTTPVersion, InvalidHeader,
            InvalidHeaderName, ObsoleteFolding)


class JsonErrors:
    """For gunicorn's workers: the answers gunicorn gives itself, to a request over its limits or
    that is not valid HTTP, are the app's JSON error shape rather than an HTML page."""

    def handle_error(self, req, client, addr, exc):
        if isinstance(exc, NOT_HTTP):
            status, reason, message = 400, "Bad Request", f"The request is not valid HTTP: {exc}"
        elif type(exc) in GUNICORN_ERRORS:
            status, reason, message = GUNICORN_ERRORS[type(exc)]
        else:
            return super().handle_error(req, client, addr, exc)
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        body = json.dumps({"message": message}).encode()
        head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        try:
            write_nonblock(client, head.encode("latin-1") + body)
        except OSError:
            self.log.debug("Failed to send error message.")


class JsonErrorsSyncWorker(JsonErrors, SyncWorker):
    """gunicorn's sync worker, with JSON errors."""


class JsonErrorsThreadWorker(JsonErrors, ThreadWorker):
    """gunicorn's gthread worker, with JSON errors."""


WORKER_CLASSES = {"sync": JsonErrorsSyncWorker, "gthread": JsonErrorsThreadWorker}
if worker_class_name not in WORKER_CLASSES:
    raise SystemExit(f"GUNICORN_WORKER_CLASS must be sync or gthread, got {worker_class_name!r}")
worker_class = WORKER_CLASSES[worker_class_name]

# Prometheus metrics (app/metrics.py), with METRICS_PORT: the workers write their values to a
# directory (PROMETHEUS_MULTIPROC_DIR, set here before any of them imports prometheus_client,
# and emptied of an earlier run's files), and the master serves their sum at /metrics on
# METRICS_BIND:METRICS_PORT — never on the API's port.
metrics_port = os.getenv("METRICS_PORT")
if metrics_port:
    metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                        tempfile.mkdtemp(prefix="bucketlist-metrics-"))
    os.makedirs(metrics_dir, exist_ok=True)
    for stale in glob.glob(os.path.join(metrics_dir, "*.db")):
        os.remove(stale)


def when_ready(server) -> None:
    """The master serves the workers' metrics, once it listens for the API."""
    if metrics_port:
        from prometheus_client import CollectorRegistry, multiprocess, start_http_server

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(int(metrics_port), addr=os.getenv("METRICS_BIND", "127.0.0.1"),
                          registry=registry)


def child_exit(server, worker) -> None:
    """A worker that exits leaves its counts in the sum, and its live gauges out of it."""
    if metrics_port:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
