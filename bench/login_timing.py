"""Benchmark: login takes the same time whether or not the e-mail is registered.

    .venv/bin/python bench/login_timing.py [--rounds 12] [--samples 30]

Runs in-process against a real PostgreSQL (TEST_DATABASE_URL, or a throwaway one) with the
production bcrypt work factor, and prints the median and spread of each kind of failed and
successful login. Figures, not assertions: timing belongs in benchmarks, not in unit tests.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app, db
from tests.database import ensure_test_database, scratch_database


def timed(client, body, samples):
    """Milliseconds for each of `samples` logins with this body, and the last status code."""
    times, status = [], None
    for _ in range(samples):
        start = time.perf_counter()
        status = client.post("/auth/login", json=body).status_code
        times.append((time.perf_counter() - start) * 1000)
    return times, status


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12, help="bcrypt work factor")
    parser.add_argument("--samples", type=int, default=30, help="logins per case")
    args = parser.parse_args()

    ensure_test_database()
    with scratch_database() as url:
        app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url,
                                               "BCRYPT_LOG_ROUNDS": args.rounds})
        with app.app_context():
            db.create_all()
        client = app.test_client()
        user = {"email": "bench@example.com", "password": "the right password"}
        client.post("/auth/register", json=user)
        client.post("/auth/login", json={"email": "warm@example.com", "password": "x"})

        cases = {
            "registered e-mail, right password": user,
            "registered e-mail, wrong password": {**user, "password": "a wrong password"},
            "unknown e-mail": {"email": "nobody@example.com", "password": "a wrong password"},
            "registered e-mail, 100-byte password": {**user, "password": "p" * 100},
        }
        print(f"bcrypt rounds {args.rounds}, {args.samples} logins per case, PostgreSQL")
        print(f"{'case':40} {'status':>6} {'median ms':>10} {'stdev ms':>9}")
        for name, body in cases.items():
            times, status = timed(client, body, args.samples)
            print(f"{name:40} {status:>6} {statistics.median(times):>10.1f} "
                  f"{statistics.stdev(times):>9.1f}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
