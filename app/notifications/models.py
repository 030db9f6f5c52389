"""In-app notifications (the bell and /notifications) and each person's choice of channel per kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, Timestamped, enum_column_type
from app.notifications.kinds import Channel


class Notification(Timestamped, Base):
    """One notice to one person. Its text is kept as the message template and its parameters, so it is shown in
    whatever language the reader uses when they read it."""

    __tablename__ = "notification"
    __table_args__ = (
        # The bell's count on every page: the person's unread ones, from the index alone.
        Index("ix_notification_unread", "user_id", "read_at"),
        # The list, newest first.
        Index("ix_notification_user_newest", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)  # an N_() template in English
    body: Mapped[str] = mapped_column(Text, default="")  # an N_() template in English, may be empty
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))  # a path on this site
    read_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """A person's channel for one kind; a kind without a row gets its declared default."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(enum_column_type(Channel))
