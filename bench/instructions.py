"""Benchmark: CPU instructions the app's process spends on one GET /bucketlists/<id>, counted.

    .venv/bin/python bench/instructions.py [--requests 900] [--floors] [--metrics] [--limits-off]
    .venv/bin/python bench/instructions.py --layers [--requests 300]

Timings on a shared machine move by 10-20% between runs; instruction counts do not. This runs the
app in-process (the WSGI call, the real views, queries and hooks, a real PostgreSQL:
TEST_DATABASE_URL or a throwaway one) under valgrind's callgrind twice, once without and once with
`--requests` GETs of a bucketlist with three goals, and prints the difference per request: the
Python side of the request (PostgreSQL's own work is not counted). The app runs with what
production ships: rate limiting on, counted in memory:// (RATELIMIT_ENABLED and
RATELIMIT_STORAGE_URI's defaults); --limits-off also counts it with RATELIMIT_ENABLED=false.
Needs valgrind (`apt-get install valgrind`). Compare two versions by running it on each.

With --floors it counts the same for bench/floor_app.py (bare WSGI) and bench/flask_floor_app.py
(the floor's code through bare Flask) on the same data, and prints each one's share of the
project's count: what the project could save at best, and what Flask alone costs. With --metrics
it also counts the project with Prometheus metrics on (METRICS_PORT, values written to a
PROMETHEUS_MULTIPROC_DIR as gunicorn's workers write them): what the metrics cost a request.
With --layers it counts instead GET by id and a create layer by layer: Werkzeug and Flask,
the rate limits, the hooks, the views, marshmallow, PyJWT, SQLAlchemy and psycopg2 (see
bench/layers.py for how).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import ROOT, machine
from bench.layers import layers, print_table
from tests.database import ensure_test_database, scratch_database


def bench_app():
    """The app as production runs it (rate limiting on, counted in memory://; BENCH_OVERRIDES
    may change its config), its database migrated, a user logged in with a bucketlist of three
    goals: the app, the user's headers and the bucketlist's id."""
    from flask_migrate import upgrade

    from app import create_app

    overrides = {"TOKEN_LIFETIME_SECONDS": 3600, "RATELIMIT_ENABLED": True,
                 "RATELIMIT_STORAGE_URI": "memory://",
                 "REGISTER_LIMIT_PER_CLIENT": "1000 per minute",
                 "LOGIN_LIMIT_PER_CLIENT": "1000 per minute",
                 **json.loads(os.environ.get("BENCH_OVERRIDES", "{}"))}
    app = create_app("testing", overrides=overrides)
    app.debug = False
    with app.app_context():
        upgrade()
    client = app.test_client()
    user = {"email": "count@example.com", "password": "count password"}
    client.post("/auth/register", json=user)
    token = client.post("/auth/login", json=user).get_json()["access_token"]
    headers = {"Authorization": "Bearer " + token}
    bucketlist = client.post("/bucketlists/", json={"name": "Go to Borabora for vacation"},
                             headers=headers).get_json()
    for number in range(3):
        client.post(f"/bucketlists/{bucketlist['id']}/items/", json={"name": f"goal {number}"},
                    headers=headers)
    return app, headers, bucketlist["id"]


CLIENT = """
import importlib, os, sys
from werkzeug.test import EnvironBuilder
from bench.instructions import bench_app
app, headers, bucketlist_id = bench_app()
environ = EnvironBuilder(path=f"/bucketlists/{bucketlist_id}", headers=headers).get_environ()
if sys.argv[2] != "run:app":  # a floor, reading the same database with the same secret
    os.environ["SECRET"] = app.config["SECRET"]
    os.environ["BENCH_DSN"] = app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg2", "")
    module, _, name = sys.argv[2].partition(":")
    app = getattr(importlib.import_module(module), name)

def get():
    statuses = []
    body = app(dict(environ), lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    assert statuses[0].startswith("200"), statuses

for _ in range(20 + int(sys.argv[1])):
    get()
"""


APPS = {"project": "run:app", "bare WSGI floor": "bench.floor_app:app",
        "floor through bare Flask": "bench.flask_floor_app:app"}


def instructions(requests: int, database_url: str, app: str = "run:app",
                 metrics: bool = False, overrides: dict | None = None) -> int:
    """The instructions callgrind counted for the client run with `requests` GETs of `app`
    (with Prometheus metrics on, as gunicorn's workers record them, if `metrics`; with these
    config `overrides`)."""
    env = {**os.environ, "TEST_DATABASE_URL": database_url, "PYTHONHASHSEED": "0"}
    overrides = dict(overrides or {})
    if metrics:
        overrides["METRICS_PORT"] = 9100
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="bucketlist-bench-metrics-")
    env["BENCH_OVERRIDES"] = json.dumps(overrides)
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c",
         CLIENT, str(requests), app], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", result.stderr)[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=900)
    parser.add_argument("--floors", action="store_true", help="count the two floors too")
    parser.add_argument("--metrics", action="store_true",
                        help="count the project with Prometheus metrics on too")
    parser.add_argument("--limits-off", action="store_true",
                        help="count the project with RATELIMIT_ENABLED=false too")
    parser.add_argument("--layers", action="store_true",
                        help="count GET by id and a create layer by layer (bench/layers.py)")
    args = parser.parse_args()
    ensure_test_database()
    if args.layers:
        print(machine())
        print_table(layers(args.requests, scratch_database))
        return
    apps = {name: (app, False, None) for name, app in APPS.items()
            if args.floors or name == "project"}
    if args.metrics:
        apps["project, metrics on"] = ("run:app", True, None)
    if args.limits_off:
        apps["project, rate limiting off"] = ("run:app", False, {"RATELIMIT_ENABLED": False})
    counts = {}
    for name, (app, metrics, overrides) in apps.items():
        with scratch_database() as empty, scratch_database() as loaded:
            baseline = instructions(0, empty, app, metrics, overrides)
            total = instructions(args.requests, loaded, app, metrics, overrides)
        counts[name] = (total - baseline) / args.requests
    print(machine())
    print(f"GET /bucketlists/<id>, million instructions per request in the app's process "
          f"({args.requests} requests, callgrind):")
    for name, count in counts.items():
        share = f"  ({count / counts['project']:.2f} of the project's)" if name != "project" else ""
        print(f"  {name:26} {count / 1e6:6.3f}{share}")


if __name__ == "__main__":
    main()
