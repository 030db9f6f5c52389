"""Email for notifications: sent after the transaction commits, off the request's thread, with a time limit.

`notify` hands the messages of a committed transaction to the outbox (app.core.db.on_commit); one background
thread per process sends them, one connection per message, each bounded by QUAD_SMTP_TIMEOUT_SECONDS. With no
QUAD_SMTP_HOST (the embedded default) each message is written as an .eml file under QUAD_DATA_DIR/mail.
A failure is logged (never the password, never the message) and dropped: mail is a courtesy copy, the
notification itself is in the app. Messages still queued when the process stops are lost (the notifications
stay), and atexit gives the queue a few seconds to drain.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import smtplib
import ssl
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from app.core.config import PRIVATE_FILE_MODE, Settings, get_settings, private_directory
from app.core.db import utcnow
from app.core.errors import N_
from app.core.i18n import gettext_for, known_language

log = logging.getLogger("app.notifications.mail")


@dataclass(frozen=True)
class Mail:
    """One message, already in its recipient's language; `link` is a path on this site."""

    to: str
    language: str
    subject: str
    body: str
    link: str | None


class Transport(Protocol):
    def deliver(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """An SMTP server (QUAD_SMTP_*): STARTTLS when asked, a login when a username is set."""

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host is not None
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.starttls = settings.smtp_starttls
        self.timeout = settings.smtp_timeout_seconds

    def deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password.get_secret_value() if self.password else "")
            smtp.send_message(message)

    def __repr__(self) -> str:
        return f"SmtpTransport({self.host}:{self.port})"


class FolderTransport:
    """The embedded default: each message an .eml file (0600) in a private folder, for a person to open."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def deliver(self, message: EmailMessage) -> None:
        private_directory(self.folder)
        name = f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
        partial = self.folder / f".{name}.tmp"
        fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as file:
            file.write(message.as_bytes())
        partial.replace(self.folder / name)  # readers never see half a message

    def __repr__(self) -> str:
        return f"FolderTransport({self.folder})"


def transport_for(settings: Settings) -> Transport:
    return SmtpTransport(settings) if settings.smtp_host else FolderTransport(settings.mail_dir)


FOOTER = N_("You receive this email because of your notification settings. Change them at %(url)s")
OPEN_LINK = N_("Open: %(url)s")


def compose(mail: Mail, *, sender: str, base_url: str) -> EmailMessage:
    """The message as sent: plain text in the recipient's language, with the link and where to change settings."""
    gettext = gettext_for(known_language(mail.language))
    parts = [mail.subject]
    if mail.body:
        parts.append(mail.body)
    if mail.link:
        parts.append(gettext(OPEN_LINK) % {"url": base_url + mail.link})
    parts.append("-- \n" + gettext(FOOTER) % {"url": base_url + "/profile/notifications"})
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a notification
    message.set_content("\n\n".join(parts) + "\n")
    message["Content-Language"] = known_language(mail.language)  # after set_content, which resets Content-*
    return message


IDLE_SECONDS = 60  # a sender thread with nothing to do for this long ends


class Outbox:
    """A queue and one daemon thread that sends what it is given, in order."""

    def __init__(self, transport: Transport, *, sender: str, base_url: str) -> None:
        self.transport = transport
        self.sender = sender
        self.base_url = base_url
        self._queue: queue.Queue[Mail] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def send_later(self, mails: Iterable[Mail]) -> None:
        with self._lock:
            for mail in mails:
                self._queue.put(mail)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="quad-mail", daemon=True)
                self._thread.start()

    def wait_until_sent(self, timeout: float) -> bool:
        """True when every message handed over so far was sent or given up, within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def _run(self) -> None:
        while True:
            try:
                mail = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:  # send_later puts under this lock: nothing can slip in between check and exit
                    if self._queue.empty():
                        self._thread = None  # idle: the next send_later starts a new thread
                        return
                continue
            try:
                self.transport.deliver(compose(mail, sender=self.sender, base_url=self.base_url))
            except Exception as exc:
                # The reason only: neither the message nor the password (smtplib's errors carry the server's
                # reply, never what we sent).
                log.warning("notification email not sent through %r: %s: %s", self.transport, type(exc).__name__, exc)
            finally:
                self._queue.task_done()


_outbox: Outbox | None = None
_outbox_lock = threading.Lock()


def configure(settings: Settings) -> Outbox:
    """Called by create_app (and by tests that point mail elsewhere): where this process's mail goes."""
    global _outbox
    with _outbox_lock:
        _outbox = Outbox(transport_for(settings), sender=settings.mail_from, base_url=settings.base_url)
        return _outbox


def outbox() -> Outbox:
    """The configured outbox, or one from the environment's settings (the CLI, the demo data)."""
    with _outbox_lock:
        current = _outbox
    return current if current is not None else configure(get_settings())


@atexit.register
def _drain_at_exit() -> None:
    if _outbox is not None:
        _outbox.wait_until_sent(timeout=5)
