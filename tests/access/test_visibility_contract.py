"""The visibility contract, proved for every content model the app maps: the list filter and the object check agree.

The models are found in `Base.registry.mappers` (every subclass of VisibleContent or InheritsVisibility), so a
new content model is covered by merely existing. Its rows, of every visibility, in an active group, a group of
other people, an archived group and (where the model allows) no group, owned by each country and by none, are made
in the migrated test database. The people are real accounts, made principals the way a request makes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import Session

import app.models  # noqa: F401  (every domain's models, as Alembic sees them)
from app.access.principal import ANONYMOUS, SYSTEM, Principal
from app.access.visibility import InheritsVisibility, Visibility
from app.auth import service as auth_service
from app.core.db import Base
from app.documents.models import Document, DocumentVersion
from app.groups import service as groups
from app.groups.models import GroupStatus, MembershipRole, WorkingGroup
from app.users.models import Role, UserStatus
from tests.access.content import RowMaker, content_models, readable_sets

CONTENT = content_models(Base.registry.mappers)
COUNTRIES = ("US", "JP", "AU")


def test_content_models_are_found() -> None:
    assert CONTENT, "no mapped class mixes in VisibleContent or InheritsVisibility"
    assert Document in CONTENT and DocumentVersion in CONTENT


@dataclass
class World:
    people: dict[str, Principal]
    main: WorkingGroup  # the US delegate, the US observer and the disabled delegate are members
    other: WorkingGroup  # the JP delegate's group
    archived: WorkingGroup  # the US and AU delegates were members
    rows: RowMaker


@pytest.fixture
def world(db: Session, make_user: Any, make_group: Any) -> World:
    member, observer_role = MembershipRole.member, MembershipRole.observer
    us_delegate, jp_delegate, au_delegate = (make_user(Role.delegate, country) for country in COUNTRIES)
    observer = make_user(Role.observer, "US")
    disabled = make_user(Role.delegate, "US", status=UserStatus.disabled)
    main = make_group("vis-main", (us_delegate, member), (observer, observer_role), (disabled, member))
    other = make_group("vis-other", (jp_delegate, member))
    archived = make_group("vis-archived", (us_delegate, member), (au_delegate, member))
    groups.update_group(
        db,
        SYSTEM,
        archived,
        name=archived.name,
        technology_area=archived.technology_area,
        charter=archived.charter,
        status=GroupStatus.archived,
    )
    accounts = {
        "pending industry": make_user(Role.industry, "US", status=UserStatus.pending),
        "approved industry": make_user(Role.industry, "US"),
        "US observer in the group": observer,
        "US delegate in the group": us_delegate,
        "JP delegate not in it": jp_delegate,
        "AU delegate": au_delegate,
        "secretariat": make_user(Role.secretariat),
        "admin": make_user(Role.admin),
        "disabled US delegate in the group": disabled,
    }
    db.commit()
    people = {"anonymous": ANONYMOUS} | {name: auth_service.principal_for(db, user) for name, user in accounts.items()}
    return World(people, main, other, archived, RowMaker(db, [main.id, other.id, archived.id], COUNTRIES))


@pytest.mark.parametrize("model", CONTENT, ids=lambda model: model.__name__)
def test_list_filter_and_object_check_agree(world: World, db: Session, model: type[Any]) -> None:
    rows = world.rows.rows_of(model)
    readable = readable_sets(db, model, rows, world.people)
    # Not vacuous: the rows tell the people apart, and someone is kept out of something.
    assert len({frozenset(keys) for keys in readable.values()}) > 2, readable
    assert any(len(keys) < len(rows) for keys in readable.values())
    assert any(keys for keys in readable.values())
    if issubclass(model, InheritsVisibility):
        for row in rows:
            parent = getattr(row, model.__protection_parent__)
            for name, principal in world.people.items():
                assert row.is_readable_by(principal) == parent.is_readable_by(principal), (model.__name__, name)


# The README's table, written out per person, independently of the code: visibilities open to them whatever the
# group or owner, the groups whose `group` content they read, the country whose `country` content they read.
PUBLIC_ONLY = ({Visibility.public}, (), None)
QUAD = {Visibility.public, Visibility.quad}
READS = {
    "anonymous": PUBLIC_ONLY,
    "pending industry": PUBLIC_ONLY,
    "approved industry": PUBLIC_ONLY,
    "disabled US delegate in the group": PUBLIC_ONLY,
    "US observer in the group": (QUAD, ("main",), "US"),
    "US delegate in the group": (QUAD, ("main", "archived"), "US"),
    "JP delegate not in it": (QUAD, ("other",), "JP"),
    "AU delegate": (QUAD, ("archived",), "AU"),
}
STAFF = ("secretariat", "admin")


def _expected(world: World, person: str, document: Document) -> bool:
    if person in STAFF:
        return True
    if document.group_id == world.archived.id:
        return False
    levels, group_names, country = READS[person]
    if document.visibility in levels:
        return True
    if document.visibility is Visibility.group:
        return document.group_id in {getattr(world, name).id for name in group_names}
    return document.visibility is Visibility.country and country is not None and document.owner_country == country


@pytest.mark.parametrize("model", [Document, DocumentVersion], ids=lambda model: model.__name__)
def test_documents_follow_the_published_visibility_table(world: World, db: Session, model: type[Any]) -> None:
    rows = world.rows.rows_of(model)
    readable = readable_sets(db, model, rows, world.people)
    assert set(readable) == set(READS) | set(STAFF)
    key = inspect(model).primary_key[0].key
    for row in rows:
        document = row if isinstance(row, Document) else row.document
        for person, keys in readable.items():
            assert (getattr(row, key) in keys) is _expected(world, person, document), (person, document.title)
