"""Benchmark: GET /bucketlists/<id> throughput of the project against a floor and a FastAPI peer.

    .venv/bin/python bench/speed.py [--seconds 10] [--connections 32] [--flask-floor] [--metrics]
                                    [--limits-off]

The project and the floor answer the same JSON and ETag (checked, as the peer does) and run
under gunicorn with the same settings (gunicorn.conf.py defaults for this machine) on the same
PostgreSQL, loaded by wrk (Debian's package) with the same token, alternately, twice each. The
project runs as production ships it: rate limiting on (counted in memory://) and gunicorn's JSON
access log written (to /dev/null); --limits-off adds a run with RATELIMIT_ENABLED=false
beside it. The peer (bench/fastapi_peer.py) is the same endpoint written as
full-stack-fastapi-template writes one, served by uvicorn with as many worker processes (as
`fastapi run --workers` serves it; its access log written too).

Prints requests per second of each, the ratio project / floor and project / peer. With
--flask-floor it also serves bench/flask_floor_app.py (the floor's code answered through bare
Flask), which shows how much of the gap is Flask's own; with --metrics, the project with
Prometheus metrics on (METRICS_PORT), which shows what they cost (bench/instructions.py --metrics
counts it exactly).
"""

import argparse
import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import (
    WORKER_CLASS,
    Postgres,
    free_port,
    gunicorn,
    machine,
    migrate,
    uvicorn,
    wrk,
)

# What production runs with, where bench/common.py's gunicorn() differs: limits on, access log on.
PRODUCTION = {"RATELIMIT_ENABLED": "true", "GUNICORN_ACCESS_LOG": "-"}
# The floors are served the same way: gunicorn writes their access log too (a route without a
# limit needs no limiter, so the floors have none).
FLOOR = {"GUNICORN_ACCESS_LOG": "-"}
# gunicorn.conf.py's defaults for this machine, unless BENCH_WORKERS / BENCH_THREADS say otherwise.
WORKERS = int(os.getenv("BENCH_WORKERS", os.cpu_count() * 2))
THREADS = int(os.getenv("BENCH_THREADS", "1"))


def call(base, path, body=None, token=None, method=None, with_etag=False):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
        return (answer, response.headers["ETag"]) if with_etag else answer


def seed(base) -> tuple[str, int]:
    """A user with a bucketlist of three goals; their token and the bucketlist's id."""
    user = {"email": "speed@example.com", "password": "speed password"}
    call(base, "/auth/register", user)
    token = call(base, "/auth/login", user)["access_token"]
    bucketlist = call(base, "/bucketlists/", {"name": "Go to Borabora for vacation"}, token)
    for name, done in [("Book the flight", True), ("Learn to dive", False), ("Pack", False)]:
        call(base, f"/bucketlists/{bucketlist['id']}/items/", {"name": name, "done": done}, token)
    return token, bucketlist["id"]


