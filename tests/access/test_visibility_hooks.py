"""The contract's hooks and group-less content, on models declared for the test only, in a real SQLite database.

`Sketch` is its own declarative base, not app.core.db.Base, so these models never reach the migrations. They are
shaped like the domains to come: a dialogue-wide draft (no group column) and its clauses, a consultation (its
group optional) that opens itself to approved industry by a grant and hides when closed by a requirement, its
comments and their replies (a grandchild).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from sqlalchemy import ColumnElement, ForeignKey, String, false
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from app.access.principal import ANONYMOUS, Principal
from app.access.roles import MembershipRole, Role, UserStatus
from app.access.visibility import InheritsVisibility, Protection, Visibility, VisibleContent
from app.core.db import build_engine, enum_column_type
from tests.access.content import RowMaker, content_models, readable_sets


class Sketch(DeclarativeBase):
    pass


class Draft(VisibleContent, Sketch):
    """Dialogue-wide: it has no group column at all."""

    __tablename__ = "draft"
    __protection__ = Protection(visibility="visibility", group=None, owner_country="owner_country")

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    visibility: Mapped[Visibility] = mapped_column(enum_column_type(Visibility))
    owner_country: Mapped[str | None] = mapped_column(String(2))


class Clause(InheritsVisibility, Sketch):
    __tablename__ = "clause"
    __protection_parent__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"))
    text: Mapped[str] = mapped_column(String(200))

    draft: Mapped[Draft] = relationship()


def _approved_industry(principal: Principal) -> bool:
    return principal.role is Role.industry and principal.is_active


class Consultation(VisibleContent, Sketch):
    __tablename__ = "consultation"
    __protection__ = Protection(visibility="visibility", group="group_id", owner_country="owner_country")

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None]  # None: a dialogue-wide consultation
    visibility: Mapped[Visibility] = mapped_column(enum_column_type(Visibility))
    owner_country: Mapped[str | None] = mapped_column(String(2))
    open_to_industry: Mapped[bool] = mapped_column(default=False)
    closed: Mapped[bool] = mapped_column(default=False)

    @classmethod
    def grants(cls, principal: Principal) -> Sequence[ColumnElement[bool]]:
        return (cls.open_to_industry.is_(True) if _approved_industry(principal) else false(),)

    def is_granted_to(self, principal: Principal) -> bool:
        return self.open_to_industry and _approved_industry(principal)

    @classmethod
    def requirements(cls, principal: Principal) -> Sequence[ColumnElement[bool]]:
        return () if principal.is_staff else (cls.closed.is_(False),)

    def meets_requirements(self, principal: Principal) -> bool:
        return principal.is_staff or not self.closed


class Comment(InheritsVisibility, Sketch):
    __tablename__ = "comment"
    __protection_parent__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    body: Mapped[str] = mapped_column(String(200))

    consultation: Mapped[Consultation] = relationship()


class Reply(InheritsVisibility, Sketch):
    __tablename__ = "reply"
    __protection_parent__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"))
    body: Mapped[str] = mapped_column(String(200))

    comment: Mapped[Comment | None] = relationship()


GROUP, OTHER_GROUP = 1, 2


def _person(
    role: Role, country: str | None, *, status: UserStatus = UserStatus.active, groups: Sequence[int] = ()
) -> Principal:
    roles = MappingProxyType(dict.fromkeys(groups, MembershipRole.member))
    return Principal(user_id=1, role=role, country=country, status=status, group_roles=roles)


PEOPLE = {
    "anonymous": ANONYMOUS,
    "pending industry": _person(Role.industry, "US", status=UserStatus.pending),
    "approved industry": _person(Role.industry, "US"),
    "US observer in the group": _person(Role.observer, "US", groups=[GROUP]),
    "US delegate in the group": _person(Role.delegate, "US", groups=[GROUP]),
    "JP delegate not in it": _person(Role.delegate, "JP", groups=[OTHER_GROUP]),
    "AU delegate": _person(Role.delegate, "AU"),
    "secretariat": _person(Role.secretariat, None),
    "admin": _person(Role.admin, None),
    "disabled US delegate in the group": _person(Role.delegate, "US", status=UserStatus.disabled, groups=[GROUP]),
}
SKETCHES = content_models(Sketch.registry.mappers)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = build_engine(f"sqlite:///{tmp_path / 'sketch.db'}")
    Sketch.metadata.create_all(engine)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


@pytest.fixture
def rows(session: Session) -> RowMaker:
    maker = RowMaker(session, [GROUP, OTHER_GROUP], ("US", "JP", "AU"))
    # Every combination of the grant's and the requirement's columns, over every visibility, group and owner.
    for n, consultation in enumerate(maker.rows_of(Consultation)):
        consultation.open_to_industry, consultation.closed = n % 2 == 0, n % 3 == 0
    session.flush()
    return maker


def test_the_sketch_models_are_found() -> None:
    assert [Clause, Comment, Consultation, Draft, Reply] == SKETCHES


@pytest.mark.parametrize("model", SKETCHES, ids=lambda model: model.__name__)
def test_list_filter_and_object_check_agree(rows: RowMaker, session: Session, model: type[Any]) -> None:
    readable_sets(session, model, rows.rows_of(model), PEOPLE)


def test_a_grant_opens_content_to_approved_industry_and_a_requirement_closes_it_to_all(
    rows: RowMaker, session: Session
) -> None:
    consultations = rows.rows_of(Consultation)
    readable = readable_sets(session, Consultation, consultations, PEOPLE)
    for row in consultations:
        shown_to_all = row.visibility is Visibility.public and not row.closed
        assert (row.id in readable["anonymous"]) is shown_to_all
        assert (row.id in readable["pending industry"]) is shown_to_all
        assert (row.id in readable["approved industry"]) is (not row.closed and (row.open_to_industry or shown_to_all))
        # The grant is for industry: a delegate gains nothing from it.
        quad_for_jp = row.visibility is Visibility.quad or row.visibility is Visibility.public
        assert (row.id in readable["JP delegate not in it"]) is (
            not row.closed
            and (
                quad_for_jp
                or (row.visibility is Visibility.group and row.group_id == OTHER_GROUP)
                or (row.visibility is Visibility.country and row.owner_country == "JP")
            )
        )
        assert row.id in readable["secretariat"]
    comments = rows.rows_of(Comment)
    comment_readable = readable_sets(session, Comment, comments, PEOPLE)["approved industry"]
    assert {c.id for c in comments if c.consultation_id in readable["approved industry"]} == comment_readable
    replies = rows.rows_of(Reply)
    reply_readable = readable_sets(session, Reply, replies, PEOPLE)["approved industry"]
    assert {r.id for r in replies if r.comment_id in comment_readable} == reply_readable


def test_group_content_without_a_group_is_for_staff_only(rows: RowMaker, session: Session) -> None:
    drafts = rows.rows_of(Draft)
    group_drafts = {d.id for d in drafts if d.visibility is Visibility.group}
    consultations = rows.rows_of(Consultation)
    # (Open ones are read by approved industry through the grant, tested above.)
    groupless = {
        c.id
        for c in consultations
        if c.visibility is Visibility.group and c.group_id is None and not c.open_to_industry
    }
    assert group_drafts and groupless
    for model, rows_, ids in ((Draft, drafts, group_drafts), (Consultation, consultations, groupless)):
        readable = readable_sets(session, model, rows_, PEOPLE)
        for person, keys in readable.items():
            staff = person in ("secretariat", "admin")
            assert (ids <= keys) is staff and (staff or not ids & keys), (model.__name__, person)
    # Group-less content of the other visibilities follows the ordinary rule.
    readable = readable_sets(session, Draft, drafts, PEOPLE)
    us_country = {d.id for d in drafts if d.visibility is Visibility.country and d.owner_country == "US"}
    assert us_country <= readable["US delegate in the group"] and not us_country & readable["JP delegate not in it"]
    ownerless = {d.id for d in drafts if d.visibility is Visibility.country and d.owner_country is None}
    assert ownerless and not ownerless & readable["US delegate in the group"]


def test_a_child_without_its_parent_is_read_by_nobody(rows: RowMaker, session: Session) -> None:
    replies = rows.rows_of(Reply)  # readable parents exist: NULL IN (a non-empty set) is NULL, not false
    orphan = Reply(comment=None, body="orphan")
    session.add(orphan)
    session.flush()
    readable = readable_sets(session, Reply, [*replies, orphan], PEOPLE)
    assert all(orphan.id not in keys for keys in readable.values())
    assert all(keys for keys in readable.values())


def test_declarations_that_name_no_column_fail_when_the_class_is_made() -> None:
    class Elsewhere(DeclarativeBase):
        pass

    with pytest.raises(TypeError, match="owner"):

        class Misspelt(VisibleContent, Elsewhere):
            __tablename__ = "misspelt"
            __protection__ = Protection(visibility="visibility", group=None, owner_country="owner")
            id: Mapped[int] = mapped_column(primary_key=True)
            visibility: Mapped[Visibility] = mapped_column(enum_column_type(Visibility))

    with pytest.raises(TypeError, match="declares no __protection__"):

        class Undeclared(VisibleContent, Elsewhere):
            __tablename__ = "undeclared"
            id: Mapped[int] = mapped_column(primary_key=True)


def test_a_parent_must_be_a_many_to_one_to_content() -> None:
    class Elsewhere(DeclarativeBase):
        pass

    class Plain(Elsewhere):
        __tablename__ = "plain"
        id: Mapped[int] = mapped_column(primary_key=True)

    class ChildOfPlain(InheritsVisibility, Elsewhere):
        __tablename__ = "child_of_plain"
        __protection_parent__ = "plain"
        id: Mapped[int] = mapped_column(primary_key=True)
        plain_id: Mapped[int] = mapped_column(ForeignKey("plain.id"))
        plain: Mapped[Plain] = relationship()

    with pytest.raises(TypeError, match="declares no visibility"):
        ChildOfPlain.readable_by(ANONYMOUS)

    class Folder(InheritsVisibility, Elsewhere):
        __tablename__ = "folder"
        __protection_parent__ = "items"
        id: Mapped[int] = mapped_column(primary_key=True)
        items: Mapped[list[Item]] = relationship()

    class Item(Elsewhere):
        __tablename__ = "item"
        id: Mapped[int] = mapped_column(primary_key=True)
        folder_id: Mapped[int] = mapped_column(ForeignKey("folder.id"))

    with pytest.raises(TypeError, match="many-to-one"):
        Folder.readable_by(ANONYMOUS)
