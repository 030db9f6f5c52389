from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.access.roles import Role, UserStatus
from app.core.db import Base, Timestamped, enum_column_type

# Roles that speak for a country, so must have one.
COUNTRY_ROLES = frozenset({Role.delegate, Role.industry, Role.observer})


class User(Timestamped, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    # Lower-cased email: the unique key, so Alice@X and alice@x are one person.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(enum_column_type(Role))
    country_code: Mapped[str | None] = mapped_column(ForeignKey("country.code"), index=True)
    organisation: Mapped[str | None] = mapped_column(String(160))
    status: Mapped[UserStatus] = mapped_column(enum_column_type(UserStatus), default=UserStatus.active)
    language: Mapped[str | None] = mapped_column(String(8))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # Secretariat staff explicitly cleared to download export-controlled files.
    export_cleared: Mapped[bool] = mapped_column(default=False)
    # When the person last opened the home page: "what changed since your last visit" starts here.
    last_home_visit_at: Mapped[datetime | None]
    # Bumped by every change to what this person's principal holds (app/auth/access_version.py). It starts at a
    # random number, so an id used again (a rolled-back row, a restored database) never meets a principal or a
    # page cached for someone else; 2**30 leaves room for a billion bumps in a 32-bit column.
    access_version: Mapped[int] = mapped_column(default=lambda: secrets.randbelow(2**30), server_default="0")

    identities: Mapped[list[IdentityLink]] = relationship(back_populates="user", cascade="all, delete-orphan")


class IdentityLink(Timestamped, Base):
    """A person as an identity provider knows them: (issuer, subject), never an email alone."""

    __tablename__ = "identity_link"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    provider_name: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))

    user: Mapped[User] = relationship(back_populates="identities")
