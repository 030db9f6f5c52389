"""Text search through the index (SQLite FTS5 trigram, PostgreSQL pg_trgm): Japanese text, substrings, the short
query that scans, text that changes with a new version or an edit, and a marked document's text never matched for
someone refused its content, on every one of those paths."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.access.visibility import Visibility
from app.auth import service as auth_service
from app.documents import service
from app.documents.models import Document, DocumentType
from app.groups.models import MembershipRole, WorkingGroup
from app.users.models import Role, User
from tests.support.documents import make_document

DOCS = "/api/v1/documents"
MARKED_TEXT = "半導体の輸出管理について。EUV lithography roadmap, 3E001 technology."


@pytest.fixture
def world(db: Session, app, make_user, make_group) -> tuple[WorkingGroup, User, User, Document]:
    """A group with a released US delegate and a JP delegate, and a public document marked for the US only."""
    us = make_user(Role.delegate, "US", name="Una States")
    jp = make_user(Role.delegate, "JP", name="Jun Japan")
    group = make_group("semis", (us, MembershipRole.chair), (jp, MembershipRole.member))
    marked = make_document(
        db,
        app,
        us,
        group,
        title="Fab outlook",
        visibility=Visibility.public,
        content=MARKED_TEXT.encode(),
        controlled=True,
        release=("US",),
    )
    return group, us, jp, marked


def found(api, q: str) -> set[str]:
    response = api.get(DOCS, params={"q": q, "per_page": 100})
    assert response.status_code == 200, response.text
    return {d["title"] for d in response.json()["items"]}


@pytest.mark.parametrize(
    "q",
    [
        "輸出管理",  # Japanese, in the middle of a sentence (no spaces to split words on)
        "半導",  # Japanese, two characters: below a trigram, so the scan
        "thograph",  # a substring inside a word
        "LITHOGRAPHY ROAD",  # across a space, in another case
        "3E",  # short: the scan
        "3E001 tech",
    ],
)
def test_a_marked_text_is_found_by_its_readers_only(world, api_as, client, q: str) -> None:
    _, us, jp, _ = world
    assert found(api_as(us), q) == {"Fab outlook"}
    assert found(api_as(jp), q) == set()  # a member of the group, refused the content
    assert found(client, q) == set()  # anonymous: the document is public, its content is not


def test_metadata_is_found_by_everyone_who_may_read_it(world, db: Session, app, api_as, client) -> None:
    _, us, jp, marked = world
    principal = auth_service.principal_for(db, us)
    fields = service.DocumentFields(
        "Fab outlook", "日本の製造能力に関する概要", "US", DocumentType.contribution, Visibility.public, ()
    )
    service.update_metadata(db, principal, marked, fields)
    db.commit()
    for api in (api_as(us), api_as(jp), client):
        assert found(api, "製造能力") == {"Fab outlook"}  # the description, indexed
        assert found(api, "製造") == {"Fab outlook"}  # and scanned
        assert found(api, "ab outl") == {"Fab outlook"}  # the title


def test_an_edit_and_a_new_version_change_what_is_found(world, db: Session, app, api_as) -> None:
    group, us, jp, _ = world
    document = make_document(db, app, us, group, title="Gallium supply", content=b"Wafer pricing in Kumamoto.")
    api = api_as(jp)
    assert found(api, "Kumamoto") == {"Gallium supply"}
    assert found(api, "熊本県") == set()

    principal = auth_service.principal_for(db, us)
    service.add_version(
        db,
        principal,
        app.state.storage,
        document,
        service.Upload(io.BytesIO("熊本県の工場で生産。".encode()), "note.txt"),
        service.UploadLimits(max_bytes=1024 * 1024),
    )
    db.commit()
    assert found(api, "熊本県") == {"Gallium supply"}  # the new version's text
    assert found(api, "Kumamoto") == {"Gallium supply"}  # every version is searched, as before

    fields = service.DocumentFields("Germanium supply", "", "US", DocumentType.contribution, Visibility.public, ())
    service.update_metadata(db, principal, document, fields)
    db.commit()
    assert found(api, "Germanium") == {"Germanium supply"}
    assert found(api, "Gallium") == set()  # the old title is gone from the index


def test_query_text_is_only_text(world, api_as) -> None:
    """Quotes, FTS operators and LIKE wildcards are searched for as characters, never interpreted."""
    _, us, _, _ = world
    api = api_as(us)
    for q in ('"EUV', "EUV OR zzz", "lith*", "100%", "a_b", "NEAR(x y)", "\\x"):
        assert found(api, q) == set(), q
    assert found(api, "EUV lith") == {"Fab outlook"}
    # A NUL is dropped on every database (FTS5 would end its query there; PostgreSQL refuses it).
    assert found(api, "EUV\x00 lith") == {"Fab outlook"}
    assert found(api, "3\x00E") == {"Fab outlook"}  # and the short scan too


def test_the_index_stays_in_step_with_its_rows(world, db: Session, app, api_as) -> None:
    """SQLite: the FTS5 tables agree with the rows they index after creates, versions and edits (FTS5's own
    integrity check against the content tables). PostgreSQL: the trigram indexes exist and a substring search
    can use them."""
    group, us, _, _ = world
    make_document(db, app, us, group, title="Second", content=b"Other words.", versions=(b"Newer words.",))
    dialect = db.get_bind().dialect.name
    if dialect == "sqlite":
        for fts in ("document_fts", "version_text_fts"):
            db.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))
        return
    db.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        db.scalars(text("EXPLAIN SELECT version_id FROM version_text WHERE content ILIKE '%lithography%'"))
    )
    assert "ix_version_text_content_trgm" in plan, plan
