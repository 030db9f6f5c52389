"""A person's secret calendar feed: the address a calendar program subscribes to (`/calendar/<secret>.ics`).

Only the SHA-256 of the secret is kept, like API tokens: the address is shown once, when it is made. A person has
at most one feed that works; making a new one revokes the old (a leaked address is stopped by replacing it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, Timestamped


class CalendarFeed(Timestamped, Base):
    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]
