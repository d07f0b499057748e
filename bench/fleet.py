"""Benchmark: the fleet (tests/fleet.py) against one instance, and what losing instances costs.

    .venv/bin/python bench/fleet.py [--seconds 10] [--connections 32]

1. GET /bucketlists/<id> under wrk: one instance (gunicorn, 2 x cores workers) reached directly,
   the same instance behind nginx, and three instances of 2 workers each behind nginx, all on one
   PostgreSQL and one Redis on this machine. Requests per second and p99 latency.
2. Losing instances under load: 6 clients create bucketlists (each with an Idempotency-Key,
   retrying every failed attempt) and read each back through nginx for 10 s; one instance is
   killed (SIGKILL) at 2 s and another stopped (SIGTERM) at 4 s. Reads that failed, creates that
   needed a retry, and afterwards, from the database, duplicates and missing rows.
3. A rolling restart under the same load: each instance stopped (SIGTERM) and started again, one
   at a time with 6 s between them (nginx sets a failed instance aside for 5 s), then each
   reloaded (SIGHUP). Twice: with the instances' sockets held for them, as systemd's socket units
   hold them (deploy/systemd/), and with each gunicorn binding its own. Requests, failures,
   duplicates, missing rows, and the longest wait.

    .venv/bin/python bench/fleet.py --rolling    # only the rolling restarts
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import machine
from tests.database import ensure_test_database
from tests.fleet import call, fleet, log_in, run_load, stored_names

ENV = {"TOKEN_LIFETIME_SECONDS": "3600"}


def wrk_latency(url: str, token: str, seconds: int, connections: int) -> dict:
    """Requests per second and p99 (ms) that wrk measured; any non-2xx answer is an error."""
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H",
         f"Authorization: Bearer {token}", url], capture_output=True, text=True, check=True,
    ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"errors from {url}:\n{output}")
    value, unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", output).groups()
    p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]), "p99_ms": p99_ms}


def throughput(seconds: int, connections: int) -> dict:
    results = {}
    workers = os.cpu_count() * 2
    with fleet(instances=1, workers=workers, extra_env=ENV) as single:
        token = log_in(single.base, "bench@example.com")
        bucketlist = call(single.base, "POST", "/bucketlists/", {"name": "Bench"}, token)[1]
        path = f"/bucketlists/{bucketlist['id']}"
        wrk_latency(single.instances[0].base + path, token, 2, connections)  # warm-up
        results[f"one instance ({workers} workers), direct"] = wrk_latency(
            single.instances[0].base + path, token, seconds, connections)
        results[f"one instance ({workers} workers), behind nginx"] = wrk_latency(
            single.base + path, token, seconds, connections)
    with fleet(instances=3, workers=2, extra_env=ENV) as three:
        token = log_in(three.base, "bench@example.com")
        bucketlist = call(three.base, "POST", "/bucketlists/", {"name": "Bench"}, token)[1]
        path = f"/bucketlists/{bucketlist['id']}"
        wrk_latency(three.base + path, token, 2, connections)
        results["three instances (2 workers each), behind nginx"] = wrk_latency(
            three.base + path, token, seconds, connections)
    return results


def losing_instances(seconds: int = 10) -> dict:
    with fleet(instances=3, workers=2, extra_env=ENV) as running:
        token = log_in(running.base, "load@example.com")
        killed, stopped, _ = running.instances
        stopping = threading.Thread(target=stopped.stop)
        result = run_load(running.base, token, seconds=seconds,
                          events=((2.0, killed.kill), (4.0, stopping.start)))
        stopping.join()
        names = stored_names(running.database_url)
    acknowledged = set(result.created)
    latencies = sorted(result.latencies)
    return {
        "requests": result.create_attempts + len(result.read_statuses),
        "seconds": result.seconds,
        "reads": len(result.read_statuses),
        "read_failures": result.read_failures,
        "reads_cut": result.reads_cut,
        "creates": len(result.created),
        "create_attempts": result.create_attempts,
        "create_attempts_failed": len(result.create_failures),
        "unanswered_creates": len(result.unanswered_keys),
        "duplicates": len(names) - len(set(names)),
        "missing": len(acknowledged - set(names)),
        "unacknowledged_rows": len(set(names) - acknowledged),
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0,
    }


def rolling_restart(held_sockets: bool, pause: float = 6.0) -> dict:
    with fleet(instances=3, workers=2, extra_env=ENV, held_sockets=held_sockets) as running:
        token = log_in(running.base, "deploy@example.com")

        def deploy():
            for number in range(len(running.instances)):
                running.restart(number)
                time.sleep(pause)
            for instance in running.instances:
                instance.reload(running.workers)

        result = run_load(running.base, token, seconds=2, events=((1.0, deploy),))
        names = stored_names(running.database_url)
    return {
        "requests": result.create_attempts + len(result.read_statuses) + result.reads_cut,
        "seconds": result.seconds,
        "failed": len(result.create_failures) + result.read_failures + result.reads_cut,
        "failed_statuses": sorted(set(result.create_failures)),
        "duplicates": len(names) - len(set(names)),
        "missing": len(set(result.created) - set(names)),
        "longest_ms": max(result.latencies, default=0.0) * 1000,
    }


def print_rolling(rolling: dict) -> None:
    print("rolling restart under load (3 restarts 6 s apart, then 3 reloads):")
    for name, figures in rolling.items():
        print(f"  {name:34} {figures['requests']:6} requests in {figures['seconds']:4.1f} s, "
              f"failed {figures['failed']} {figures['failed_statuses'] or ''}, duplicates "
              f"{figures['duplicates']}, missing {figures['missing']}, longest "
              f"{figures['longest_ms']:.0f} ms")


def measure(seconds: int = 10, connections: int = 32) -> dict:
    ensure_test_database()
    return {"throughput": throughput(seconds, connections), "losing": losing_instances(),
            "rolling": rollings(), "seconds": seconds, "connections": connections}


def rollings() -> dict:
    return {"sockets held (systemd)": rolling_restart(held_sockets=True),
            "each gunicorn binds its own": rolling_restart(held_sockets=False)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rolling", action="store_true", help="only the rolling restarts")
    args = parser.parse_args()
    if args.rolling:
        ensure_test_database()
        print(machine())
        print_rolling(rollings())
        return
    result = measure(args.seconds, args.connections)
    print(machine())
    print(f"GET /bucketlists/<id>, wrk -c{args.connections} -d{args.seconds}s:")
    for name, figures in result["throughput"].items():
        print(f"  {name:48} {figures['rps']:7.0f} req/s   p99 {figures['p99_ms']:7.1f} ms")
    losing = result["losing"]
    print(f"losing instances under load ({losing['requests']} requests in "
          f"{losing['seconds']:.1f} s, one SIGKILL at 2 s, one SIGTERM at 4 s):")
    print(f"  reads failed: {losing['read_failures']} of {losing['reads']} (read attempts cut "
          f"without a whole answer, repeated by the client: {losing['reads_cut']})")
    print(f"  creates: {losing['creates']}, attempts {losing['create_attempts']}, "
          f"attempts that failed and were retried with their key "
          f"{losing['create_attempts_failed']}, never answered {losing['unanswered_creates']}")
    print(f"  p99 of every request: {losing['p99_ms']:.0f} ms")
    print(f"  afterwards in the database: duplicates {losing['duplicates']}, missing "
          f"{losing['missing']}, rows nobody was told about {losing['unacknowledged_rows']}")
    print_rolling(result["rolling"])


if __name__ == "__main__":
    main()
