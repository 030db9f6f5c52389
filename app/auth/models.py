"""What signing in leaves in the database: personal API tokens and browser sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, Timestamped, enum_column_type
from app.users.models import User


class ApiToken(Timestamped, Base):
    """A personal access token. Only its SHA-256 is kept; the prefix lets people tell tokens apart."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    # Changes no page (app/core/data_version.py).
    __bookkeeping__ = frozenset({"last_used_at"})


class SessionEnd(StrEnum):
    """Why a browser session was ended. (A session past its idle or absolute limit simply stops working.)"""

    sign_out = "sign_out"
    sign_out_everywhere = "sign_out_everywhere"
    disabled = "disabled"
    replaced = "replaced"


class UserSession(Timestamped, Base):
    """A signed-in browser. The cookie carries only a random id whose SHA-256 is kept here, so ending the
    record (sign-out, sign-out everywhere, a disabled account) ends the session even for a copied cookie."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Written at most once a minute (see LAST_SEEN_RESOLUTION), so the idle limit has a minute's slack.
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[SessionEnd | None] = mapped_column(enum_column_type(SessionEnd))
    provider_name: Mapped[str | None] = mapped_column(String(64))
    # The provider's id_token, only for the id_token_hint of its logout; dropped when the session ends.
    id_token: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()

    __bookkeeping__ = frozenset({"last_seen_at"})
