"""Benchmark: where the time of GET /bucketlists/<id> goes, in the project and in the floor.

    .venv/bin/python bench/profile.py [--seconds 10]

Both apps run under gunicorn (gunicorn.conf.py defaults) on the same PostgreSQL while wrk loads
them, as in bench/speed.py. For each it prints the CPU time per request of the gunicorn workers
(user and system) and of PostgreSQL, read from /proc. For the project it then samples the workers
with py-spy (only threads holding the GIL, i.e. running Python) and splits that time between
gunicorn, Flask and Werkzeug, SQLAlchemy, marshmallow, JWT and the app's own hooks.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import BIN, Postgres, gunicorn, machine, migrate, wrk_counts
from bench.speed import THREADS, WORKERS, seed

TICKS = os.sysconf("SC_CLK_TCK")
CONNECTIONS = 32  # as bench/speed.py
# Python frames by library, checked from the innermost frame outwards.
LIBRARIES = [
    ("marshmallow", r"marshmallow/"),
    ("JWT (PyJWT)", r"jwt/|decode_token"),
    ("SQLAlchemy + psycopg2", r"sqlalchemy/|flask_sqlalchemy/"),
    ("app hooks (headers, request id, negotiation)", r"app/(security|observability|browsable)"),
]


def cpu_seconds() -> dict:
    """User and system CPU seconds so far of every gunicorn and postgres process, by kind."""
    totals = collections.Counter()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                command = file.read().replace(b"\0", b" ").decode()
            with open(f"/proc/{pid}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = "gunicorn" if "bin/gunicorn" in command else "postgres" if "postgres" in command \
            else None
        if kind:
            totals[f"{kind} user"] += int(fields[11]) / TICKS
            totals[f"{kind} system"] += int(fields[12]) / TICKS
    return totals


def cpu_per_request(url: str, token: str, seconds: int) -> dict:
    """Milliseconds of CPU per request, per kind of process, and requests per second."""
    wrk_counts(url, 2, CONNECTIONS, token=token)  # warm-up
    before, start = cpu_seconds(), time.monotonic()
    requests, _ = wrk_counts(url, seconds, CONNECTIONS, token=token)
    elapsed = time.monotonic() - start
    used = cpu_seconds() - before
    result = {kind: 1000 * used[kind] / requests for kind in sorted(used)}
    result["requests/s"] = requests / elapsed
    return result


def python_split(url: str, token: str, seconds: int) -> dict:
    """Shares of the workers' Python time by library, from py-spy samples under load."""
    master = subprocess.run(["pgrep", "-o", "-f", "bin/gunicorn run:app"], capture_output=True,
                            text=True, check=True).stdout.split()[0]
    load = subprocess.Popen(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds + 3}s", "-H",
                             f"Authorization: Bearer {token}", url], stdout=subprocess.DEVNULL)
    with tempfile.NamedTemporaryFile(suffix=".txt") as samples:
        time.sleep(1)
        subprocess.run([os.path.join(BIN, "py-spy"), "record", "--pid", master, "--subprocesses",
                        "--gil", "--nonblocking", "--rate", "500", "--duration", str(seconds),
                        "--format", "raw", "--output", samples.name],
                       check=True, capture_output=True)
        load.wait()
        with open(samples.name) as file:
            lines = file.read().splitlines()
    shares, total = collections.Counter(), 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        frames = [frame for frame in stack.split(";") if frame and not frame.startswith("process")]
        if not frames or not count.isdigit():
            continue
        total += int(count)
        shares[_library(frames)] += int(count)
    return {name: count / total for name, count in shares.most_common()}


def _library(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in LIBRARIES:
            if re.search(pattern, frame):
                return name
    if any("Flask.wsgi_app" in frame for frame in frames):
        return "Flask + Werkzeug + views"
    return "gunicorn (HTTP parsing, sockets)" if any("gunicorn" in f for f in frames) else "other"


def measure(seconds: int = 10) -> dict:
    database = Postgres()
    try:
        migrate(database.url)
        env = {"TOKEN_LIFETIME_SECONDS": "3600"}
        with gunicorn("run:app", database.url, workers=WORKERS, threads=THREADS,
                      extra_env=env) as base:
            token, bucketlist_id = seed(base)
        path = f"/bucketlists/{bucketlist_id}"
        result = {}
        for name, app in [("project", "run:app"), ("floor", "bench.floor_app:app")]:
            with gunicorn(app, database.url, workers=WORKERS, threads=THREADS,
                          extra_env=env) as base:
                result[name] = cpu_per_request(base + path, token, seconds)
                if name == "project":
                    try:
                        result["python_split"] = python_split(base + path, token, seconds)
                    except (OSError, subprocess.CalledProcessError) as error:
                        result["python_split"] = {f"py-spy could not sample: {error}": 1.0}
        return result
    finally:
        database.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    result = measure(parser.parse_args().seconds)
    print(machine())
    print(f"{'CPU ms per request':32} {'project':>8} {'floor':>8}")
    for kind in result["project"]:
        print(f"{kind:32} {result['project'][kind]:8.3f} {result['floor'][kind]:8.3f}")
    print("project's Python time (py-spy, GIL held):")
    for name, share in result["python_split"].items():
        print(f"  {share:6.1%}  {name}")


if __name__ == "__main__":
    main()
