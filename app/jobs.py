"""Work that outlives a request: a Celery queue on Redis when JOB_QUEUE_URL is set, the
process's own mail thread (app/mail.py) when it is not (as under `make run`).

With the queue, `python manage.py worker` runs the jobs (`--beat` also runs Celery's scheduler,
which starts the upkeep every PURGE_INTERVAL_SECONDS). A job is acknowledged only once it has
run, so a worker killed in the middle of one leaves it in the queue, and Redis hands it to
another worker after JOB_VISIBILITY_TIMEOUT_SECONDS (and at most 10 s more, when the workers
next look). A mail that the SMTP server does not take is tried again, after 1, 2, 4, … seconds
(at most half the visibility timeout, so that a waiting retry is never handed out twice), for
MAIL_RETRY_SECONDS.
"""

import os
import smtplib
import tempfile
import time

import kombu.exceptions
import redis
from celery import Celery, Task, shared_task
from celery.signals import task_failure
from flask import Flask, current_app

from app import metrics
from app.errors import APIError
from app.mail import outbox, send_mail
from app.unit_of_work import after_commit

# A mail server that is down, refuses, or does not answer in time: worth trying again.
MAIL_FAILURES = (smtplib.SMTPException, OSError)


def init_app(app: Flask) -> Celery | None:
    """Bind a Celery app to this Flask app when JOB_QUEUE_URL is set (Flask's own pattern:
    every job runs in the app's context)."""
    url = app.config["JOB_QUEUE_URL"]
    if not url:
        return None

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    visibility = app.config["JOB_VISIBILITY_TIMEOUT_SECONDS"]
    queue = Celery(app.import_name, task_cls=FlaskTask)
    queue.conf.update(
        broker_url=url,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility,
            # Workers look for jobs whose worker died every 10 s (kombu's default, 100 s).
            "unacked_restore_interval": min(10, visibility), "unacked_restore_throttle": 1},
        beat_schedule={"purge": {"task": "app.jobs.purge",
                                 "schedule": app.config["PURGE_INTERVAL_SECONDS"]}},
        # When each scheduled job last ran: in the temporary directory, since the image's /app
        # is not the worker's to write (losing it only moves the next purge by an interval).
        beat_schedule_filename=os.path.join(tempfile.gettempdir(), "bucketlist-beat-schedule"),
    )
    queue.set_default()
    app.extensions["celery"] = queue
    return queue


def run_worker(app: Flask, queue: Celery, beat: bool, concurrency: int) -> None:
    """`python manage.py worker`: run the jobs (and the scheduler, with `beat`) until stopped;
    with METRICS_PORT, serve the worker's metrics."""
    if app.config["METRICS_PORT"]:
        metrics.serve_job_metrics(app, queue.conf.task_default_queue)
    # Threads: the jobs wait on the mail server and the database, and in one process the
    # failures are counted where the metrics server reads them.
    args = ["worker", "--loglevel=INFO", "--pool=threads", f"--concurrency={concurrency}"]
    queue.worker_main([*args, "--beat"] if beat else args)


def queued() -> bool:
    """Whether jobs go to a queue (JOB_QUEUE_URL) rather than run in this process."""
    return "celery" in current_app.extensions


def reachable() -> bool:
    """Whether the queue's Redis answers a ping within a quarter of a second."""
    client = redis.Redis.from_url(current_app.config["JOB_QUEUE_URL"], socket_timeout=0.25,
                                  socket_connect_timeout=0.25)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def submit_password_reset_mail(email: str, confirm_url: str) -> None:
    """Mail a reset link in the background, once the request has committed: a queued job, or
    the process's mail thread."""
    if queued():
        after_commit(lambda: enqueue(mail_password_reset, email, confirm_url, time.time()))
    else:
        from app.auth.password_reset import mail_reset_token

        outbox.submit(mail_reset_token, email, confirm_url)


def enqueue(task: Task, *args) -> None:
    """Put a job in the queue; a queue that cannot be reached is a 503 for the client (kombu
    has tried three times by then, within about a second)."""
    try:
        task.delay(*args)
    except kombu.exceptions.OperationalError as error:
        current_app.logger.error("The job queue cannot be reached: %s", error)
        raise APIError(503, "The job queue is unavailable. Please try again shortly.",
                       headers={"Retry-After": "5"}) from error


def submit_mail(to: str, subject: str, text: str) -> None:
    """Send a mail in the background, once the request has committed: a queued job, or the
    process's mail thread."""
    if queued():
        after_commit(lambda: enqueue(mail, to, subject, text, time.time()))
    else:
        after_commit(lambda: outbox.submit(send_mail, to, subject, text))


@shared_task(bind=True, name="app.jobs.mail_password_reset", max_retries=None)
def mail_password_reset(self, email: str, confirm_url: str, first_try: float) -> None:
    """The queued job: a new reset token by mail; tried again while the mail server fails."""
    from app.auth.password_reset import mail_reset_token

    try:
        mail_reset_token(email, confirm_url)
    except MAIL_FAILURES as error:
        raise retry_later(self, error, first_try) from error


@shared_task(bind=True, name="app.jobs.mail", max_retries=None)
def mail(self, to: str, subject: str, text: str, first_try: float) -> None:
    """The queued job: a mail written by the request (an invitation); tried again while the
    mail server fails."""
    try:
        send_mail(to, subject, text)
    except MAIL_FAILURES as error:
        raise retry_later(self, error, first_try) from error


def retry_later(task: Task, error: Exception, first_try: float) -> Exception:
    """What a mail job raises when the mail server failed it: Celery's retry, after 1, 2, 4 …
    seconds (at most half the visibility timeout), until MAIL_RETRY_SECONDS have passed since
    `first_try`; then the error itself (the job failed for good)."""
    config = current_app.config
    if time.time() - first_try >= config["MAIL_RETRY_SECONDS"]:
        return error
    wait = min(2 ** task.request.retries, config["JOB_VISIBILITY_TIMEOUT_SECONDS"] / 2)
    current_app.logger.warning("A mail was not sent (%s); trying again in %.0f s.", error, wait)
    return task.retry(exc=error, countdown=wait, throw=False)


@task_failure.connect
def count_failure(sender: Task, **details) -> None:
    """A job that failed for good (an error, or a mail whose retries ran out) is counted."""
    metrics.FAILED_JOBS.labels(sender.name).inc()


@shared_task(name="app.jobs.purge")
def purge() -> dict:
    """Upkeep: delete dead sessions, spent or expired reset tokens and expired idempotency keys,
    a batch at a time (app/commands.py's `purge_everything`)."""
    from app.commands import purge_everything

    return purge_everything()
