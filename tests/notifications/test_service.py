"""`notify` at the service level: who is told, by which channel, in whose language, and only after a commit."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.auth import service as auth_service
from app.core.config import Settings
from app.core.errors import N_, NotFound
from app.core.pagination import PageRequest
from app.documents.notices import DocumentNotice
from app.notifications import service
from app.notifications.kinds import Channel, NotificationKind, declared_kinds, lookup
from app.notifications.models import Notification
from app.users.models import Role, User, UserStatus
from app.users.notices import AccountNotice
from tests.support.smtp import Mailbox, mail_through

# The two kinds the platform declares so far, one of each default channel.
QUIET = DocumentNotice.added  # in the app unless one chooses
LOUD = AccountNotice.approved  # by email unless one chooses


SUBJECT = N_("New document in %(group)s: %(title)s")
GROUP = {"en": "Semiconductors", "ja": "半導体作業部会"}


def tell(db: Session, *people: User, kind: NotificationKind = LOUD, link: str | None = None) -> list[Notification]:
    return service.notify(
        db, recipients=list(people), kind=kind, subject=SUBJECT, params={"group": GROUP, "title": "x"}, link=link
    )


def count_for(db: Session, user: User) -> int:
    return db.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user.id)) or 0


def japanese(user: User, db: Session) -> User:
    user.language = "ja"
    db.commit()
    return user


def test_kinds_are_declared_by_the_domains_that_send_them() -> None:
    keys = {kind.key for kind in declared_kinds()}
    assert {"account.approved", "document.added"} <= keys
    assert lookup("account.approved") is not None and lookup("account.approved").default_channel is Channel.email
    assert lookup("document.added").default_channel is Channel.in_app
    assert lookup("no.such.kind") is None


def test_each_channel_is_honoured(db: Session, make_user: Callable[..., User], mailbox: Mailbox) -> None:
    """in_app: a notification and no mail; email: both; off: neither. The default applies until one chooses."""
    by_default, in_app, by_email, off = (make_user(Role.delegate, "US") for _ in range(4))
    for person, channel in ((in_app, Channel.in_app), (by_email, Channel.email), (off, Channel.off)):
        principal = auth_service.principal_for(db, person)
        service.set_preferences(db, principal, {QUIET: channel})
    db.commit()

    recorded = service.notify(
        db,
        recipients=[by_default, in_app, by_email, off],
        kind=QUIET,
        subject=SUBJECT,
        params={"group": GROUP, "title": "Chip map"},
        link="/documents/1",
    )
    db.commit()

    assert {n.user_id for n in recorded} == {by_default.id, in_app.id, by_email.id}
    assert [count_for(db, p) for p in (by_default, in_app, by_email, off)] == [1, 1, 1, 0]
    assert mailbox.to(by_email.email) and mailbox.count == 1, "only the person who chose email gets one"


def test_mail_arrives_in_the_recipients_language_with_the_link(
    db: Session, make_user: Callable[..., User], mailbox: Mailbox, settings: Settings
) -> None:
    english = make_user(Role.delegate, "US")
    hanako = japanese(make_user(Role.delegate, "JP"), db)
    service.notify(
        db,
        recipients=[english, hanako],
        kind=LOUD,
        subject=SUBJECT,
        params={"group": GROUP, "title": "Chip map"},
        link="/documents/42",
    )
    db.commit()

    [to_english] = mailbox.to(english.email)
    assert to_english["Subject"] == "New document in Semiconductors: Chip map"
    assert to_english["To"] == english.email
    assert to_english["From"] == settings.mail_from
    body = to_english.get_content()
    assert f"{settings.base_url}/documents/42" in body
    assert f"{settings.base_url}/profile/notifications" in body

    [to_japanese] = mailbox.to(hanako.email)
    assert to_japanese["Subject"] == "半導体作業部会 に新しい文書：Chip map"
    assert to_japanese["Content-Language"] == "ja"
    assert "開く：" in to_japanese.get_content() and f"{settings.base_url}/documents/42" in to_japanese.get_content()


def test_a_rolled_back_transaction_records_and_sends_nothing(
    db: Session, make_user: Callable[..., User], mailbox: Mailbox
) -> None:
    person = make_user(Role.delegate, "US")
    tell(db, person)
    db.rollback()
    db.commit()  # a later commit of the same session must not send what was rolled back
    assert count_for(db, person) == 0
    assert mailbox.count == 0


def test_a_rolled_back_savepoint_sends_nothing_though_its_transaction_commits(
    db: Session, make_user: Callable[..., User], mailbox: Mailbox
) -> None:
    kept, dropped = make_user(Role.delegate, "US"), make_user(Role.delegate, "JP")
    savepoint = db.begin_nested()
    tell(db, dropped)
    savepoint.rollback()
    tell(db, kept)
    db.commit()
    assert count_for(db, dropped) == 0 and count_for(db, kept) == 1
    assert mailbox.to(kept.email) and not mailbox.to(dropped.email)


def test_only_active_accounts_are_told(db: Session, make_user: Callable[..., User], mailbox: Mailbox) -> None:
    pending = make_user(Role.industry, "US", status=UserStatus.pending)
    disabled = make_user(Role.delegate, "US", status=UserStatus.disabled)
    active = make_user(Role.delegate, "US")
    recorded = tell(db, pending, disabled, active, active)
    db.commit()
    assert [n.user_id for n in recorded] == [active.id], "once each, active accounts only"
    assert mailbox.count == 1


def test_links_stay_on_this_site(db: Session, make_user: Callable[..., User]) -> None:
    person = make_user(Role.delegate, "US")
    for link in ("https://evil.example/x", "//evil.example/x", "/" + "a" * 600):
        with pytest.raises(ValueError):
            service.notify(db, recipients=[person], kind=QUIET, subject=SUBJECT, link=link)


def test_without_an_smtp_host_mail_is_written_to_the_data_folder(
    db: Session, make_user: Callable[..., User], settings: Settings, tmp_path: Path
) -> None:
    folder_settings = settings.model_copy(update={"data_dir": tmp_path, "smtp_host": None})
    assert folder_settings.mail_dir == tmp_path / "mail"
    person = japanese(make_user(Role.delegate, "JP"), db)
    with mail_through(folder_settings) as outbox:
        tell(db, person, link="/documents/7")
        db.commit()
        assert outbox.wait_until_sent(10)
    [written] = list((tmp_path / "mail").glob("*.eml"))
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "mail").stat().st_mode) == 0o700
    message = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["To"] == person.email
    assert message["Subject"] == "半導体作業部会 に新しい文書：x"
    assert "/documents/7" in message.get_content()  # type: ignore[attr-defined]


def test_a_send_failure_is_logged_without_secrets_and_never_fails_the_commit(
    db: Session, make_user: Callable[..., User], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.server import free_port

    person = make_user(Role.delegate, "US")
    secret = "smtp-password-never-logged"
    with (
        caplog.at_level(logging.WARNING, logger="app.notifications.mail"),
        mail_through(
            settings,
            smtp_host="127.0.0.1",
            smtp_port=free_port(),
            smtp_starttls=False,
            smtp_username="quad",
            smtp_password=secret,
            smtp_timeout_seconds=2,
        ) as outbox,
    ):
        tell(db, person)
        db.commit()  # does not raise: the mail is sent after the commit, by the outbox's thread
        assert outbox.wait_until_sent(10)
    assert count_for(db, person) == 1, "the notification stays although its email could not be sent"
    failures = [r for r in caplog.records if r.name == "app.notifications.mail"]
    assert failures, "the failure is logged"
    assert all(secret not in r.getMessage() for r in caplog.records)
    assert all(person.email not in r.getMessage() for r in failures)


def test_own_notifications_only(db: Session, make_user: Callable[..., User]) -> None:
    owner, other = make_user(Role.delegate, "US"), make_user(Role.delegate, "JP")
    [notification] = tell(db, owner, kind=QUIET)
    db.commit()
    as_owner, as_other = auth_service.principal_for(db, owner), auth_service.principal_for(db, other)
    with pytest.raises(NotFound):
        service.own_notification(db, as_other, notification.id)
    assert service.list_notifications(db, as_other, PageRequest()).total == 0
    assert service.unread_count(db, as_owner) == 1
    service.mark_read(db, as_owner, service.own_notification(db, as_owner, notification.id))
    assert service.unread_count(db, as_owner) == 0
    assert service.mark_all_read(db, as_owner) == 0


def test_preferences_are_audited_when_they_change(db: Session, make_user: Callable[..., User]) -> None:
    from app.audit.models import AuditEvent

    person = make_user(Role.delegate, "US")
    principal = auth_service.principal_for(db, person)
    service.set_preferences(db, principal, {QUIET: Channel.in_app})  # the default: no change
    service.set_preferences(db, principal, {QUIET: Channel.off})
    db.commit()
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "notification.preferences", AuditEvent.actor_id == person.id)
    ).all()
    assert [e.data for e in events] == [{"channels": {"document.added": "off"}}]
    chosen = {p.kind.key: (p.channel, p.chosen) for p in service.preferences(db, principal)}
    assert chosen["document.added"] == (Channel.off, True)
    assert chosen["account.approved"] == (Channel.email, False)


def test_the_system_principal_has_no_notifications(db: Session) -> None:
    with pytest.raises(Exception, match="Sign in"):
        service.list_notifications(db, SYSTEM, PageRequest())
    assert service.unread_count(db, SYSTEM) == 0


def test_an_approval_tells_the_person_in_their_language(
    db: Session, make_user: Callable[..., User], mailbox: Mailbox
) -> None:
    from app.users import registrations

    staff = auth_service.principal_for(db, make_user(Role.secretariat))
    waiting = japanese(make_user(Role.industry, "JP", status=UserStatus.pending), db)
    registrations.decide_registration(db, staff, waiting.id, approve=True)
    db.commit()
    [message] = mailbox.to(waiting.email)
    assert message["Subject"] == "アカウントが承認されました"
    assert "事務局が Quad Dialogue のアカウントを承認しました" in message.get_content()
    rejected = make_user(Role.industry, "JP", status=UserStatus.pending)
    registrations.decide_registration(db, staff, rejected.id, approve=False)
    db.commit()
    assert count_for(db, rejected) == 0 and not mailbox.to(rejected.email)
