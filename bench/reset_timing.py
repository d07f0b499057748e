"""Benchmark: asking for a password reset takes the same time whether or not the e-mail is
registered, and does not wait for the mail server.

    .venv/bin/python bench/reset_timing.py [--samples 40] [--smtp-delay-ms 300] [--queue]

Runs in-process against a real PostgreSQL (TEST_DATABASE_URL, or a throwaway one) and a real SMTP
server (aiosmtpd, in this process) that takes --smtp-delay-ms to accept each mail, and prints the
median and spread of POST /auth/password-reset for a registered and an unknown e-mail, and how
many mails arrived: once with each request sent after the previous one's mail job finished (the
request's own work), once back to back (the mail jobs run while later requests are served, and
here the SMTP server shares the process too). With --queue, the mails are jobs in a Celery
queue on a Redis of its own (JOB_QUEUE_URL) that no worker takes: the request's work is to queue
the job once it has committed, and the last column counts the jobs queued. Figures, not
assertions: timing belongs in benchmarks, not in unit tests.
"""

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import create_app, db
from app.mail import outbox
from tests.database import ensure_test_database, scratch_database
from tests.live_server import redis_server
from tests.mail import SMTPServer


class SlowSMTPServer(SMTPServer):
    """The tests' SMTP server, taking `delay` seconds to accept each mail."""

    def __init__(self, delay: float):
        super().__init__()
        accept = self.inbox.handle_DATA

        async def slow_accept(server, session, envelope):
            await asyncio.sleep(delay)
            return await accept(server, session, envelope)

        self.inbox.handle_DATA = slow_accept


def timed(client, email, samples, settle=False):
    """Milliseconds for each of `samples` requests for this e-mail, and the last status code;
    with `settle`, each request waits until the mail jobs before it have run."""
    times, status = [], None
    for _ in range(samples):
        if settle:
            outbox.join()
            time.sleep(0.05)  # the SMTP server's thread closes the connection meanwhile
        start = time.perf_counter()
        status = client.post("/auth/password-reset", json={"email": email}).status_code
        times.append((time.perf_counter() - start) * 1000)
    return times, status


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=40, help="requests per case")
    parser.add_argument("--smtp-delay-ms", type=int, default=300)
    parser.add_argument("--queue", action="store_true", help="mail through a job queue on Redis")
    args = parser.parse_args()

    ensure_test_database()
    smtp = SlowSMTPServer(args.smtp_delay_ms / 1000)
    smtp.start()
    try:
        with scratch_database() as url, (redis_server() if args.queue
                                         else contextlib.nullcontext()) as queue_url:
            queue = {"JOB_QUEUE_URL": queue_url} if args.queue else {}
            app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url, "DEBUG": False,
                                                   **smtp.config, **queue})
            with app.app_context():
                db.create_all()
            client = app.test_client()
            client.post("/auth/register", json={"email": "bench@example.com",
                                                "password": "the right password"})
            timed(client, "warm@example.com", 5)
            outbox.join()
            print(f"{args.samples} requests per case, PostgreSQL, SMTP server taking "
                  f"{args.smtp_delay_ms} ms per mail" + (", mail queued on Redis" * args.queue))
            sent = (lambda: redis.Redis.from_url(queue_url).llen("celery")) if args.queue else (
                lambda: len(smtp.inbox.messages))
            print(f"{'case':40} {'status':>6} {'median ms':>10} {'stdev ms':>9} "
                  f"{'jobs' if args.queue else 'mails':>6}")
            for settle, how in [(True, "one at a time"), (False, "back to back")]:
                for name, email in [("registered e-mail", "bench@example.com"),
                                    ("unknown e-mail", "nobody@example.com")]:
                    before = sent()
                    times, status = timed(client, email, args.samples, settle)
                    outbox.join()
                    print(f"{name + ', ' + how:40} {status:>6} "
                          f"{statistics.median(times):>10.2f} {statistics.stdev(times):>9.2f} "
                          f"{sent() - before:>6}")
            with app.app_context():
                db.engine.dispose()
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
