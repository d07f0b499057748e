"""OpenTelemetry traces, configured only by the standard OTEL_* environment variables.

Off unless OTEL_TRACES_EXPORTER names an exporter: `otlp` (OTLP over HTTP to
OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318) or `console` (spans printed on
standard output), or both, comma-separated. Then each request is a server span named by its
method and route template (`GET /bucketlists/<id:bucketlist_id>`), the child of an incoming W3C
`traceparent`, with every SQL statement a child span; OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
OTEL_TRACES_SAMPLER, OTEL_BSP_* and the other OTEL_EXPORTER_OTLP_* settings work as the
OpenTelemetry SDK documents them. Log lines then carry `trace_id` and `span_id`.

The tracer provider is made once per process (a gunicorn worker makes its own after the fork,
since the span exporter's thread does not survive one).
"""

import os

from flask import Flask, request
from opentelemetry import trace
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

from app.database import db
from app.observability import trace_ids
from instance.config import ConfigError

EXPORTERS_VARIABLE = "OTEL_TRACES_EXPORTER"
# What the gunicorn access log reads the request's trace from (gunicorn.conf.py).
TRACE_ENVIRON_KEY = "bucketlist.trace"
_provider: TracerProvider | None = None


def exporter_names() -> list[str]:
    """The exporters OTEL_TRACES_EXPORTER names; none when it is unset or `none`."""
    names = [name.strip() for name in os.environ.get(EXPORTERS_VARIABLE, "").split(",")]
    return [name for name in names if name and name != "none"]


def make_exporter(name: str):
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    raise ConfigError(f"{EXPORTERS_VARIABLE} names {name!r}: use otlp, console or none.")


def tracer_provider(names: list[str]) -> TracerProvider:
    """This process's tracer provider, made on first use from the environment."""
    global _provider
    if _provider is None:
        provider = TracerProvider(resource=Resource.create())
        for name in names:
            provider.add_span_processor(BatchSpanProcessor(make_exporter(name)))
        trace.set_tracer_provider(provider)
        _provider = provider
    return _provider


def remember_trace(response):
    """After the request: its trace and span ids for gunicorn's access log line."""
    request.environ[TRACE_ENVIRON_KEY] = trace_ids()
    return response


def init_app(app: Flask) -> None:
    """Trace the app's requests and SQL when OTEL_TRACES_EXPORTER names an exporter."""
    names = exporter_names()
    if not names:
        return
    provider = tracer_provider(names)
    FlaskInstrumentor().instrument_app(app, tracer_provider=provider)
    with app.app_context():
        engine = db.engine
    # The instrumentation's dependency check refuses SQLAlchemy 2.1, which it traces well.
    SQLAlchemyInstrumentor().instrument(engine=engine, tracer_provider=provider,
                                        skip_dep_check=True)
    app.after_request(remember_trace)
