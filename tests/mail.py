"""A real SMTP server in the test process (aiosmtpd), and the mail that reaches it."""

import email
import re
import time
from email import policy

from aiosmtpd.controller import Controller

from app.mail import outbox
from tests.base import free_port


class Inbox:
    """aiosmtpd's handler: keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def clear(self):
        self.messages.clear()


class SMTPServer:
    """An SMTP server on a free loopback port; `inbox` holds what it received."""

    def __init__(self, inbox: Inbox | None = None, port: int | None = None):
        self.inbox = inbox or Inbox()
        self.port = port or free_port()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self):
        self._controller.start()

    def stop(self):
        self._controller.stop()

    @property
    def config(self) -> dict:
        """The app settings that send mail here."""
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port}


def delivered(inbox: Inbox, count: int = 1, timeout: float = 5.0) -> list:
    """The messages once `count` have arrived (the outbox has sent what it was given)."""
    outbox.join()
    deadline = time.monotonic() + timeout
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(inbox.messages)


def reset_token(message) -> str:
    """The `token=...` a password reset mail carries."""
    return re.search(r"token=([A-Za-z0-9_-]+)", message.get_content())[1]
