"""Telling people: `notify` (called by any domain's service) and each person's own notifications and preferences.

`notify` records one in-app notification per recipient who wants it, in the caller's transaction, and queues an
email for those who chose email; the email leaves only after that transaction commits (app.core.db.on_commit),
so a rolled-back change neither records nor sends anything. Text is stored as an N_() template with parameters
and written in the reader's language when shown (the page's) or sent (the recipient's `User.language`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.audit import service as audit
from app.core.db import on_commit, utcnow
from app.core.errors import N_, InvalidInput, NotFound
from app.core.i18n import render_message
from app.core.pagination import PageRequest, Paginated, paginate
from app.notifications import mail
from app.notifications.events import NotificationEvent
from app.notifications.kinds import Channel, NotificationKind, declared_kinds, lookup
from app.notifications.models import Notification, NotificationPreference
from app.notifications.permissions import NotificationAction, is_recipient, rules
from app.users.models import User, UserStatus

LINK_MAX = 500


def notify(
    session: Session,
    *,
    recipients: Iterable[User],
    kind: NotificationKind,
    subject: str,
    params: Mapping[str, Any] | None = None,
    link: str | None = None,
    body: str = "",
) -> list[Notification]:
    """Tells each active recipient, by the channel they chose for `kind` (or its default).

    `subject` and `body` are N_() templates in English; `params` fill their %(name)s placeholders and are stored
    as JSON: a value given as {"en": ..., "ja": ...} is shown in the reader's language, others as they are.
    `link` is a path on this site (the email makes it absolute). Returns the notifications recorded."""
    if link is not None and (not link.startswith("/") or link.startswith("//") or len(link) > LINK_MAX):
        raise ValueError(f"a notification links to a path on this site, not {link!r}")
    values = dict(params or {})
    people = {user.id: user for user in recipients if user.status is UserStatus.active}
    channels = _channels(session, list(people), kind)
    recorded: list[Notification] = []
    mails: list[mail.Mail] = []
    for user_id, user in people.items():
        channel = channels[user_id]
        if channel is Channel.off:
            continue
        notification = Notification(
            user_id=user_id, kind=kind.key, subject=subject, body=body, params=values, link=link
        )
        session.add(notification)
        recorded.append(notification)
        if channel is Channel.email:
            language = user.language or "en"
            mails.append(
                mail.Mail(
                    to=user.email,
                    language=language,
                    subject=render_message(subject, values, language),
                    body=render_message(body, values, language) if body else "",
                    link=link,
                )
            )
    session.flush()
    if mails:
        outbox = mail.outbox()
        on_commit(session, lambda: outbox.send_later(mails))
    return recorded


def _channels(session: Session, user_ids: Sequence[int], kind: NotificationKind) -> dict[int, Channel]:
    """Each person's channel for `kind`: their choice, else the kind's default. One query for everyone."""
    chosen: dict[int, Channel] = {}
    if user_ids:
        query = select(NotificationPreference.user_id, NotificationPreference.channel).where(
            NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind.key
        )
        chosen = {user_id: channel for user_id, channel in session.execute(query)}
    return {user_id: chosen.get(user_id, kind.default_channel) for user_id in user_ids}


# A person's own notifications -----------------------------------------------------------------------------------


def list_notifications(
    session: Session, principal: Principal, page: PageRequest, *, unread_only: bool = False
) -> Paginated[Notification]:
    """The person's notifications, newest first."""
    rules.require(principal, NotificationAction.read, None)
    query = select(Notification).where(Notification.user_id == principal.user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return paginate(session, query, page, order_by=(Notification.id.desc(),))


def unread_count(session: Session, principal: Principal) -> int:
    """The bell's number: one indexed count (ix_notification_unread)."""
    if not rules.allows(principal, NotificationAction.read, None):
        return 0
    query = select(func.count()).where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
    return session.scalar(query) or 0


def own_notification(session: Session, principal: Principal, notification_id: int) -> Notification:
    """One of the person's notifications; someone else's is not found, so its existence is not disclosed."""
    notification = session.get(Notification, notification_id)
    if notification is None or not is_recipient(principal, notification):
        raise NotFound(N_("no such notification"))
    return notification


def mark_read(session: Session, principal: Principal, notification: Notification) -> Notification:
    rules.require(principal, NotificationAction.mark_read, notification)
    if notification.read_at is None:
        notification.read_at = utcnow()
    return notification


def mark_all_read(session: Session, principal: Principal) -> int:
    """Marks every unread notification of the person read; returns how many there were."""
    rules.require(principal, NotificationAction.mark_read, None)
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def text_of(notification: Notification, language: str) -> tuple[str, str]:
    """The subject and body in `language`."""
    params = notification.params or {}
    body = render_message(notification.body, params, language) if notification.body else ""
    return render_message(notification.subject, params, language), body


# Preferences ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    kind: NotificationKind
    channel: Channel
    chosen: bool  # False: the kind's default, the person has not chosen


def preferences(session: Session, principal: Principal) -> list[Preference]:
    """Every declared kind with the person's channel for it."""
    rules.require(principal, NotificationAction.set_preferences, None)
    rows = session.execute(
        select(NotificationPreference.kind, NotificationPreference.channel).where(
            NotificationPreference.user_id == principal.user_id
        )
    )
    chosen = {kind: channel for kind, channel in rows}
    return [
        Preference(kind, chosen.get(kind.key, kind.default_channel), kind.key in chosen) for kind in declared_kinds()
    ]


def parse_kind(value: str, *, field: str) -> NotificationKind:
    kind = lookup(value)
    if kind is None:
        raise InvalidInput(N_("%(what)s is not a kind of notification"), what=value, field=field)
    return kind


def set_preferences(
    session: Session, principal: Principal, choices: Mapping[NotificationKind, Channel]
) -> list[Preference]:
    """Sets the person's channel for each kind given (others keep theirs); the change is audited."""
    rules.require(principal, NotificationAction.set_preferences, None)
    existing = {
        row.kind: row
        for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == principal.user_id)
        )
    }
    changed: dict[str, str] = {}
    for kind, channel in choices.items():
        row = existing.get(kind.key)
        before = row.channel if row is not None else kind.default_channel
        if row is None:
            session.add(NotificationPreference(user_id=principal.user_id, kind=kind.key, channel=channel))
        else:
            row.channel = channel
        if channel is not before:
            changed[kind.key] = channel.value
    if changed:
        audit.record(
            session, principal.user_id, NotificationEvent.preferences, "user", principal.user_id, channels=changed
        )
    session.flush()
    return preferences(session, principal)
