"""API shapes of notifications and preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.notifications.kinds import Channel
from app.notifications.models import Notification
from app.notifications.service import Preference, text_of


class NotificationOut(BaseModel):
    """`subject` and `body` in English, like every API answer; `kind`, `params` and `link` let a client write
    its own text."""

    id: int
    kind: str
    subject: str
    body: str
    params: dict[str, Any]
    link: str | None
    created_at: datetime
    read_at: datetime | None
    unread: bool

    @classmethod
    def of(cls, notification: Notification) -> NotificationOut:
        subject, body = text_of(notification, "en")
        return cls(
            id=notification.id,
            kind=notification.kind,
            subject=subject,
            body=body,
            params=notification.params or {},
            link=notification.link,
            created_at=notification.created_at,
            read_at=notification.read_at,
            unread=notification.read_at is None,
        )


class MarkedRead(BaseModel):
    marked: int = Field(description="How many unread notifications were marked read")


class PreferenceOut(BaseModel):
    kind: str
    label: str
    channel: Channel
    default: Channel
    chosen: bool = Field(description="False while the person keeps the kind's default")

    @classmethod
    def of(cls, preference: Preference) -> PreferenceOut:
        return cls(
            kind=preference.kind.key,
            label=preference.kind.label,
            channel=preference.channel,
            default=preference.kind.default_channel,
            chosen=preference.chosen,
        )


class PreferencesIn(BaseModel):
    """The channel for each kind to change, by the kind's key; kinds not named keep their channel."""

    channels: dict[str, Channel] = Field(
        max_length=100, examples=[{"document.added": "email", "account.approved": "off"}]
    )
