"""OpenTelemetry traces: off unless OTEL_TRACES_EXPORTER is set; then a request is a server span
named by its route template, the child of an incoming traceparent, with its SQL as child spans,
and the JSON log lines carry its trace and span ids.

Tracing is set up once per process, so each case runs the app in a process of its own: a child
Python process with the SDK's in-memory exporter, or gunicorn with the console exporter.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

from tests.database import scratch_database
from tests.fleet import call, log_in
from tests.live_server import ROOT, SECRET, live_api, run

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
BY_ID = "GET /bucketlists/<id:bucketlist_id>"

IN_PROCESS = """
import json, logging
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from app import create_app
from app.observability import JsonFormatter

app = create_app("production")
memory = InMemorySpanExporter()
provider = trace.get_tracer_provider()
if hasattr(provider, "add_span_processor"):  # an SDK provider: tracing is on
    provider.add_span_processor(SimpleSpanProcessor(memory))
logged = []

@app.after_request
def log_a_line(response):
    record = logging.LogRecord("app", logging.INFO, "traced.py", 1, "in the request", None, None)
    logged.append(json.loads(JsonFormatter().format(record)))
    return response

client = app.test_client()
user = {"email": "traced@example.com", "password": "traced password"}
client.post("/auth/register", json=user)
token = client.post("/auth/login", json=user).get_json()["access_token"]
auth = {"Authorization": "Bearer " + token}
created = client.post("/bucketlists/", json={"name": "Traced"}, headers=auth).get_json()
memory.clear()
logged.clear()
client.get(f"/bucketlists/{created['id']}", headers={**auth, "traceparent": TRACEPARENT})
spans = [{"name": s.name, "trace_id": format(s.context.trace_id, "032x"),
          "span_id": format(s.context.span_id, "016x"),
          "parent_id": s.parent and format(s.parent.span_id, "016x"), "kind": s.kind.name,
          "statement": s.attributes.get("db.statement")}
         for s in memory.get_finished_spans()]
print(json.dumps({"spans": spans, "logged": logged}))
"""


def migrated_env(url: str, **extra) -> dict:
    env = {"APP_SETTINGS": "production", "DATABASE_URL": url, "SECRET": SECRET,
           "BCRYPT_LOG_ROUNDS": "4", **extra}
    upgrade = run(sys.executable, "manage.py", "db", "upgrade", **env)
    assert upgrade.returncode == 0, upgrade.stderr
    return env


class InProcessTracingTestCase(unittest.TestCase):
    """The spans of one GET by id, read from the SDK's in-memory exporter."""

    def run_app(self, **extra) -> dict:
        with scratch_database() as url:
            env = migrated_env(url, **extra)
            script = f"TRACEPARENT = {TRACEPARENT!r}\n{IN_PROCESS}"
            result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                                    text=True, timeout=120, env={**os.environ, **env})
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        (line,) = [line for line in result.stdout.splitlines() if line.startswith('{"spans"')]
        return json.loads(line)

    def test_get_by_id_is_a_child_of_the_traceparent_with_its_sql_as_children(self):
        seen = self.run_app(OTEL_TRACES_EXPORTER="console", OTEL_BSP_SCHEDULE_DELAY="600000")
        spans = seen["spans"]
        server = [span for span in spans if span["kind"] == "SERVER"]
        self.assertEqual([span["name"] for span in server], [BY_ID])
        self.assertEqual((server[0]["trace_id"], server[0]["parent_id"]), (TRACE_ID, PARENT_ID))
        sql = [span for span in spans if span["statement"]]
        self.assertGreaterEqual(len(sql), 2)  # the caller, then the bucketlist with its goals
        for span in sql:
            self.assertEqual((span["trace_id"], span["parent_id"], span["kind"]),
                             (TRACE_ID, server[0]["span_id"], "CLIENT"))
        self.assertTrue(any("bucketlists" in span["statement"] for span in sql))
        (line,) = seen["logged"]
        self.assertEqual((line["trace_id"], line["span_id"]), (TRACE_ID, server[0]["span_id"]))

    def test_without_otel_traces_exporter_nothing_is_traced(self):
        seen = self.run_app()
        self.assertEqual(seen["spans"], [])
        self.assertNotIn("trace_id", seen["logged"][0])


class GunicornConsoleTracingTestCase(unittest.TestCase):
    """Under gunicorn, OTEL_TRACES_EXPORTER=console prints the spans; the access line carries
    the trace and span ids."""

    def test_the_console_exporter_prints_the_span_tree(self):
        with tempfile.TemporaryFile("w+") as out, live_api(stdout=out, extra_env={
                "OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "bucketlist-api",
                "OTEL_BSP_SCHEDULE_DELAY": "100"}) as base:
            token = log_in(base, "traced@example.com")
            _, created, _ = call(base, "POST", "/bucketlists/", {"name": "Traced"}, token)
            status, _, _ = call(base, "GET", f"/bucketlists/{created['id']}", token=token,
                                headers={"traceparent": TRACEPARENT})
            self.assertEqual(status, 200)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                out.seek(0)
                text = out.read()
                if f'"name": "{BY_ID}"' in text and f'"trace_id": "{TRACE_ID}"' in text:
                    break
                time.sleep(0.2)
        spans = [json.loads(chunk) for chunk in split_json_objects(text)
                 if '"trace_id"' in chunk and '"kind"' in chunk]
        traced = [span for span in spans if span["context"]["trace_id"] == "0x" + TRACE_ID]
        server = [span for span in traced if span["kind"] == "SpanKind.SERVER"]
        self.assertEqual([span["name"] for span in server], [BY_ID])
        self.assertEqual(server[0]["parent_id"], "0x" + PARENT_ID)
        self.assertEqual(server[0]["resource"]["attributes"]["service.name"], "bucketlist-api")
        children = [span for span in traced if span["parent_id"] == server[0]["context"]["span_id"]]
        self.assertTrue(any("bucketlists" in span["attributes"].get("db.statement", "")
                            for span in children))
        access = [json.loads(line) for line in text.splitlines()
                  if line.startswith('{"time"') and f'"trace_id": "{TRACE_ID}"' in line]
        self.assertEqual([line["path"] for line in access], [f"/bucketlists/{created['id']}"])
        self.assertEqual(access[0]["span_id"], server[0]["context"]["span_id"][2:])



def split_json_objects(text: str) -> list[str]:
    """The top-level JSON objects in text that also holds other lines (the console exporter
    prints each span as indented JSON)."""
    objects, depth, start = [], 0, None
    for index, char in enumerate(text):
        if char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                objects.append(text[start:index + 1])
    return objects
