"""The documents' permission vocabulary (app/documents/permissions.py) without HTTP: every action, for every kind of
person, on an unmarked and on a marked document; creation on each shelf; and the services refusing with the
action's own message."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import ANONYMOUS, Principal
from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.core.errors import Conflict, Forbidden
from app.documents import permissions, queries, service
from app.documents.models import Document
from app.documents.permissions import DocumentAction, Shelf, ShelfAction, rules, shelf_rules
from app.groups.models import MembershipRole, WorkingGroup
from app.users.models import Role, UserStatus
from app.web.templating import gettext_for
from tests.support.documents import make_document

A = DocumentAction
EDITOR = {A.add_version, A.edit, A.mark, A.change_marking, A.withdraw, A.read_content}
EVERYTHING = set(DocumentAction)
PEOPLE = (
    "anonymous",
    "pending",
    "industry",
    "observer",
    "us_member",
    "jp_non_member",
    "secretariat",
    "cleared_secretariat",
    "admin",
)
# What each person may do to a public, unmarked document of the US delegation in a group the US delegate belongs to.
UNMARKED: dict[str, set[DocumentAction]] = {
    "anonymous": {A.read_content},
    "pending": {A.read_content},
    "industry": {A.read_content},
    "observer": {A.read_content},
    "us_member": EDITOR,
    "jp_non_member": {A.read_content},
    "secretariat": EVERYTHING,
    "cleared_secretariat": EVERYTHING,
    "admin": EVERYTHING,
}
# The same document once marked and released to the US only: its content follows the release rule, and its
# marking may be changed only with export clearance.
MARKED: dict[str, set[DocumentAction]] = {
    "anonymous": set(),
    "pending": set(),
    "industry": set(),
    "observer": set(),  # an observer of a released country is not a delegate: no content
    "us_member": EDITOR - {A.change_marking},
    "jp_non_member": set(),
    "secretariat": EVERYTHING - {A.read_content, A.change_marking},
    "cleared_secretariat": EVERYTHING,
    "admin": EVERYTHING - {A.read_content, A.change_marking},  # no clearance given
}
# Who may file a new document, by owner, in that group.
CREATE: dict[str, set[str | None]] = {
    "anonymous": set(),
    "pending": set(),
    "industry": set(),
    "observer": set(),
    "us_member": {"US"},
    "jp_non_member": set(),  # their own country, but not a member of the group
    "secretariat": {"US", "JP", "AU", "IN", None},
    "cleared_secretariat": {"US", "JP", "AU", "IN", None},
    "admin": {"US", "JP", "AU", "IN", None},
}


@dataclass
class World:
    group: WorkingGroup
    unmarked: Document
    marked: Document
    people: dict[str, Principal]


@pytest.fixture
def world(db: Session, app, make_user, make_group) -> World:
    us = make_user(Role.delegate, "US")
    cleared = make_user(Role.secretariat, None)
    cleared.export_cleared = True
    db.commit()
    users = {
        "pending": make_user(Role.industry, "US", status=UserStatus.pending),
        "industry": make_user(Role.industry, "US"),
        "observer": make_user(Role.observer, "US"),
        "us_member": us,
        "jp_non_member": make_user(Role.delegate, "JP"),
        "secretariat": make_user(Role.secretariat, None),
        "cleared_secretariat": cleared,
        "admin": make_user(Role.admin, None),
    }
    group = make_group("rules-group", (us, MembershipRole.member))
    unmarked = make_document(db, app, us, group, title="Open paper")
    marked = make_document(db, app, us, group, title="Marked paper", controlled=True, release=("US",))
    people = {"anonymous": ANONYMOUS, **{k: auth_service.principal_for(db, u) for k, u in users.items()}}
    return World(group, unmarked, marked, people)


def test_every_action_has_its_refusal_message_in_english_and_japanese() -> None:
    japanese = gettext_for("ja")
    for vocabulary, messages in ((DocumentAction, rules.denied), (ShelfAction, shelf_rules.denied)):
        assert set(messages) == set(vocabulary), vocabulary
        for action in vocabulary:
            assert messages[action].strip(), action
            assert japanese(messages[action]) != messages[action], f"{action}: not in the Japanese catalog"


def test_each_person_may_take_exactly_their_actions_on_a_document(world: World) -> None:
    assert set(PEOPLE) == set(world.people)
    for who in PEOPLE:
        principal = world.people[who]
        for document, expected in ((world.unmarked, UNMARKED[who]), (world.marked, MARKED[who])):
            assert set(rules.allowed(principal, document)) == expected, (who, document.title)
            for action in DocumentAction:
                assert rules.allows(principal, action, document) is (action in expected), (who, action)


def test_the_pages_test_actions_by_their_names(world: World) -> None:
    """Templates write {% if "edit" in can %}: the names of the actions are the strings they compare."""
    can = rules.allowed(world.people["us_member"], world.unmarked)
    assert "edit" in can and "withdraw" in can and "reinstate" not in can
    assert all(action.name == action.value for action in DocumentAction)


def test_each_person_may_file_new_documents_for_exactly_their_owners(world: World) -> None:
    for who in PEOPLE:
        principal = world.people[who]
        for owner in ("US", "JP", "AU", "IN", None):
            allowed = shelf_rules.allows(principal, ShelfAction.create, Shelf(world.group.id, owner))
            assert allowed is (owner in CREATE[who]), (who, owner)
        offered = permissions.owners_for(principal, world.group.id, ["US", "JP", "AU", "IN", None])
        assert set(offered) == CREATE[who], who


def test_the_services_refuse_with_the_actions_own_message(world: World, db: Session, app) -> None:
    jp = world.people["jp_non_member"]
    us = world.people["us_member"]
    storage = app.state.storage
    with pytest.raises(Forbidden) as refused:
        service.withdraw(db, jp, world.unmarked, "not mine")
    assert refused.value.detail == rules.denied[A.withdraw]
    with pytest.raises(Forbidden) as refused:
        service.edit_document(db, jp, world.unmarked, _fields(world.unmarked), service.Marking(False))
    assert refused.value.detail == rules.denied[A.edit]
    with pytest.raises(Forbidden) as refused:
        service.update_metadata(db, us, world.unmarked, _fields(world.unmarked, owner="JP"))
    assert refused.value.detail == rules.denied[A.give_to_other_owner]
    with pytest.raises(Forbidden) as refused:
        service.reinstate(db, us, world.unmarked, "")
    assert refused.value.detail == rules.denied[A.reinstate]
    with pytest.raises(Forbidden) as refused:
        limits = service.UploadLimits(max_bytes=1024)
        service.create_document(db, jp, storage, world.group, _fields(world.unmarked, owner="JP"), _upload(), limits)
    assert refused.value.detail == shelf_rules.denied[ShelfAction.create]
    db.rollback()


def test_withdraw_and_reinstate_keep_their_reasons_on_the_audit_trail(world: World, db: Session, app) -> None:
    document = queries.get_document(db, world.people["us_member"], world.unmarked.id)
    service.withdraw(db, world.people["us_member"], document, "Superseded by the joint paper")
    with pytest.raises(Conflict):
        limits = service.UploadLimits(max_bytes=1024)
        service.add_version(db, world.people["us_member"], app.state.storage, document, _upload(), limits)
    service.reinstate(db, world.people["secretariat"], document, "Withdrawn by mistake")
    with pytest.raises(Conflict):
        service.reinstate(db, world.people["secretariat"], document, "")
    db.commit()
    assert document.withdrawn_at is None
    events = db.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.target_id == str(document.id), AuditEvent.action.in_(("document.withdraw", "document.reinstate"))
        )
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.data["reason"]) for e in events] == [
        ("document.withdraw", "Superseded by the joint paper"),
        ("document.reinstate", "Withdrawn by mistake"),
    ]


def _fields(document: Document, owner: str | None = "US") -> service.DocumentFields:
    return service.DocumentFields(document.title, "", owner, document.doc_type, document.visibility)


def _upload() -> service.Upload:
    return service.Upload(io.BytesIO(b"Text.\n"), "t.txt")
