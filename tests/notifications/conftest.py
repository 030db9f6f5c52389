"""A real SMTP server for the notification tests, and the outbox pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.config import Settings
from tests.support.smtp import Inbox, Mailbox, mail_through, smtp_server


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[int, Inbox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def mailbox(smtp: tuple[int, Inbox], settings: Settings) -> Iterator[Mailbox]:
    """This test's mail goes to the SMTP server on loopback (plain SMTP: no STARTTLS on loopback)."""
    port, inbox = smtp
    inbox.clear()
    with mail_through(settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False) as outbox:
        yield Mailbox(inbox, outbox)
