"""What a client can make the service hold: figures, not a test.

1. Worker memory after over-long logins: one gunicorn worker with the rate limits on (in-memory
   counters, the default), then N logins each with a different 1 MB "e-mail"; the worker's RSS
   before and after. Each login is refused (400), and nothing it sent should stay behind.
2. The largest bucketlist detail: a bucketlist filled to MAX_ITEMS_PER_BUCKETLIST goals whose names
   are the longest JSON there can be (255 astral characters, 12 bytes each escaped), then
   GET /bucketlists/<id> as JSON and as the browsable HTML page: bytes and time; and whether one
   more goal is refused.

    python bench/bounds.py [--logins 30] [--goals 1000]
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request

import psutil

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.common import Postgres, gunicorn, machine, migrate

WORST_NAME = "\U0001f600" * 255  # JSON-escaped as 255 surrogate pairs: 3,060 bytes


def call(base, method, path, body=None, token=None, accept="application/json"):
    """(status, bytes of the body, seconds) of one request."""
    headers = {"Accept": accept}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    return status, payload, time.perf_counter() - start


def worker(port: int) -> psutil.Process:
    """The one gunicorn worker serving this port: the listener's child, or the listener itself
    when psutil names the worker as the socket's owner (master and worker share it)."""
    owners = [connection.pid for connection in psutil.net_connections("tcp")
              if connection.laddr and connection.laddr.port == port
              and connection.status == psutil.CONN_LISTEN]
    listener = psutil.Process(owners[0])
    children = listener.children()
    if len(children) > 1:
        raise RuntimeError(f"expected one gunicorn worker on port {port}, found {children}")
    return children[0] if children else listener


def over_long_logins(database_url: str, logins: int) -> None:
    env = {"RATELIMIT_ENABLED": "true", "LOGIN_LIMIT_PER_CLIENT": f"{logins + 10} per minute"}
    with gunicorn("run:app", database_url, workers=1, threads=1, extra_env=env) as base:
        process = worker(int(base.rsplit(":", 1)[1]))
        for _ in range(3):
            call(base, "POST", "/auth/login", {"email": "warm@example.com", "password": "x"})
        before = process.memory_info().rss / 1e6
        statuses = set()
        for number in range(logins):
            email = f"{number:06d}" + "u" * 1_000_000 + "@example.com"
            statuses.add(call(base, "POST", "/auth/login",
                              {"email": email, "password": "whatever"})[0])
        time.sleep(1)
        after = process.memory_info().rss / 1e6
    print(f"over-long logins: {logins} x 1 MB e-mail, answers {sorted(statuses)}; "
          f"worker RSS {before:.0f} MB before, {after:.0f} MB after (+{after - before:.0f} MB)")


def largest_detail(database_url: str, goals: int) -> None:
    with gunicorn("run:app", database_url, workers=1, threads=1) as base:
        user = {"email": "bounds@example.com", "password": "bounds password"}
        call(base, "POST", "/auth/register", user)
        token = json.loads(call(base, "POST", "/auth/login", user)[1])["access_token"]
        bucketlist = json.loads(call(base, "POST", "/bucketlists/", {"name": WORST_NAME},
                                     token)[1])
        items = f"/bucketlists/{bucketlist['id']}/items/"
        for _ in range(goals):
            status = call(base, "POST", items, {"name": WORST_NAME, "done": True}, token)[0]
            assert status == 201, status
        one_more = call(base, "POST", items, {"name": "one more"}, token)[0]
        path = f"/bucketlists/{bucketlist['id']}"
        for accept, label in (("application/json", "JSON"), ("text/html", "HTML page")):
            timings = []
            for _ in range(5):
                status, payload, seconds = call(base, "GET", path, token=token, accept=accept)
                assert status == 200, status
                timings.append(seconds)
            print(f"largest detail ({goals} goals of 255 astral characters), {label}: "
                  f"{len(payload) / 1e6:.2f} MB in {statistics.median(timings) * 1000:.0f} ms "
                  "(median of 5)")
        print(f"goal number {goals + 1}: HTTP {one_more}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=30)
    parser.add_argument("--goals", type=int, default=1000)
    args = parser.parse_args()
    print(machine())
    postgres = Postgres()
    try:
        migrate(postgres.url)
        over_long_logins(postgres.url, args.logins)
        largest_detail(postgres.url, args.goals)
    finally:
        postgres.close()


if __name__ == "__main__":
    main()
