from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.access.roles import MembershipRole
from app.core.db import Base, Timestamped, enum_column_type
from app.users.models import User


class GroupStatus(StrEnum):
    active = "active"
    archived = "archived"


class WorkingGroup(Timestamped, Base):
    __tablename__ = "working_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    technology_area: Mapped[str] = mapped_column(String(64), index=True)
    charter: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[GroupStatus] = mapped_column(enum_column_type(GroupStatus), default=GroupStatus.active)

    memberships: Mapped[list[Membership]] = relationship(back_populates="group", cascade="all, delete-orphan")


class Membership(Timestamped, Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_group.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[MembershipRole] = mapped_column(enum_column_type(MembershipRole), default=MembershipRole.member)

    group: Mapped[WorkingGroup] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
