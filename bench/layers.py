"""Benchmark: the instructions of one request, layer by layer (`bench/instructions.py --layers`).

For GET /bucketlists/<id> (three goals) and POST /bucketlists/ (a create), callgrind counts each
layer of the app's process on its own: Werkzeug and Flask, the rate limits, the app's request hooks,
the views (flask-smorest, webargs and the app's own view code), marshmallow, PyJWT, SQLAlchemy and
the psycopg2 driver. The layers add up to the whole request.

How a layer is counted, with public means only. In the measuring process, the functions through
which a layer is entered (a layer's *entries*) are called through `operator.call`, and those of
the layers nested in it through `sys.call_tracing` (two C functions nothing else in the request
calls); callgrind runs with `--collect-atstart=no` and toggles collection on entering and leaving
either: it turns on when an entry of the layer is entered, off inside a nested layer and on again
when that returns, off when the entry returns. What is counted is the layer's own work. (Callgrind
toggles only at the outermost call of a C function, so the two must differ.) The entries:

- the request: the WSGI call and the reading of its body;
- the rate limits: `app.auth.throttling.check`, which a throttled view calls (neither of these
  two is throttled: with Flask-Limiter, before, its request hooks were counted here);
- the app's hooks: those in `app.before_request_funcs`, `after_request_funcs` and
  `teardown_request_funcs` (request id, security headers, the browsable API, metrics when on);
- the views: `app.dispatch_request` (the view with its decorators, and the commit after it);
- SQLAlchemy: the `Session` methods a request uses, `Connection.execute`, the reading of results
  (`Result.all`, `first`, `one`, `scalar`…, where rows are fetched and ORM objects made) and
  Flask-SQLAlchemy's teardown (the session's end); psycopg2: the dialect's `do_execute`,
  `do_commit`, `do_rollback` and `do_ping` (sending the statement, waiting, reading the answer;
  turning rows into Python values happens when SQLAlchemy fetches them and is counted there);
- marshmallow: `Schema.dump`, `load` and `validate`; PyJWT: `jwt.encode` and `jwt.decode`.

The wrappers' own few hundred instructions per call fall in the layer that calls them: the layers
add up to about 4 % more than `bench/instructions.py` counts for the request without them.
"""

import concurrent.futures
import functools
import json
import operator
import os
import re
import subprocess
import sys

import jwt
import marshmallow
from sqlalchemy.engine import Connection, Result, ScalarResult
from sqlalchemy.orm import Session

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import ROOT

SESSION_METHODS = ("execute", "scalars", "scalar", "get", "commit", "rollback", "flush", "close")
# Rows are fetched, and ORM objects made of them, when a result is read, after execute returned.
RESULT_METHODS = ("all", "first", "one", "one_or_none", "scalar", "scalar_one",
                  "scalar_one_or_none")
DRIVER_METHODS = ("do_execute", "do_execute_no_params", "do_commit", "do_rollback", "do_ping")
HOOK_LISTS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")
# Each layer: what enters it, and the layers whose work inside it is not its own.
LAYERS = {
    "Werkzeug and Flask": ("request", ("hooks", "views", "teardown")),
    "rate limits": ("limits", ()),
    "the app's hooks": ("hooks", ()),
    "flask-smorest, webargs, the views": ("views", ("limits", "session", "marshmallow", "jwt")),
    "marshmallow": ("marshmallow", ()),
    "PyJWT": ("jwt", ()),
    "SQLAlchemy": (("session", "teardown"), ("driver",)),
    "psycopg2": ("driver", ()),
}
OPERATIONS = ("GET /bucketlists/<id>", "POST /bucketlists/")


class Toggle:
    """The calls of one layer counted (its entries turn collection on), except those of the
    layers nested in it (theirs turn it off again)."""

    def __init__(self):
        self.depth = {"outer": 0, "inner": 0}

    def wrap(self, func, inner: bool):
        key = "inner" if inner else "outer"

        @functools.wraps(func)
        def counted(*args, **kwargs):
            depth = self.depth
            toggles = depth["outer"] and not depth["inner"] if inner else not depth["outer"]
            if not toggles:
                return func(*args, **kwargs)
            depth[key] += 1
            try:
                if inner:
                    return sys.call_tracing(lambda: func(*args, **kwargs), ())
                return operator.call(func, *args, **kwargs)
            finally:
                depth[key] -= 1

        return counted


def hook_kind(func) -> str:
    """Whose request hook this is: Flask-SQLAlchemy's or the app's."""
    module = getattr(getattr(func, "func", func), "__module__", "") or ""
    return "teardown" if module.startswith("flask_sqlalchemy") else "hooks"


