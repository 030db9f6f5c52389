"""A real SMTP server on loopback (aiosmtpd), and the app's outbox pointed at it for one test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from app.core.config import Settings
from app.notifications import mail
from tests.support.server import free_port


@dataclass
class Inbox:
    """What the server received: each message parsed, with the envelope's recipients."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        parsed = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for rcpts, message in self.messages if address in rcpts]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@contextmanager
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@contextmanager
def mail_through(settings: Settings, **overrides: object) -> Iterator[mail.Outbox]:
    """The process's outbox sends with these settings for the block, then goes back to the app's own."""
    outbox = mail.configure(settings.model_copy(update=overrides))
    try:
        yield outbox
    finally:
        outbox.wait_until_sent(timeout=10)
        mail.configure(settings)


@dataclass
class Mailbox:
    """The server's inbox and the outbox that sends to it: `settle()` waits until everything handed to the outbox
    was delivered, so a test can also assert that nothing came."""

    inbox: Inbox
    outbox: mail.Outbox

    def settle(self, timeout: float = 10) -> None:
        assert self.outbox.wait_until_sent(timeout), "the outbox did not empty"

    def to(self, address: str) -> list[EmailMessage]:
        self.settle()
        return self.inbox.to(address)

    @property
    def count(self) -> int:
        self.settle()
        return len(self.inbox.messages)
