"""Mail: messages go out over SMTP from a background thread, so that no request waits for a mail
server, or fails because of one.

MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USERNAME, MAIL_PASSWORD and
MAIL_DEFAULT_SENDER configure the connection, with the standard library's `smtplib` and `email`.
Without MAIL_SERVER a message is written to the log instead: whole where LOG_MAIL_CONTENT is on
(development and testing), else only its subject, since a mail may carry a secret such as a
reset link.

Each process has one sending thread and a queue of at most QUEUE_SIZE jobs; a job beyond that is
dropped and logged, as is a job that fails (a mail server down, refusing, too slow).
"""

import logging
import os
import queue
import smtplib
import ssl
import threading
from email.message import EmailMessage

from flask import current_app

from app import metrics

QUEUE_SIZE = 100
log = logging.getLogger("app.mail")


class Outbox:
    """Runs jobs (functions that send mail) in the app's context, one at a time, in the
    background."""

    def __init__(self, size: int = QUEUE_SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._jobs: queue.Queue | None = None
        self._pid: int | None = None

    def submit(self, job, *args) -> bool:
        """Queue `job(*args)` to run in this app's context; False if the queue was full."""
        app = current_app._get_current_object()
        try:
            self._queue().put_nowait((app, job, args))
        except queue.Full:
            app.logger.error("The mail queue is full (%d jobs): %s was dropped.", self._size,
                             job.__name__)
            return False
        return True

    def join(self) -> None:
        """Wait until every job submitted so far has run."""
        if self._jobs is not None and self._pid == os.getpid():
            self._jobs.join()

    def _queue(self) -> queue.Queue:
        # Threads do not survive a fork: a process started from this one gets its own thread.
        with self._lock:
            if self._pid != os.getpid():
                self._jobs, self._pid = queue.Queue(self._size), os.getpid()
                threading.Thread(target=self._work, args=(self._jobs,), name="outbox",
                                 daemon=True).start()
            return self._jobs

    @staticmethod
    def _work(jobs: queue.Queue) -> None:
        while True:
            app, job, args = jobs.get()
            try:
                with app.app_context():
                    job(*args)
            except Exception:
                app.logger.exception("A mail job failed: %s", job.__name__)
            finally:
                jobs.task_done()


outbox = Outbox()


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text mail now, over SMTP (or to the log without MAIL_SERVER)."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if not config["MAIL_SERVER"]:
        if config["LOG_MAIL_CONTENT"]:
            log.warning("MAIL_SERVER is not set; this mail was not sent:\n"
                        "To: %s\nSubject: %s\n\n%s", to, subject, body)
        else:
            log.warning("MAIL_SERVER is not set; a mail %r was not sent.", subject)
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                          timeout=config["MAIL_TIMEOUT_SECONDS"]) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except Exception:
        metrics.MAILS.labels("failed").inc()
        raise
    metrics.MAILS.labels("sent").inc()