def install(app, layer: str):
    """Route the entries of `layer` through `operator.call` and those of the layers nested in it
    through `sys.call_tracing`; return the request call (itself an entry when the layer is the
    request's own)."""
    from app.auth import throttling
    from app.database import db

    outer, nested = LAYERS[layer]
    outer = {outer} if isinstance(outer, str) else set(outer)
    toggle = Toggle()

    def role(kind):
        return None if kind not in outer | set(nested) else kind not in outer

    def entry(kind, func):
        inner = role(kind)
        return func if inner is None else toggle.wrap(func, inner)

    for name in HOOK_LISTS:
        for functions in getattr(app, name).values():
            functions[:] = [entry(hook_kind(func), func) for func in functions]
    app.teardown_appcontext_funcs[:] = [entry(hook_kind(func), func)
                                        for func in app.teardown_appcontext_funcs]
    app.dispatch_request = entry("views", app.dispatch_request)
    throttling.check = entry("limits", throttling.check)
    for method in SESSION_METHODS:
        setattr(Session, method, entry("session", getattr(Session, method)))
    Connection.execute = entry("session", Connection.execute)
    for result in (Result, ScalarResult):
        for method in RESULT_METHODS:
            if hasattr(result, method):
                setattr(result, method, entry("session", getattr(result, method)))
    with app.app_context():
        dialect = db.engine.dialect
    for method in DRIVER_METHODS:
        setattr(dialect, method, entry("driver", getattr(dialect, method)))
    schema = marshmallow.Schema
    for method in ("dump", "load", "validate"):
        setattr(schema, method, entry("marshmallow", getattr(schema, method)))
    for name in ("encode", "decode"):
        setattr(jwt, name, entry("jwt", getattr(jwt, name)))

    def request(environ):
        statuses = []
        body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
        b"".join(body)
        body.close()
        return statuses[0]

    return entry("request", request)


def client(layer: str, operation: str, requests: int) -> None:
    """Run in callgrind: set up the app and its data, count `requests` of `operation`."""
    from werkzeug.test import EnvironBuilder

    from bench.instructions import bench_app

    app, headers, bucketlist_id = bench_app()
    if operation == OPERATIONS[0]:
        def environ(number):
            return EnvironBuilder(path=f"/bucketlists/{bucketlist_id}", headers=headers)
        expected = "200"
    else:
        def environ(number):
            return EnvironBuilder(path="/bucketlists/", method="POST", headers=headers,
                                  json={"name": f"Learn to juggle, try {number}"})
        expected = "201"
    for number in range(20):  # warm-up, not counted
        b"".join(app(environ(-number).get_environ(), lambda *args: None))
    request = install(app, layer)
    for number in range(requests):
        status = request(environ(number).get_environ())
        assert status.startswith(expected), status


def count(layer: str, operation: str, requests: int, database_url: str) -> int:
    """The instructions callgrind counted in `layer` over `requests` of `operation`."""
    env = {**os.environ, "TEST_DATABASE_URL": database_url, "PYTHONHASHSEED": "0",
           "BENCH_OVERRIDES": json.dumps({"MAX_BUCKETLISTS_PER_USER": requests + 100})}
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", "--collect-atstart=no",
         "--toggle-collect=_operator_call", "--toggle-collect=sys_call_tracing",
         sys.executable, "-m", "bench.layers", layer, operation, str(requests)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"{layer}, {operation}: {result.stderr[-2000:]}")
    return int(re.search(r"Collected : (\d+)", result.stderr)[1])


def layers(requests: int, scratch_database) -> dict:
    """Million instructions per request, by operation and layer."""

    def one(job):
        layer, operation = job
        with scratch_database() as url:
            return job, count(layer, operation, requests, url) / requests / 1e6

    jobs = [(layer, operation) for operation in OPERATIONS for layer in LAYERS]
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counted = dict(pool.map(one, jobs))
    return {operation: {layer: counted[layer, operation] for layer in LAYERS}
            for operation in OPERATIONS}


def print_table(table: dict) -> None:
    print("Million instructions per request in the app's process, by layer (callgrind):")
    print(f"  {'layer':36}" + "".join(f"{operation:>24}" for operation in table))
    for layer in LAYERS:
        print(f"  {layer:36}" + "".join(f"{table[op][layer]:24.3f}" for op in table))
    print(f"  {'the whole request':36}"
          + "".join(f"{sum(table[op].values()):24.3f}" for op in table))


if __name__ == "__main__":
    client(sys.argv[1], sys.argv[2], int(sys.argv[3]))
