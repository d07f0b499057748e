"""The job queue (Celery on a real Redis, app/jobs.py): a reset mail waits for an SMTP server
that is down, survives a worker killed with SIGKILL in the middle of sending it, and the
scheduler runs the upkeep. Skipped, saying why, without redis-server (`.ci/run` installs it)."""

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

from app import db
from app.auth.models import LoginSession
from app.metrics import JobQueueCollector
from tests.base import BaseTestCase, free_port
from tests.live_server import REDIS, ROOT, redis_server
from tests.mail import Inbox, SMTPServer, delivered

NEEDS_REDIS = unittest.skipUnless(REDIS, "redis-server not found: apt-get install redis-server")


class RefusingOnceInbox(Inbox):
    """Takes its time over the first message, then refuses it; keeps the ones after."""

    def __init__(self, hold_seconds: float):
        super().__init__()
        self.hold_seconds = hold_seconds
        self.first_arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        if not self.first_arrived.is_set():
            self.first_arrived.set()
            await asyncio.sleep(self.hold_seconds)
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


@NEEDS_REDIS
class JobQueueTestCase(BaseTestCase):
    """A queue on Redis, workers as `python manage.py worker` runs them."""

    def setUp(self):
        super().setUp()
        self.queue_url = self.enterContext(redis_server())
        self.smtp = SMTPServer()
        self.settings = {"JOB_QUEUE_URL": self.queue_url, "JOB_VISIBILITY_TIMEOUT_SECONDS": 4,
                         "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.smtp.port,
                         "PURGE_INTERVAL_SECONDS": 3600}
        self.use_app(**self.settings)
        self.register_user()

    def start_worker(self, *args, **settings) -> subprocess.Popen:
        env = {**os.environ, "APP_SETTINGS": "testing", "SECRET": self.app.config["SECRET"],
               **{name: str(value) for name, value in {**self.settings, **settings}.items()}}
        log = self.enterContext(tempfile.TemporaryFile("w+"))
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--concurrency=1", *args], cwd=ROOT,
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        worker.log = log
        self.addCleanup(self.stop, worker)
        return worker

    @staticmethod
    def stop(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
        if worker.poll() is None:
            os.killpg(worker.pid, sig)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()

    def wait_for_log(self, worker, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            worker.log.seek(0)
            if text in worker.log.read():
                return
            time.sleep(0.1)
        worker.log.seek(0)
        self.fail(f"{text!r} not in the worker's log:\n{worker.log.read()[-3000:]}")

    def ask_for_a_reset(self):
        response = self.client().post("/auth/password-reset", json={"email": "test@example.com"})
        self.assertEqual(response.status_code, 202)  # at once: the job only waits in the queue
        return time.monotonic()

    def test_a_mail_waits_for_the_smtp_server_and_arrives_once_it_is_back(self):
        worker = self.start_worker()
        asked = self.ask_for_a_reset()
        self.wait_for_log(worker, "trying again")
        self.smtp.start()
        self.addCleanup(self.smtp.stop)
        messages = delivered(self.smtp.inbox, timeout=30)
        print(f"the mail arrived {time.monotonic() - asked:.1f} s after it was asked for",
              file=sys.stderr)
        self.assertIn("token=", messages[0].get_content())
        # The job ends once the SMTP server took the mail: what arrived by then is all it sent.
        self.wait_for_log(worker, "succeeded")
        self.assertEqual(len(self.smtp.inbox.messages), 1)

    def test_a_job_survives_a_worker_killed_while_it_sends(self):
        self.smtp = SMTPServer(RefusingOnceInbox(hold_seconds=30), port=self.smtp.port)
        self.smtp.start()
        self.addCleanup(self.smtp.stop)
        first = self.start_worker()
        self.ask_for_a_reset()
        self.assertTrue(self.smtp.inbox.first_arrived.wait(30))
        self.stop(first, signal.SIGKILL)  # the worker and its pool, in the middle of the mail
        killed = time.monotonic()
        self.start_worker()
        messages = delivered(self.smtp.inbox, timeout=90)
        self.assertEqual(len(messages), 1, "the job was lost with the killed worker")
        print(f"sent by another worker {time.monotonic() - killed:.1f} s after the kill",
              file=sys.stderr)

    def test_the_scheduler_runs_the_upkeep(self):
        tokens = self.login_user().get_json()
        self.client().post("/auth/logout",
                           headers=self.auth_header(tokens["access_token"]))
        self.assertEqual(self.count(LoginSession), 1)  # ended, not yet purged
        worker = self.start_worker("--beat", PURGE_INTERVAL_SECONDS=1)
        self.wait_for_log(worker, "app.jobs.purge")
        deadline = time.monotonic() + 30
        while self.count(LoginSession) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.count(LoginSession), 0)
        with self.app.app_context():
            db.session.remove()

    def test_the_worker_counts_failed_jobs_and_the_queue_on_its_metrics_port(self):
        port = free_port()
        worker = self.start_worker(METRICS_PORT=port, MAIL_RETRY_SECONDS=1)
        self.ask_for_a_reset()  # the SMTP server is down, and stays down past the retries
        self.wait_for_log(worker, "raised unexpected")  # Celery's word for a job that failed
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read()
        lines = metrics.decode().splitlines()
        self.assertIn('bucketlist_failed_jobs_total{task="app.jobs.mail_password_reset"} 1.0',
                      lines)
        self.assertIn("bucketlist_job_queue_depth 0.0", lines)
        self.assertIn("bucketlist_job_queue_unacknowledged 0.0", lines)

    def test_the_queue_depth_counts_the_jobs_no_worker_took(self):
        for _ in range(3):
            self.ask_for_a_reset()
        collector = JobQueueCollector(self.queue_url, "celery")
        figures = {family.name: family.samples[0].value for family in collector.collect()}
        self.assertEqual(figures, {"bucketlist_job_queue_depth": 3,
                                   "bucketlist_job_queue_unacknowledged": 0})
        worker = self.start_worker()
        self.smtp.start()
        self.addCleanup(self.smtp.stop)
        delivered(self.smtp.inbox, count=3, timeout=30)
        self.wait_for_log(worker, "succeeded")
        figures = {family.name: family.samples[0].value for family in collector.collect()}
        self.assertEqual(figures["bucketlist_job_queue_depth"], 0)

    def test_the_queue_figures_are_absent_while_its_redis_is_gone(self):
        self.assertEqual(list(JobQueueCollector(f"redis://127.0.0.1:{free_port()}/0",
                                                "celery").collect()), [])


class QueueUnreachableTestCase(BaseTestCase):
    """A queue that cannot be reached when a mail is asked for: a 503 to ask again, not a 500."""

    def test_a_reset_asked_for_while_the_queue_is_gone_is_a_503(self):
        self.use_app(JOB_QUEUE_URL=f"redis://127.0.0.1:{free_port()}/1")
        self.register_user()
        with self.assertLogs(self.app.logger, "ERROR") as logged:
            response = self.client().post("/auth/password-reset",
                                          json={"email": "test@example.com"})
        self.assert_error(response, 503, "The job queue is unavailable. Please try again shortly.")
        self.assertEqual(response.headers["Retry-After"], "5")
        self.assertIn("The job queue cannot be reached", logged.output[0])


@NEEDS_REDIS
class QueueReadinessTestCase(BaseTestCase):
    """/ready says whether the queue answers when one is configured."""

    def test_ready_names_the_queue_and_is_503_without_it(self):
        self.assertNotIn("jobs", self.client().get("/ready").get_json())
        with redis_server() as url:
            self.use_app(JOB_QUEUE_URL=url)
            answer = self.client().get("/ready")
            self.assertEqual((answer.status_code, answer.get_json()["jobs"]), (200, "reachable"))
        gone = self.assert_error(self.client().get("/ready"), 503)
        self.assertIn("JOB_QUEUE_URL", gone["message"])
