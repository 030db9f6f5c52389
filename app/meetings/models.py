"""Meetings of a working group: their agenda (items in order, linked documents), who looked at which agenda
version, and attendance (each person's answer, and who really came).

A meeting declares its own visibility like a document (`__protection__`); its `country` visibility reaches the
host country's delegation. Agenda items and minutes revisions inherit the meeting's (Indico's inheriting protection).

Minutes are revisions appended and never changed; publishing one appends a `MinutesPublication` (also never
changed), so which revisions readers may see is the list of publications, and the latest one is the minutes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.access.principal import Principal
from app.access.visibility import InheritsVisibility, Protection, Visibility, VisibleContent
from app.core.db import Base, Timestamped, enum_column_type, utcnow
from app.core.errors import N_
from app.core.labels import LabelledEnum
from app.documents.models import Document
from app.groups import permissions as group_permissions
from app.groups.models import WorkingGroup
from app.users.models import User


class MeetingMode(LabelledEnum):
    in_person = "in_person"
    virtual = "virtual"
    hybrid = "hybrid"

    __labels__ = {"in_person": N_("In person"), "virtual": N_("Online"), "hybrid": N_("Hybrid (in person and online)")}

    @property
    def has_venue(self) -> bool:
        return self is not MeetingMode.virtual

    @property
    def has_join_link(self) -> bool:
        return self is not MeetingMode.in_person


class MeetingStatus(LabelledEnum):
    scheduled = "scheduled"
    held = "held"
    cancelled = "cancelled"

    __labels__ = {"scheduled": N_("Scheduled"), "held": N_("Held"), "cancelled": N_("Cancelled")}


class AgendaState(LabelledEnum):
    """Draft: only the editors see it. Published: everyone who reads the meeting; changes bump the version.
    Locked: no more changes (409)."""

    draft = "draft"
    published = "published"
    locked = "locked"

    __labels__ = {"draft": N_("Draft agenda"), "published": N_("Published agenda"), "locked": N_("Locked agenda")}


class AttendanceAnswer(LabelledEnum):
    in_person = "in_person"
    online = "online"
    not_attending = "not_attending"

    __labels__ = {
        "in_person": N_("Attending in person"),
        "online": N_("Attending online"),
        "not_attending": N_("Not attending"),
    }


class Meeting(VisibleContent, Timestamped, Base):
    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_group_starts", "group_id", "starts_at"),)
    # `country` visibility: the host country's delegation (and the secretariat).
    __protection__ = Protection(visibility="visibility", group="group_id", owner_country="host_country")

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("working_group.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)  # UTC
    ends_at: Mapped[datetime] = mapped_column(index=True)  # UTC
    host_country: Mapped[str] = mapped_column(ForeignKey("country.code"))
    mode: Mapped[MeetingMode] = mapped_column(enum_column_type(MeetingMode))
    venue: Mapped[str | None] = mapped_column(String(300))
    # Shown only to invitees (app.meetings.permissions, MeetingAction.see_join_link); never in a list.
    join_link: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[MeetingStatus] = mapped_column(enum_column_type(MeetingStatus), default=MeetingStatus.scheduled)
    visibility: Mapped[Visibility] = mapped_column(enum_column_type(Visibility))
    agenda_state: Mapped[AgendaState] = mapped_column(enum_column_type(AgendaState), default=AgendaState.draft)
    # 0 while the agenda is a draft; 1 when published; +1 for each change after that.
    agenda_version: Mapped[int] = mapped_column(default=0)
    # +1 on every change of the meeting or its agenda (what a calendar file's SEQUENCE follows).
    sequence: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[WorkingGroup] = relationship()
    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )

    @classmethod
    def requirements(cls, principal: Principal) -> Sequence[ColumnElement[bool]]:
        """Its working group must be readable too: an archived group's meetings are hidden from all but staff."""
        return (cls.group_id.in_(select(WorkingGroup.id).where(group_permissions.readable_groups(principal))),)

    def meets_requirements(self, principal: Principal) -> bool:
        return group_permissions.can_read(principal, self.group)

    @property
    def length_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class AgendaItem(InheritsVisibility, Timestamped, Base):
    __tablename__ = "agenda_item"
    __protection_parent__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when shown
    # The presenter: a person, or a country's delegation (at most one of the two).
    presenter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    presenter_country: Mapped[str | None] = mapped_column(ForeignKey("country.code"))
    minutes: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(Text, default="")  # Markdown
    # The agenda version that last changed this item (0: before the agenda was published).
    changed_in_version: Mapped[int] = mapped_column(default=0)

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    presenter: Mapped[User | None] = relationship()
    document_links: Mapped[list[AgendaDocument]] = relationship(
        cascade="all, delete-orphan", order_by="AgendaDocument.document_id"
    )

    @property
    def document_ids(self) -> list[int]:
        return [link.document_id for link in self.document_links]


class AgendaDocument(Base):
    """A document of the meeting's group linked to an agenda item."""

    __tablename__ = "agenda_document"

    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("document.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    document: Mapped[Document] = relationship()


class AgendaView(Base):
    """The agenda version a person saw when they last opened the meeting page."""

    __tablename__ = "agenda_view"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    seen_version: Mapped[int] = mapped_column(default=0)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attendance(Base):
    """One person and one meeting: their answer before it, and whether they came (recorded by an organiser)."""

    __tablename__ = "attendance"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    answer: Mapped[AttendanceAnswer | None] = mapped_column(enum_column_type(AttendanceAnswer))
    attended: Mapped[bool | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class MinutesRevision(InheritsVisibility, Base):
    """One revision of a meeting's minutes: its Markdown and the sanitised HTML made from it when appended.
    Numbered 1, 2, ... per meeting; a draft until a publication names it."""

    __tablename__ = "meeting_minutes_revision"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)
    __protection_parent__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)  # Markdown as written
    html: Mapped[str] = mapped_column(Text)  # app.core.markdown.to_html(text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")  # what this revision changed, in a line
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    author: Mapped[User | None] = relationship()


class MinutesPublication(Base):
    """A revision made readable to everyone who reads the meeting (the latest publication is the minutes)."""

    __tablename__ = "meeting_minutes_publication"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)  # a revision is published once

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # the revision's number
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