def measure(seconds: int = 10, connections: int = 32, flask_floor: bool = False,
            metrics: bool = False, limits_off: bool = False) -> dict:
    database = Postgres()
    try:
        migrate(database.url)
        apps = [("project", "run:app", PRODUCTION), ("floor", "bench.floor_app:app", FLOOR),
                ("FastAPI peer", "bench.fastapi_peer:app", None)]
        if flask_floor:
            apps.append(("flask floor", "bench.flask_floor_app:app", FLOOR))
        if metrics:
            apps.append(("project with metrics", "run:app",
                         {**PRODUCTION, "METRICS_PORT": str(free_port())}))
        if limits_off:
            apps.append(("project, rate limiting off", "run:app",
                         {**PRODUCTION, "RATELIMIT_ENABLED": "false"}))
        results = {name: [] for name, _, _ in apps}
        env = {"TOKEN_LIFETIME_SECONDS": "3600"}
        with gunicorn("run:app", database.url, workers=WORKERS, threads=THREADS,
                      extra_env=env) as base:
            token, bucketlist_id = seed(base)
            project_answer = call(base, f"/bucketlists/{bucketlist_id}", token=token,
                                  with_etag=True)
        path = f"/bucketlists/{bucketlist_id}"
        for _ in range(2):
            for name, app, app_env in apps:
                if app_env is None:
                    server = uvicorn(app, database.url, workers=WORKERS)
                else:
                    server = gunicorn(app, database.url, workers=WORKERS, threads=THREADS,
                                      extra_env={**env, **app_env})
                with server as base:
                    answer = call(base, path, token=token, with_etag=True)
                    assert answer == project_answer, (name, answer, project_answer)
                    wrk(base + path, 2, connections, token=token)  # warm-up
                    results[name].append(wrk(base + path, seconds, connections, token=token))
        project, floor = max(results["project"]), max(results["floor"])
        peer = max(results["FastAPI peer"])
        return {"project_rps": project, "floor_rps": floor, "ratio": project / floor,
                "peer_rps": peer, "peer_ratio": project / peer,
                "flask_floor_rps": max(results["flask floor"]) if flask_floor else None,
                "metrics_rps": max(results["project with metrics"]) if metrics else None,
                "limits_off_rps": (max(results["project, rate limiting off"]) if limits_off
                                   else None),
                "runs": results, "workers": WORKERS, "threads": THREADS,
                "worker_class": WORKER_CLASS,
                "connections": connections, "seconds": seconds}
    finally:
        database.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--flask-floor", action="store_true",
                        help="also serve the floor's code through bare Flask")
    parser.add_argument("--metrics", action="store_true",
                        help="also serve the project with Prometheus metrics on (METRICS_PORT)")
    parser.add_argument("--limits-off", action="store_true",
                        help="also serve the project with RATELIMIT_ENABLED=false")
    args = parser.parse_args()
    result = measure(args.seconds, args.connections, args.flask_floor, args.metrics,
                     args.limits_off)
    print(machine())
    print(f"gunicorn {result['workers']} {result['worker_class']} workers x {result['threads']} "
          f"threads, wrk -c{result['connections']} -d{result['seconds']}s, best of 2 runs each")
    print(f"project GET /bucketlists/<id>: {result['project_rps']:8.0f} req/s "
          f"(runs {', '.join(f'{r:.0f}' for r in result['runs']['project'])})")
    print(f"bare WSGI floor:              {result['floor_rps']:8.0f} req/s "
          f"(runs {', '.join(f'{r:.0f}' for r in result['runs']['floor'])})")
    if result["flask_floor_rps"]:
        print(f"floor through bare Flask:     {result['flask_floor_rps']:8.0f} req/s "
              f"(runs {', '.join(f'{r:.0f}' for r in result['runs']['flask floor'])}), "
              f"{result['flask_floor_rps'] / result['floor_rps']:.2f} of the floor")
    if result["metrics_rps"]:
        cost = 1 - result["metrics_rps"] / result["project_rps"]
        print(f"project with metrics on:      {result['metrics_rps']:8.0f} req/s "
              f"(runs {', '.join(f'{r:.0f}' for r in result['runs']['project with metrics'])}), "
              f"{cost:.1%} slower than without")
    if result["limits_off_rps"]:
        runs = result["runs"]["project, rate limiting off"]
        print(f"project, rate limiting off:   {result['limits_off_rps']:8.0f} req/s "
              f"(runs {', '.join(f'{r:.0f}' for r in runs)})")
    print(f"FastAPI peer (uvicorn):       {result['peer_rps']:8.0f} req/s "
          f"(runs {', '.join(f'{r:.0f}' for r in result['runs']['FastAPI peer'])})")
    print(f"ratio project / floor: {result['ratio']:.2f}")
    print(f"ratio project / FastAPI peer: {result['peer_ratio']:.2f}")


if __name__ == "__main__":
    main()
