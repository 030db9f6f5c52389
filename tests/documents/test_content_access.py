"""The export-control rule on every door: metadata follows visibility, content (files, text, redlines, text search,
hashes and sizes) follows the release rule, and every content access to a marked document is audited.

Each door is tried over HTTP as each kind of person; the list filters are compared with the object checks.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import httpx
import pytest
from pypdf import PdfReader
from reportlab.pdfgen import canvas
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.access.visibility import Visibility
from app.audit.models import AuditEvent
from app.documents import permissions
from app.documents.models import Document
from app.groups.models import GroupStatus, MembershipRole, WorkingGroup
from app.users.models import Role, User, UserStatus
from tests.support.documents import make_document

DOCS = "/api/v1/documents"
SECRET_SENTENCE = "gallium nitride wafers from the Kumamoto line"


def pdf_bytes(*lines: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for n, line in enumerate(lines):
        page.drawString(72, 720 - 20 * n, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


@dataclass
class Person:
    kind: str
    user: User | None
    reads_content: bool  # of the marked, public document released to the US


@dataclass
class World:
    group: WorkingGroup
    marked: Document
    people: list[Person]
    chair: User


@pytest.fixture
def world(db: Session, app, make_user, make_group) -> World:
    chair = make_user(Role.delegate, "US", name="Una States")
    jp = make_user(Role.delegate, "JP", name="Jun Japan")
    group = make_group("semis", (chair, MembershipRole.chair), (jp, MembershipRole.member))
    cleared = make_user(Role.secretariat, name="Cleo Cleared")
    cleared.export_cleared = True
    db.commit()
    marked = make_document(
        db,
        app,
        chair,
        group,
        title="Fab capacity outlook",
        visibility=Visibility.public,
        content=f"Capacity plan.\n\n{SECRET_SENTENCE}.\n".encode(),
        versions=(f"Capacity plan, revised.\n\n{SECRET_SENTENCE}.\n".encode(),),
        controlled=True,
        release=("US",),
    )
    people = [
        Person("anonymous", None, False),
        Person("pending industry", make_user(Role.industry, "JP", status=UserStatus.pending), False),
        Person("industry", make_user(Role.industry, "US"), False),
        Person("observer of a released country", make_user(Role.observer, "US"), False),
        Person("released delegate", chair, True),
        Person("delegate of another country in the group", jp, False),
        Person("delegate outside the group", make_user(Role.delegate, "IN"), False),
        Person("uncleared secretariat", make_user(Role.secretariat), False),
        Person("cleared secretariat", cleared, True),
    ]
    return World(group, marked, people, chair)


def http_for(person: Person, api_as, browser_as, client) -> tuple[httpx.Client, httpx.Client]:
    """(API client, page client) for a person: a token for the API, a signed-in session for pages."""
    if person.user is None:
        return client, client
    return api_as(person.user), browser_as(person.user)


def content_events(db: Session, document_id: int) -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).where(
        AuditEvent.target_type == "document",
        AuditEvent.target_id == str(document_id),
        AuditEvent.action.in_(("document.content_read", "document.content_refused")),
    )
    return list(db.scalars(query.order_by(AuditEvent.id)))


def test_every_content_door_follows_the_release_rule_for_every_kind_of_person(
    world: World, db: Session, api_as, browser_as, client
) -> None:
    doc = world.marked.id
    content_doors = [
        ("api", "GET", f"{DOCS}/{doc}/versions/1/file"),
        ("api", "HEAD", f"{DOCS}/{doc}/versions/2/file"),
        ("api", "GET", f"{DOCS}/{doc}/compare?from=1&to=2"),
        ("api", "GET", f"{DOCS}/{doc}/compare?from=1&to=1"),
        ("page", "GET", f"/documents/{doc}/versions/2/file"),
        ("page", "GET", f"/documents/{doc}/compare?from=1&to=2"),
    ]
    for person in world.people:
        api, page = http_for(person, api_as, browser_as, client)
        before = len(content_events(db, doc))
        for audience, method, url in content_doors:
            http = api if audience == "api" else page
            answer = http.request(method, url)
            expected = 200 if person.reads_content else 403
            if person.kind == "anonymous" and audience == "page" and not person.reads_content:
                expected = 303  # the public is sent to sign in (the refusal is still on the audit trail)
            assert answer.status_code == expected, (person.kind, method, url, answer.status_code)
            if not person.reads_content:
                assert SECRET_SENTENCE not in answer.text, (person.kind, url)
        # Every one of those content requests is on the audit trail, allowed or refused, with its path.
        events = content_events(db, doc)[before:]
        assert len(events) == len(content_doors), person.kind
        wanted = "document.content_read" if person.reads_content else "document.content_refused"
        assert {e.action for e in events} == {wanted}, person.kind
        assert [e.data["path"] for e in events] == [
            "download",
            "download-head",
            "compare",
            "compare",
            "download",
            "compare",
        ]
        assert all(e.actor_id == (person.user.id if person.user else None) for e in events)

        # Metadata stays visible to all (the document is public); content-derived facts only to readers.
        detail = api.get(f"{DOCS}/{doc}")
        assert detail.status_code == 200, person.kind
        for version in detail.json()["versions"]:
            assert (version["sha256"] is not None) is person.reads_content, person.kind
            assert (version["size"] is not None) is person.reads_content, person.kind
        versions = api.get(f"{DOCS}/{doc}/versions").json()
        assert all((v["sha256"] is not None) is person.reads_content for v in versions), person.kind
        html = page.get(f"/documents/{doc}").text
        sha = world.marked.versions[0].sha256
        assert (sha[:16] in html) is person.reads_content, person.kind
        assert (f"/documents/{doc}/compare" in html) is person.reads_content, person.kind
        assert (f"/documents/{doc}/versions/1/file" in html) is person.reads_content, person.kind


def test_text_search_matches_a_marked_file_only_for_its_readers(world: World, api_as, browser_as, client) -> None:
    for person in world.people:
        api, page = http_for(person, api_as, browser_as, client)
        found = api.get(DOCS, params={"q": "Kumamoto line"}).json()
        assert (found["total"] == 1) is person.reads_content, person.kind
        # The title is metadata: anyone who can see the document finds it by title.
        assert api.get(DOCS, params={"q": "Fab capacity"}).json()["total"] == 1, person.kind
        listing = page.get(f"/groups/{world.group.slug}/documents", params={"q": "Kumamoto line"})
        assert listing.status_code == 200
        assert ("Fab capacity outlook" in listing.text) is person.reads_content, person.kind


def test_list_filters_agree_with_object_checks_for_every_person(
    world: World, db: Session, app, make_group, api_as, browser_as, client
) -> None:
    """Documents of every visibility, marked and not, in an active and an archived group: what a list shows and
    what the object check allows are the same set, for metadata and for content."""
    archived = make_group("old-wg", (world.chair, MembershipRole.member))
    owner = world.chair
    docs = [world.marked]
    for visibility in Visibility:
        for controlled in (False, True):
            for group in (world.group, archived):
                docs.append(
                    make_document(
                        db,
                        app,
                        owner,
                        group,
                        title=f"{visibility.value} {controlled} {group.slug}",
                        visibility=visibility,
                        content=b"Shared term zircon.\n",
                        controlled=controlled,
                        release=("US", "JP"),
                    )
                )
    db.execute(update(WorkingGroup).where(WorkingGroup.id == archived.id).values(status=GroupStatus.archived))
    db.commit()
    from app.access.principal import ANONYMOUS
    from app.auth import service as auth_service

    for person in world.people:
        api, _ = http_for(person, api_as, browser_as, client)
        principal = auth_service.principal_for(db, person.user) if person.user else ANONYMOUS
        listed = {d["id"] for d in api.get(DOCS, params={"per_page": 100}).json()["items"]}
        searched = {d["id"] for d in api.get(DOCS, params={"per_page": 100, "q": "zircon"}).json()["items"]}
        db.expire_all()
        readable, content = set(), set()
        for document in docs:
            loaded = db.get(Document, document.id)
            assert loaded is not None
            status = api.get(f"{DOCS}/{document.id}").status_code
            assert status in (200, 404)
            assert (status == 200) is permissions.can_read(principal, loaded), (person.kind, loaded.title)
            if status == 200:
                readable.add(document.id)
                download = api.get(f"{DOCS}/{document.id}/versions/1/file")
                assert download.status_code in (200, 403)
                assert (download.status_code == 200) is permissions.can_read_content(principal, loaded)
                if download.status_code == 200 and b"zircon" in download.content:
                    content.add(document.id)
        assert listed == readable, person.kind
        assert searched == content, person.kind
        assert all(d.group_id != archived.id for d in docs if d.id in listed) or principal.is_staff


def test_archived_groups_documents_are_gone_for_non_staff_on_api_and_pages(
    world: World, db: Session, api_as, browser_as
) -> None:
    db.execute(update(WorkingGroup).where(WorkingGroup.id == world.group.id).values(status=GroupStatus.archived))
    db.commit()
    api, page = api_as(world.chair), browser_as(world.chair)
    doc = world.marked.id
    assert api.get(DOCS).json()["total"] == 0
    assert api.get(f"{DOCS}/{doc}").status_code == 404
    assert api.get(f"{DOCS}/{doc}/versions/1/file").status_code == 404
    assert page.get(f"/documents/{doc}").status_code == 404
    staff = next(p.user for p in world.people if p.kind == "cleared secretariat")
    assert api_as(staff).get(f"{DOCS}/{doc}").status_code == 200


def put_marking(http: httpx.Client, doc: int, **body) -> httpx.Response:
    return http.put(f"{DOCS}/{doc}/marking", json=body)


def marking_events(db: Session, doc: int) -> list[str]:
    db.expire_all()
    query = select(AuditEvent.action).where(
        AuditEvent.target_id == str(doc), AuditEvent.action.like("document.marking%")
    )
    return list(db.scalars(query.order_by(AuditEvent.id)))


def test_an_uncleared_officer_cannot_lift_a_marking_to_read(world: World, db: Session, api_as) -> None:
    uncleared = next(p.user for p in world.people if p.kind == "uncleared secretariat")
    api = api_as(uncleared)
    doc = world.marked.id
    lifted = put_marking(api, doc, controlled=False)
    assert lifted.status_code == 403
    assert lifted.headers["content-type"].startswith("application/problem+json")
    assert "export clearance" in lifted.json()["detail"]
    db.expire_all()
    assert db.get(Document, doc).controlled is True
    assert marking_events(db, doc)[-1] == "document.marking_refused"
    assert api.get(f"{DOCS}/{doc}/versions/1/file").status_code == 403
    # Widening the release list is a change to the marking too.
    widened = put_marking(api, doc, controlled=True, category="semiconductors", release=["US", "AU"])
    assert widened.status_code == 403


def test_an_owner_delegate_not_released_cannot_add_their_own_country(
    world: World, db: Session, api_as, make_user
) -> None:
    doc = world.marked.id
    chair = world.chair
    cleared = next(p.user for p in world.people if p.kind == "cleared secretariat")
    # The cleared officer narrows the release to Japan: the owner's own (US) delegate is no longer released.
    narrowed = put_marking(api_as(cleared), doc, controlled=True, category="semiconductors", release=["JP"])
    assert narrowed.status_code == 200, narrowed.text
    us = api_as(chair)
    assert us.get(f"{DOCS}/{doc}/versions/1/file").status_code == 403
    readd = put_marking(us, doc, controlled=True, category="semiconductors", release=["JP", "US"])
    assert readd.status_code == 403
    assert us.get(f"{DOCS}/{doc}/versions/1/file").status_code == 403
    # With export clearance, the same delegate may change the marking (documented rule).
    chair.export_cleared = True
    db.commit()
    cleared_us = api_as(chair)
    assert (
        put_marking(cleared_us, doc, controlled=True, category="semiconductors", release=["JP", "US"]).status_code
        == 200
    )


def test_content_stays_audited_for_thirty_days_after_a_marking_is_lifted(world: World, db: Session, api_as) -> None:
    cleared = next(p.user for p in world.people if p.kind == "cleared secretariat")
    doc = world.marked.id
    assert put_marking(api_as(cleared), doc, controlled=False).status_code == 200
    observer = next(p.user for p in world.people if p.kind == "observer of a released country")
    before = len(content_events(db, doc))
    assert api_as(observer).get(f"{DOCS}/{doc}/versions/1/file").status_code == 200
    events = content_events(db, doc)[before:]
    assert [e.action for e in events] == ["document.content_read"]
    assert events[0].actor_id == observer.id and events[0].data["controlled"] is False
    # After the window the unmarked file is no longer audited.
    from datetime import timedelta

    from app.core.db import utcnow

    db.execute(update(Document).where(Document.id == doc).values(unmarked_at=utcnow() - timedelta(days=31)))
    db.commit()
    before = len(content_events(db, doc))
    assert api_as(observer).get(f"{DOCS}/{doc}/versions/1/file").status_code == 200
    assert len(content_events(db, doc)) == before


def test_the_edit_form_refusal_to_lift_a_marking_is_audited(world: World, db: Session, browser_as) -> None:
    from tests.support.sessions import CSRF_TOKEN

    uncleared = next(p.user for p in world.people if p.kind == "uncleared secretariat")
    page = browser_as(uncleared)
    doc = world.marked.id
    form = {
        "csrf_token": CSRF_TOKEN,
        "title": "Fab capacity outlook",
        "doc_type": "contribution",
        "visibility": "public",
        "owner": "US",
        "description": "",
        "tags": "",
        "controlled": "",
    }
    answer = page.post(f"/documents/{doc}/edit", data=form)
    assert answer.status_code == 403
    assert "export clearance" in answer.text
    db.expire_all()
    assert db.get(Document, doc).controlled is True
    assert marking_events(db, doc)[-1] == "document.marking_refused"


# Marking from the first byte -------------------------------------------------------------------------------------


def test_a_document_can_be_marked_at_upload_through_the_api(world: World, db: Session, api_as) -> None:
    api = api_as(world.chair)
    answer = api.post(
        DOCS,
        data={
            "group": world.group.slug,
            "title": "Lithography roadmap",
            "doc_type": "technical_report",
            "visibility": "group",
            "owner": "US",
            "controlled": "true",
            "category": "semiconductors",
            "control_code": "3B001",
            "release": ["US", "AU"],
        },
        files={"file": ("roadmap.txt", b"Roadmap.\n", "text/plain")},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["marking"] == {
        "controlled": True,
        "category": "semiconductors",
        "control_code": "3B001",
        "release": ["AU", "US"],
    }
    db.expire_all()
    created = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "document.create", AuditEvent.target_id == str(body["id"]))
    )
    assert created is not None and created.data["marking"]["controlled"] is True
    # No "marking changed" event: it never existed unmarked.
    assert marking_events(db, body["id"]) == []


def test_a_marking_at_upload_is_validated_and_nothing_is_kept(world: World, db: Session, api_as) -> None:
    api = api_as(world.chair)
    answer = api.post(
        DOCS,
        data={
            "group": world.group.slug,
            "title": "X",
            "doc_type": "other",
            "visibility": "group",
            "owner": "US",
            "controlled": "true",
        },
        files={"file": ("x.txt", b"x\n", "text/plain")},
    )
    assert answer.status_code == 422
    assert "category" in answer.json()["detail"]
    db.expire_all()
    assert db.scalar(select(Document).where(Document.title == "X")) is None


def test_the_upload_page_marks_from_the_first_byte(world: World, db: Session, browser_as) -> None:
    from tests.support.sessions import CSRF_TOKEN

    page = browser_as(world.chair)
    form_page = page.get(f"/groups/{world.group.slug}/documents/new")
    assert 'name="controlled"' in form_page.text and 'name="release"' in form_page.text
    answer = page.post(
        f"/groups/{world.group.slug}/documents/new",
        data={
            "csrf_token": CSRF_TOKEN,
            "title": "Marked at birth",
            "doc_type": "contribution",
            "visibility": "group",
            "owner": "US",
            "controlled": "yes",
            "category": "spyware",
            "release": ["US"],
        },
        files={"file": ("m.txt", b"Marked.\n", "text/plain")},
    )
    assert answer.status_code == 303, answer.text
    db.expire_all()
    document = db.scalar(select(Document).where(Document.title == "Marked at birth"))
    assert document is not None and document.controlled and document.release_countries == ["US"]


# The activity feed ------------------------------------------------------------------------------------------------


def test_whats_new_shows_a_document_only_to_those_who_may_read_it(
    world: World, db: Session, app, make_user, browser_as
) -> None:
    secret = make_document(db, app, world.chair, world.group, title="US eyes only plan", visibility=Visibility.country)
    assert secret.id
    jp = next(p.user for p in world.people if p.kind == "delegate of another country in the group")
    us_home = browser_as(world.chair).get("/").text
    assert "US eyes only plan" in us_home and "Una States" in us_home
    jp_home = browser_as(jp).get("/").text
    assert "US eyes only plan" not in jp_home
    assert f"/documents/{secret.id}" not in jp_home
    # The marked public document is readable as metadata by the JP delegate: it appears, by title.
    assert "Fab capacity outlook" in jp_home


# Downloads: stamped or not at all ----------------------------------------------------------------------------------


def test_a_marked_pdf_is_stamped_with_the_account_country_and_time(world: World, db: Session, app, api_as) -> None:
    document = make_document(
        db, app, world.chair, world.group, content=pdf_bytes("Plan"), filename="plan.pdf", controlled=True
    )
    answer = api_as(world.chair).get(f"{DOCS}/{document.id}/versions/1/file")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert world.chair.email in text and "US" in text and "UTC" in text


def test_a_damaged_marked_pdf_is_refused_and_audited_as_refused_not_downloaded(
    world: World, db: Session, app, api_as
) -> None:
    broken = pdf_bytes("Plan")[:-200].replace(b"/Root", b"/Rxxx")
    document = make_document(db, app, world.chair, world.group, content=broken, filename="broken.pdf", controlled=True)
    before = len(content_events(db, document.id))
    answer = api_as(world.chair).get(f"{DOCS}/{document.id}/versions/1/file")
    assert answer.status_code == 403, answer.text
    assert "cannot be stamped" in answer.json()["detail"]
    events = content_events(db, document.id)[before:]
    assert [e.action for e in events] == ["document.content_refused"]
    assert events[0].data["reason"].startswith("stamp failed")


def test_head_on_a_download_answers_like_get_without_a_body(world: World, db: Session, app, api_as) -> None:
    document = make_document(db, app, world.chair, world.group, content=b"Plain text.\n")
    api = api_as(world.chair)
    head = api.head(f"{DOCS}/{document.id}/versions/1/file")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(b"Plain text.\n"))
    assert head.headers["etag"]


def test_a_marked_download_with_a_token_idle_for_minutes_succeeds_on_a_committed_database(tmp_path) -> None:
    """The token's last-use write and the download's audit record share the request's one transaction: before, on
    SQLite the first held the write lock while the second waited for it on another connection, and failed (500)."""
    from datetime import timedelta

    from app.access.principal import Principal
    from app.auth.models import ApiToken
    from app.core.db import build_engine, build_sessionmaker, utcnow
    from app.main import create_app
    from app.users.models import User as UserModel
    from tests.conftest import make_settings
    from tests.support.databases import committed_delegate_token, migrated_scratch_database
    from tests.support.server import serve

    with migrated_scratch_database() as url:
        token = committed_delegate_token(url)
        app = create_app(make_settings(url, tmp_path, "http://127.0.0.1:1"))
        with build_sessionmaker(app.state.engine)() as session, session.begin():
            from app.auth import service as auth_service
            from app.groups.models import WorkingGroup as Group

            user = session.scalar(select(UserModel))
            group = session.scalar(select(Group))
            assert user is not None and group is not None
            principal: Principal = auth_service.principal_for(session, user)
            document = make_marked_pdf(session, app, principal, group)
            # The token was last used ten minutes ago: this request writes its last-use time.
            session.execute(update(ApiToken).values(last_used_at=utcnow() - timedelta(minutes=10)))
        with serve(app) as base, httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as api:
            for _ in range(2):
                answer = api.get(f"{DOCS}/{document}/versions/1/file")
                assert answer.status_code == 200, answer.text
        engine = build_engine(url)
        with build_sessionmaker(engine)() as session:
            reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.content_read")).all()
            assert len(reads) == 2
        engine.dispose()
        app.state.engine.dispose()


def make_marked_pdf(session: Session, app, principal, group) -> int:
    from app.documents import service
    from app.documents.models import ControlCategory, DocumentType

    fields = service.DocumentFields("Marked plan", "", "US", DocumentType.contribution, Visibility.group)
    document = service.create_document(
        session,
        principal,
        app.state.storage,
        group,
        fields,
        service.Upload(io.BytesIO(pdf_bytes("Plan")), "plan.pdf"),
        service.UploadLimits(max_bytes=1024 * 1024),
        service.Marking(True, ControlCategory.semiconductors, "3A090", ("US",)),
    )
    return document.id
