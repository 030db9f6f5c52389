"""The home page answers "what do I do today" for each kind of person."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.access.visibility import Visibility
from app.core.db import utcnow
from app.documents.models import DocumentVersion, ExtractionStatus, VersionText
from app.groups.models import GroupStatus, MembershipRole
from app.users.models import Role, UserStatus
from tests.support.documents import make_document


def test_pending_industry_sees_since_when_and_whom_to_contact(browser_as, make_user, db: Session, settings) -> None:
    applicant = make_user(Role.industry, "AU", status=UserStatus.pending)
    applicant.created_at = utcnow() - timedelta(days=3)
    db.commit()
    page = browser_as(applicant).get("/")
    assert 'id="waiting-for-approval"' in page.text
    assert f"mailto:{settings.contact_email}" in page.text
    assert applicant.created_at.strftime("%Y") in page.text.split('id="waiting-for-approval"')[1].split("</div>")[0]
    active = browser_as(make_user(Role.industry, "JP")).get("/")
    assert 'id="waiting-for-approval"' not in active.text


def test_approved_industry_sees_public_documents_and_that_no_consultation_is_open(
    browser_as, make_user, make_group, db: Session, app
) -> None:
    author = make_user(Role.delegate, "US")
    group = make_group("semis", (author, MembershipRole.member))
    make_document(db, app, author, group, title="Public roadmap", visibility=Visibility.public)
    make_document(db, app, author, group, title="Group only notes", visibility=Visibility.group)
    page = browser_as(make_user(Role.industry, "JP")).get("/")
    section = page.text.split('id="open-to-you"')[1]
    assert "There are no open consultations yet" in section
    assert "Public roadmap" in section and "Group only notes" not in page.text


def test_delegate_sees_new_documents_by_title_author_and_version_only_if_readable(
    browser_as, make_user, make_group, db: Session, app
) -> None:
    alice = make_user(Role.delegate, "US", name="Alice Walker")
    jp = make_user(Role.delegate, "JP")
    group = make_group("semis", (alice, MembershipRole.member), (jp, MembershipRole.member))
    make_document(db, app, alice, group, title="Shared draft", versions=(b"Second.\n",), visibility=Visibility.group)
    make_document(db, app, alice, group, title="US eyes only", visibility=Visibility.country)
    page = browser_as(jp).get("/").text
    news = page.split('id="whats-new"')[1]
    assert "Shared draft" in news and "version 2" in news and "Alice Walker" in news
    assert "US eyes only" not in page


def test_delegate_sees_what_waits_on_them(browser_as, make_user, make_group, db: Session, app) -> None:
    us = make_user(Role.delegate, "US")
    jp = make_user(Role.delegate, "JP")
    group = make_group("semis", (us, MembershipRole.member), (jp, MembershipRole.member))
    make_document(db, app, us, group, title="Scanner survey", content=b"We compare EUV lithography scanners.\n")
    slow = make_document(db, app, us, group, title="Long annex")
    version_ids = select(DocumentVersion.id).where(DocumentVersion.document_id == slow.id)
    db.execute(
        update(VersionText).where(VersionText.version_id.in_(version_ids)).values(status=ExtractionStatus.queued)
    )
    db.commit()
    mine = browser_as(us).get("/").text.split('id="waiting-on-you"')[1].split("</section>")[0]
    assert "Scanner survey" in mine and "Long annex" in mine
    theirs = browser_as(jp).get("/").text
    # The screening match is the owner's delegation's to act on; the extracting upload concerns the whole group.
    waiting = theirs.split('id="waiting-on-you"')[1].split("</section>")[0]
    assert "Scanner survey" not in waiting and "Long annex" in waiting


def test_secretariat_sees_approvals_and_screening_counts_with_links(browser_as, make_user, make_group, db, app) -> None:
    us = make_user(Role.delegate, "US")
    group = make_group("semis", (us, MembershipRole.member))
    make_document(db, app, us, group, title="Scanner survey", content=b"We compare EUV lithography scanners.\n")
    make_user(Role.industry, "AU", status=UserStatus.pending)
    make_user(Role.industry, "IN", status=UserStatus.pending)
    page = browser_as(make_user(Role.secretariat, None)).get("/").text
    section = page.split('id="secretariat-today"')[1].split("</section>")[0]
    assert 'href="/admin/approvals">2 registrations waiting for approval' in section
    assert 'href="/admin/screening">1 unmarked document matched the screening list' in section
    assert 'href="/admin/users"' in section
    assert 'id="secretariat-today"' not in browser_as(us).get("/").text


def test_an_archived_groups_flagged_documents_stay_hidden_from_its_delegates(
    browser_as, make_user, make_group, db: Session, app
) -> None:
    """The home page's screening reminder follows the one metadata rule: an archived group is hidden from all but
    the secretariat, its titles included."""
    us = make_user(Role.delegate, "US")
    group = make_group("old-semis", (us, MembershipRole.member))
    make_document(db, app, us, group, title="Scanner survey", content=b"We compare EUV lithography scanners.\n")
    before = browser_as(us).get("/").text.split('id="waiting-on-you"')[1].split("</section>")[0]
    assert "Scanner survey" in before
    group.status = GroupStatus.archived
    db.commit()
    assert "Scanner survey" not in browser_as(us).get("/").text
