"""Notifications are their recipient's alone: only they list, read, mark and choose how they are told.

Someone else's notification is not refused but not found (404), so its existence is not disclosed; the loaders
in the service ask `is_recipient` for that.
"""

from __future__ import annotations

from enum import StrEnum

from app.access.principal import Principal
from app.access.rules import Rules
from app.core.errors import N_
from app.notifications.models import Notification


class NotificationAction(StrEnum):
    read = "read"  # list one's notifications, see the bell's count
    mark_read = "mark_read"  # one, or all at once
    set_preferences = "set_preferences"  # in the app, by email or off, per kind


def is_recipient(principal: Principal, notification: Notification) -> bool:
    return principal.user_id is not None and notification.user_id == principal.user_id


def _check(principal: Principal, action: NotificationAction, notification: Notification | None) -> bool:
    if not principal.is_authenticated:
        return False
    return notification is None or is_recipient(principal, notification)


rules: Rules[NotificationAction, Notification | None] = Rules(
    _check,
    denied={
        NotificationAction.read: N_("Sign in to see your notifications."),
        NotificationAction.mark_read: N_("Only the person notified may mark a notification as read."),
        NotificationAction.set_preferences: N_("Sign in to choose how you are notified."),
    },
)
