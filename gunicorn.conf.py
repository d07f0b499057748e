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
"""

import json
import multiprocessing
import os

from gunicorn.glogging import Logger


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
worker_class = os.getenv("GUNICORN_WORKER_CLASS", "sync")
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # gthread only
_access_log = os.getenv("GUNICORN_ACCESS_LOG", "-")
accesslog = None if _access_log == "off" else _access_log
errorlog = "-"
# gunicorn's control socket defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl), which
# several instances on one machine would share, and which a container's user may not write.
control_socket = os.getenv("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
forwarded_allow_ips = os.getenv("FORWARDED_ALLOW_IPS", "127.0.0.1")


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
            "query": environ.get("QUERY_STRING", ""),
            "status": resp.status_code,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "request_id": headers.get("x-request-id", "-"),
            "user_agent": environ.get("HTTP_USER_AGENT", "-"),
        }
        try:
            self.access_log.info(json.dumps(entry))
        except Exception:  # a log line must never break a response
            self.exception("Failed to write the access log")


logger_class = JsonAccessLogger
