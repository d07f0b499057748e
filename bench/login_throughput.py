"""Benchmark: login throughput is bound by bcrypt, as designed: about cores / hash time.

    .venv/bin/python bench/login_throughput.py [--seconds 15] [--rounds 12]

Measures one bcrypt check at the production work factor on this machine, then logs in as fast as
wrk can make gunicorn (gunicorn.conf.py defaults, rate limits off) with 8 connections per core,
and compares the rate with cores / hash time.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import bcrypt

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import Postgres, gunicorn, machine, migrate, wrk
from bench.speed import call

USER = {"email": "login@example.com", "password": "login bench password"}


def hash_seconds(rounds: int, samples: int = 10) -> float:
    """The median time of one bcrypt check at this work factor, on one core."""
    hashed = bcrypt.hashpw(USER["password"].encode(), bcrypt.gensalt(rounds))
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        bcrypt.checkpw(USER["password"].encode(), hashed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(seconds: int = 15, rounds: int = 12) -> dict:
    cores = os.cpu_count()
    per_hash = hash_seconds(rounds)
    database = Postgres()
    try:
        migrate(database.url)
        with gunicorn("run:app", database.url, workers=cores * 2, threads=1,
                      rounds=rounds) as base:
            call(base, "/auth/register", USER)
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write('wrk.method = "POST"\n'
                             f"wrk.body = '{json.dumps(USER)}'\n"
                             'wrk.headers["Content-Type"] = "application/json"\n')
            try:
                measured = wrk(base + "/auth/login", seconds, cores * 8, script=script.name)
            finally:
                os.unlink(script.name)
    finally:
        database.close()
    expected = cores / per_hash
    return {"cores": cores, "rounds": rounds, "hash_ms": per_hash * 1000,
            "expected_per_s": expected, "measured_per_s": measured,
            "ratio": measured / expected}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    result = measure(args.seconds, args.rounds)
    print(machine())
    print(f"bcrypt {result['rounds']} rounds: {result['hash_ms']:.1f} ms per check on one core")
    print(f"expected cores / hash time: {result['expected_per_s']:.2f} logins/s")
    print(f"measured: {result['measured_per_s']:.2f} logins/s "
          f"({result['ratio'] * 100:.1f}% of expected)")


if __name__ == "__main__":
    main()
