"""Request ids and logs: every response carries X-Request-ID, every log line names it.

A well-formed X-Request-ID from the client (or a proxy) is kept, so one id follows a request
through every hop; otherwise one is made. Log records get `request_id`, and with LOG_FORMAT=json
(the production default) every line is one JSON object.
"""

import json
import logging
import logging.config
import re
import secrets

from flask import Flask, g, has_request_context, request
from opentelemetry import trace

REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def assign_request_id() -> None:
    """Before the request: keep the caller's id if it is well-formed, else make one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if VALID_REQUEST_ID.fullmatch(given) else secrets.token_hex(16)


def echo_request_id(response):
    """After the request: the id goes back to the caller."""
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (or "-") to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def trace_ids() -> dict:
    """`trace_id` and `span_id` of the span the line is logged in, when OpenTelemetry traces
    (app/tracing.py); nothing otherwise."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": format(context.trace_id, "032x"),
            "span_id": format(context.span_id, "016x")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id (and trace and span
    ids when traced), exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update(trace_ids())
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


# The app's loggers whose INFO lines belong in the log (the others say only warnings and errors):
# the rate limits say there when their lost Redis is back.
INFO_LOGGERS = ("app.auth.throttling",)
TEXT_FORMAT = "[%(asctime)s] %(levelname)s in %(module)s: %(message)s"


def configure_logging(log_format: str) -> None:
    """The app's log in one handler on the request's error stream (gunicorn's error log, or
    stderr), with the request id, as text or JSON lines.

    dictConfig replaces what an earlier call configured, so creating many apps in one process
    (as the tests do) leaves one handler with one filter, not one more each time.
    """
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}, "text": {"format": TEXT_FORMAT}},
        "handlers": {"app": {"class": "logging.StreamHandler",
                             "stream": "ext://flask.logging.wsgi_errors_stream",
                             "filters": ["request_id"], "formatter": log_format}},
        "loggers": {
            "app": {"handlers": ["app"]},
            **{name: {"level": "INFO"} for name in INFO_LOGGERS},
        },
    })


def init_app(app: Flask) -> None:
    """Install the request id hooks and the log configuration (LOG_FORMAT: json or text)."""
    app.before_request(assign_request_id)
    app.after_request(echo_request_id)
    configure_logging(app.config["LOG_FORMAT"])
