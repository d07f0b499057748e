"""Benchmark: mixed load, and the same load with PostgreSQL restarted in the middle.

    .venv/bin/python bench/load.py [--requests 20000] [--concurrency 64] [--fault]
                                   [--worker-class sync|gthread]

50 users register and log in, then 64 concurrent connections send a mix of create, list, get,
update, delete and login requests to gunicorn on PostgreSQL. Every bucketlist is written by one
connection only, so the last acknowledged write of each is known; afterwards every acknowledged
write is read back: a 201 that cannot be read with the same content is a lost write. With --fault,
PostgreSQL is stopped for a few seconds mid-run: while it is down only 503s are acceptable, and
full service must be back within 5 s of its return.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import WORKER_CLASS, Postgres, gunicorn, machine, migrate

USERS = 50
PASSWORD = "load test password"
MIX = [("create", 25), ("list", 20), ("get", 25), ("update", 15), ("delete", 10), ("login", 5)]


@dataclass
class Ledger:
    """What one connection knows it did to its own bucketlists."""

    names: dict = field(default_factory=dict)  # id -> last acknowledged name
    maybe: dict = field(default_factory=dict)  # id -> names sent but not acknowledged since
    deleted: set = field(default_factory=set)  # ids whose delete was acknowledged
    unsure_deletes: set = field(default_factory=set)  # deletes sent but not acknowledged


@dataclass
class Run:
    records: list = field(default_factory=list)  # (start, end, operation, status)
    tokens: dict = field(default_factory=dict)
    ledgers: list = field(default_factory=list)
    unacknowledged_creates: int = 0


async def request(client, run, operation, method, path, token=None, body=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    start = time.perf_counter()
    try:
        response = await client.request(method, path, headers=headers, json=body)
        status = response.status_code
    except httpx.HTTPError as error:
        response, status = None, f"error: {type(error).__name__}"
    run.records.append((start, time.perf_counter(), operation, status))
    if status == 503:
        await asyncio.sleep(0.1)  # a polite client waits before retrying
    return response, status


async def login(client, run, user):
    email = f"load{user}@example.com"
    response, status = await request(client, run, "login", "POST", "/auth/login",
                                     body={"email": email, "password": PASSWORD})
    if status == 200:
        run.tokens[user] = response.json()["access_token"]


async def worker(client, run, number, budget, rng):
    user = number % USERS
    ledger = Ledger()
    run.ledgers.append(ledger)
    operations, weights = zip(*MIX, strict=True)
    while budget["left"] > 0:
        budget["left"] -= 1
        token = run.tokens.get(user)
        live = [i for i in ledger.names if i not in ledger.deleted
                and i not in ledger.unsure_deletes]
        operation = rng.choices(operations, weights)[0]
        if operation in ("get", "update", "delete") and not live:
            operation = "create"
        if operation == "login" or token is None:
            await login(client, run, user)
        elif operation == "create":
            name = f"goal {number}-{rng.randrange(10**9)}"
            response, status = await request(client, run, "create", "POST", "/bucketlists/",
                                             token, {"name": name})
            if status == 201:
                ledger.names[response.json()["id"]] = name
            else:
                run.unacknowledged_creates += 1
        elif operation == "list":
            await request(client, run, "list", "GET", "/bucketlists/?per_page=20", token)
        elif operation == "get":
            await request(client, run, "get", "GET", f"/bucketlists/{rng.choice(live)}", token)
        elif operation == "update":
            target, name = rng.choice(live), f"renamed {number}-{rng.randrange(10**9)}"
            response, status = await request(client, run, "update", "PUT",
                                             f"/bucketlists/{target}", token, {"name": name})
            if status == 200:
                ledger.names[target] = name
                ledger.maybe.pop(target, None)
            else:
                ledger.maybe.setdefault(target, set()).add(name)
        elif operation == "delete":
            target = rng.choice(live)
            _, status = await request(client, run, "delete", "DELETE", f"/bucketlists/{target}",
                                      token)
            (ledger.deleted if status == 200 else ledger.unsure_deletes).add(target)


async def drive(base, total, concurrency, seed, fault=None):
    """Register and log in the users, then run the mix; returns the Run."""
    run, rng = Run(), random.Random(seed)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for batch in range(0, USERS, 10):
            await asyncio.gather(*(request(client, run, "register", "POST", "/auth/register",
                                           body={"email": f"load{u}@example.com",
                                                 "password": PASSWORD})
                                   for u in range(batch, batch + 10)))
        await asyncio.gather(*(login(client, run, user) for user in range(USERS)))
        budget = {"left": total - len(run.records)}
        if fault:
            fault.arm()
        await asyncio.gather(*(worker(client, run, n, budget, random.Random(rng.random()))
                               for n in range(concurrency)))
    return run


async def verify(base, run):
    """Read back every acknowledged write; the problems found."""
    problems = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for user in range(USERS):
            response = await client.post("/auth/login", json={"email": f"load{user}@example.com",
                                                              "password": PASSWORD})
            run.tokens[user] = response.json()["access_token"]
        for number, ledger in enumerate(run.ledgers):
            headers = {"Authorization": f"Bearer {run.tokens[number % USERS]}"}
            for bucketlist_id, name in ledger.names.items():
                response = await client.get(f"/bucketlists/{bucketlist_id}", headers=headers)
                if bucketlist_id in ledger.deleted:
                    if response.status_code != 404:
                        problems.append(f"{bucketlist_id}: deleted (acknowledged) but "
                                        f"{response.status_code}")
                elif bucketlist_id in ledger.unsure_deletes:
                    continue
                elif response.status_code != 200:
                    problems.append(f"{bucketlist_id}: acknowledged, now {response.status_code}")
                elif response.json()["name"] not in {name} | ledger.maybe.get(bucketlist_id, set()):
                    problems.append(f"{bucketlist_id}: expected {name!r}, "
                                    f"got {response.json()['name']!r}")
    return problems


class Fault:
    """Stops PostgreSQL `after` seconds into the mix, for `down` seconds."""

    def __init__(self, database, after=6.0, down=3.0):
        self.database, self.after, self.down = database, after, down
        self.stopped_at = self.started_at = None

    def arm(self):
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        time.sleep(self.after)
        self.stopped_at = time.perf_counter()
        self.database.stop()
        time.sleep(self.down)
        self.database.start()
        self.started_at = time.perf_counter()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def summarize(run, problems, fault=None) -> dict:
    """Counts, latencies, throughput and the fault windows' verdicts."""
    statuses = {}
    for _, _, _, status in run.records:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    begin = min(r[0] for r in run.records)
    end = max(r[1] for r in run.records)
    latencies = [(r[1] - r[0]) * 1000 for r in run.records]
    by_operation = {}
    for start, stop, operation, _ in run.records:
        by_operation.setdefault(operation, []).append((stop - start) * 1000)
    summary = {
        "requests": len(run.records),
        "statuses": dict(sorted(statuses.items())),
        "server_errors_5xx": sum(n for s, n in statuses.items() if s.startswith("5")),
        "server_errors_other_than_503": sum(n for s, n in statuses.items()
                                            if s.startswith("5") and s != "503"),
        "transport_errors": sum(n for s, n in statuses.items() if s.startswith("error")),
        "seconds": end - begin,
        "throughput": len(run.records) / (end - begin),
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "by_operation": {op: {"count": len(v), "p50_ms": statistics.median(v),
                              "p99_ms": percentile(v, 0.99)} for op, v in by_operation.items()},
        "acknowledged_writes": sum(len(ledger.names) for ledger in run.ledgers)
        + sum(len(ledger.deleted) for ledger in run.ledgers),
        "lost_writes": len(problems),
        "problems": problems[:10],
        "timeline": [(r[1] - begin, r[3]) for r in run.records],
    }
    if fault:
        down_from, down_to = fault.stopped_at, fault.started_at
        during = [r for r in run.records if down_from <= r[1] <= down_to]
        after = [r for r in run.records if r[1] > down_to]
        late_failures = [r for r in after if r[3] != 503 and not 200 <= _code(r[3]) < 300]
        last_503 = max((r[1] for r in after if r[3] == 503), default=down_to)
        summary["fault"] = {
            "down_at_s": down_from - begin,
            "up_at_s": down_to - begin,
            "during_statuses": sorted({str(r[3]) for r in during}),
            "non_503_failures_during": sum(1 for r in during
                                          if r[3] != 503 and not 200 <= _code(r[3]) < 300),
            "failures_after_other_than_503": len(late_failures),
            "full_service_after_s": last_503 - down_to,
        }
    return summary


def _code(status) -> int:
    return status if isinstance(status, int) else 0


def measure(total=20000, concurrency=64, fault_mode=False, seed=7,
            worker_class=WORKER_CLASS) -> dict:
    database = Postgres()
    try:
        migrate(database.url)
        with gunicorn("run:app", database.url, workers=os.cpu_count() * 2, threads=1,
                      worker_class=worker_class) as base:
            fault = Fault(database) if fault_mode else None
            run = asyncio.run(drive(base, total, concurrency, seed, fault))
            problems = asyncio.run(verify(base, run))
            return summarize(run, problems, fault)
    finally:
        database.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--fault", action="store_true", help="restart PostgreSQL mid-run")
    parser.add_argument("--worker-class", default=WORKER_CLASS, help="sync or gthread")
    args = parser.parse_args()
    summary = measure(args.requests, args.concurrency, args.fault,
                      worker_class=args.worker_class)
    summary.pop("timeline")
    print(machine())
    print(f"gunicorn {os.cpu_count() * 2} {args.worker_class} workers x 1 thread")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
