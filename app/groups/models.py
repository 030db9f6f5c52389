"""Working groups (the rooms of the dialogue) and their members."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.access.roles import MembershipRole
from app.core.db import Base, Timestamped, enum_column_type
from app.core.errors import N_
from app.core.labels import LabelledEnum
from app.users.models import User


class GroupStatus(LabelledEnum):
    active = "active"
    archived = "archived"

    __labels__ = {"active": N_("Active"), "archived": N_("Archived")}


class TechnologyArea(LabelledEnum):
    """The technology areas the dialogue's groups were founded for. A group's area stays free text (a new area
    needs no release); these well-known ones get translated names, any other is shown as it was typed."""

    telecom_5g_6g = "5g-6g"
    biotechnology = "biotechnology"
    semiconductors = "semiconductors"

    __labels__ = {
        "5g-6g": N_("5G/6G telecommunications"),
        "biotechnology": N_("Biotechnology"),
        "semiconductors": N_("Semiconductors"),
    }


def name_in_language(name: str, name_ja: str | None, language: str) -> str:
    """The name a page in `language` shows: the Japanese one on Japanese pages when there is one."""
    return name_ja if language == "ja" and name_ja else name


class WorkingGroup(Timestamped, Base):
    __tablename__ = "working_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    technology_area: Mapped[str] = mapped_column(String(64), index=True)
    charter: Mapped[str] = mapped_column(Text, default="")
    # The name and charter in Japanese, when the secretariat has written them; pages in Japanese show them.
    name_ja: Mapped[str | None] = mapped_column(String(160))
    charter_ja: Mapped[str | None] = mapped_column(Text)
    # The charters as sanitised HTML, rendered from the Markdown when saved (app.core.markdown); pages show these.
    charter_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    charter_ja_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[GroupStatus] = mapped_column(enum_column_type(GroupStatus), default=GroupStatus.active)

    memberships: Mapped[list[Membership]] = relationship(back_populates="group", cascade="all, delete-orphan")

    def name_in(self, language: str) -> str:
        """The name a page in `language` shows: the Japanese one on Japanese pages when there is one.
        Templates call `group.name_in(language)` (every page has `language`)."""
        return name_in_language(self.name, self.name_ja, language)

    def charter_in(self, language: str) -> str:
        return self.charter_ja if language == "ja" and self.charter_ja else self.charter

    def charter_html_in(self, language: str) -> str:
        """The stored HTML of `charter_in(language)`."""
        return (self.charter_ja_html or "") if language == "ja" and self.charter_ja else self.charter_html


class Membership(Timestamped, Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_group.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[MembershipRole] = mapped_column(enum_column_type(MembershipRole), default=MembershipRole.member)

    group: Mapped[WorkingGroup] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
