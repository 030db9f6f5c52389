"""No N+1 queries: every list page and list endpoint runs as many SQL statements for 40 groups as for 3.

Each case measures one request at a small data size, then adds much more data (3 -> 40 working groups of 3 -> 15
members, each group with a chair of its own; 2 -> 30 API tokens; 1 -> 25 pending registrations) and measures the
same request again. A query per row (a lazy load in a loop, a permission check per item) makes the second count
larger. Lists are read with per_page=100 so that the bigger page really is bigger. A new list page or endpoint
belongs in CASES (and its data in World.grow).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.access.visibility import Visibility
from app.auth import service as auth_service
from app.core.db import utcnow
from app.documents import queries as documents_queries
from app.documents import service as documents_service
from app.documents.notices import DocumentNotice
from app.groups import service as groups_service
from app.groups.models import MembershipRole, WorkingGroup
from app.meetings import service as meetings_service
from app.meetings.models import AttendanceAnswer, MeetingMode
from app.meetings.permissions import MeetingAction
from app.meetings.permissions import rules as meeting_rules
from app.notifications import service as notifications_service
from app.users import service as users
from app.users.models import Role, User, UserStatus
from tests.support.documents import make_document
from tests.support.query_counter import QueryCounter, count_queries

SMALL = {
    "groups": 3,
    "members": 3,
    "tokens": 2,
    "pending": 1,
    "documents": 2,
    "versions": 1,
    "notifications": 2,
    "meetings": 2,
    "items": 2,
    "minutes": 1,
}
BIG = {
    "notifications": 40,
    "groups": 40,
    "members": 15,
    "tokens": 30,
    "pending": 25,
    "documents": 30,
    "versions": 8,
    "meetings": 25,
    "items": 30,
    "minutes": 12,
}
# Who the members besides each group's own chair and the viewer are: every country, both government roles, and
# the secretariat (shared between groups).
MEMBER_MIX = [
    (Role.delegate, "US"),
    (Role.delegate, "JP"),
    (Role.delegate, "AU"),
    (Role.delegate, "IN"),
    (Role.observer, "US"),
    (Role.observer, "JP"),
    (Role.observer, "AU"),
    (Role.observer, "IN"),
    (Role.secretariat, None),
]


@dataclass
class World:
    """The data behind the lists, grown through the service layer."""

    db: Session
    app: FastAPI
    viewer: User  # the delegate whose groups and tokens the personal lists show
    groups: list[WorkingGroup] = field(default_factory=list)
    people: list[User] = field(default_factory=list)
    members: dict[int, int] = field(default_factory=dict)
    tokens: int = 0
    pending: int = 0
    documents: list[int] = field(default_factory=list)
    versions: int = 0
    notifications: int = 0
    meetings: list[int] = field(default_factory=list)  # the first one is the meeting page measured

    def _person(self, n: int) -> User:
        while len(self.people) <= n:
            k = len(self.people)
            role, country = MEMBER_MIX[k % len(MEMBER_MIX)]
            self.people.append(
                users.create_user(
                    self.db,
                    SYSTEM,
                    email=f"qc-member-{k}@example.org",
                    display_name=f"Member {k:02d}",
                    role=role,
                    country=country,
                    organisation="Ministry" if country else None,
                )
            )
        return self.people[n]

    def grow(
        self,
        *,
        notifications: int,
        groups: int,
        members: int,
        tokens: int,
        pending: int,
        documents: int,
        versions: int,
        meetings: int,
        items: int,
        minutes: int,
    ) -> None:
        while len(self.groups) < groups:
            n = len(self.groups)
            group = groups_service.create_group(
                self.db,
                SYSTEM,
                slug=f"qc-group-{n:02d}",
                name=f"QC group {n:02d}",
                technology_area=groups_service.STARTING_TECHNOLOGY_AREAS[n % 3],
                charter="Export controls on **advanced** technologies.",
            )
            # Each group has a chair of its own, so a lazy load per group cannot hide behind the identity map.
            chair = users.create_user(
                self.db,
                SYSTEM,
                email=f"qc-chair-{n}@example.org",
                display_name=f"Chair {n:02d}",
                role=Role.delegate,
                country=("US", "JP", "AU", "IN")[n % 4],
            )
            groups_service.add_member(self.db, SYSTEM, group, chair, MembershipRole.chair)
            groups_service.add_member(self.db, SYSTEM, group, self.viewer, MembershipRole.member)
            self.groups.append(group)
            self.members[group.id] = 2
        for group in self.groups:
            while self.members[group.id] < members:
                person = self._person(self.members[group.id] - 2)
                groups_service.add_member(self.db, SYSTEM, group, person, MembershipRole.member)
                self.members[group.id] += 1
        while self.tokens < tokens:
            auth_service.create_token(self.db, SYSTEM, self.viewer, name=f"token {self.tokens}")
            self.tokens += 1
        while self.pending < pending:
            users.create_user(
                self.db,
                SYSTEM,
                email=f"qc-pending-{self.pending}@chips.example.com",
                display_name=f"Pending {self.pending:02d}",
                role=Role.industry,
                country="JP",
                organisation="Chips Inc.",
                status=UserStatus.pending,
            )
            self.pending += 1
        self.db.commit()
        # Documents of the viewer's delegation in the first group, tagged and some marked; the first one gains
        # versions, so its page and version list grow too.
        while len(self.documents) < documents:
            n = len(self.documents)
            document = make_document(
                self.db,
                self.app,
                self.viewer,
                self.groups[0],
                title=f"QC paper {n:02d}",
                tags=(f"tag{n % 5}", "qc"),
                controlled=n % 3 == 0,
                release=("US", "JP"),
            )
            self.documents.append(document.id)
        principal = auth_service.principal_for(self.db, self.viewer)
        first = documents_queries.get_document(self.db, principal, self.documents[0])
        limits = documents_service.UploadLimits(max_bytes=1024 * 1024)
        while self.versions < versions:
            upload = documents_service.Upload(io.BytesIO(f"Revision {self.versions}.".encode()), "note.txt")
            documents_service.add_version(self.db, principal, self.app.state.storage, first, upload, limits)
            self.versions += 1
        # The viewer's notifications beyond those the documents above brought (the viewer wrote those).
        while self.notifications < notifications:
            notifications_service.notify(
                self.db,
                recipients=[self.viewer],
                kind=DocumentNotice.added,
                subject="New document in %(group)s: %(title)s",
                params={"group": {"en": "QC", "ja": "QC"}, "title": f"QC note {self.notifications}"},
                link=f"/documents/{self.documents[0]}",
            )
            self.notifications += 1
        self.db.commit()
        self._grow_meetings(meetings, items)
        self._grow_minutes(minutes)

    def _grow_meetings(self, meetings: int, items: int) -> None:
        """Meetings of the first group; the first one's published agenda gains items, each linking two documents
        (some marked) and presented by a member or a delegation, and every member answers its invitation."""
        group = self.groups[0]
        while len(self.meetings) < meetings:
            n = len(self.meetings)
            starts = utcnow().replace(microsecond=0) + timedelta(days=n + 1)
            details = meetings_service.MeetingDetails(
                title=f"QC meeting {n:02d}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                host_country=("US", "JP", "AU", "IN")[n % 4],
                mode=MeetingMode.hybrid,
                visibility=Visibility.group,
                venue="Canberra",
                join_link="https://meet.example.gov/qc",
            )
            meeting = meetings_service.create_meeting(self.db, SYSTEM, group, details)
            if n == 0:
                meetings_service.publish_agenda(self.db, SYSTEM, meeting)
            self.meetings.append(meeting.id)
        page = meetings_service.get_meeting(self.db, SYSTEM, self.meetings[0])
        present = len(meetings_service.meeting_view(self.db, SYSTEM, page).items)
        for n in range(present, items):
            linked = (self.documents[n % len(self.documents)], self.documents[(n + 1) % len(self.documents)])
            fields = meetings_service.ItemFields(
                title=f"Item {n:02d}",
                description="Discussion of **the paper**.",
                presenter_id=self.viewer.id if n % 2 else None,
                presenter_country=None if n % 2 else ("US", "JP", "AU", "IN")[n % 4],
                minutes=5,
                document_ids=linked,
            )
            meetings_service.add_item(self.db, SYSTEM, page, fields)
        for person in [self.viewer, *self.people]:
            principal = auth_service.principal_for(self.db, person)
            if meeting_rules.allows(principal, MeetingAction.respond, page):
                meetings_service.answer_invitation(self.db, principal, page, AttendanceAnswer.online)
        self.db.commit()

    def _grow_minutes(self, revisions: int) -> None:
        """Revisions of the first meeting's minutes, each published but the last (a draft for the editors)."""
        page = meetings_service.get_meeting(self.db, SYSTEM, self.meetings[0])
        while len(meetings_service.minutes_history(self.db, SYSTEM, page).revisions) < revisions:
            history = meetings_service.minutes_history(self.db, SYSTEM, page)
            if history.revisions:
                meetings_service.publish_minutes(self.db, SYSTEM, page)
            n = len(history.revisions) + 1
            meetings_service.append_minutes(self.db, SYSTEM, page, f"Revision {n}.\n\nThe group **agreed**.")
        self.db.commit()


# (label, who asks, how, path). `how` is "page" (a browser session) or "api" (a Bearer token);
# anonymous requests go without either.
CASES = [
    ("home", "anonymous", "page", "/?per_page=100"),
    ("home", "delegate", "page", "/?per_page=100"),
    ("home", "secretariat", "page", "/?per_page=100"),
    ("group page", "anonymous", "page", "/groups/qc-group-00"),
    ("group page", "delegate", "page", "/groups/qc-group-00"),
    ("group page", "secretariat", "page", "/groups/qc-group-00"),
    ("profile", "delegate", "page", "/profile?per_page=100"),
    ("people", "secretariat", "page", "/admin/users?per_page=100"),
    ("people", "secretariat", "api", "/api/v1/users?per_page=100"),
    ("account", "admin", "page", "/admin/users/{viewer}?per_page=100"),
    ("approvals", "secretariat", "page", "/admin/approvals?per_page=100"),
    ("approvals", "admin", "page", "/admin/approvals?per_page=100"),
    ("working groups", "anonymous", "api", "/api/v1/working-groups?per_page=100"),
    ("working groups", "delegate", "api", "/api/v1/working-groups?per_page=100"),
    ("working groups", "secretariat", "api", "/api/v1/working-groups?per_page=100"),
    ("working group", "anonymous", "api", "/api/v1/working-groups/qc-group-00"),
    ("working group", "delegate", "api", "/api/v1/working-groups/qc-group-00"),
    ("working group", "secretariat", "api", "/api/v1/working-groups/qc-group-00"),
    ("countries", "anonymous", "api", "/api/v1/countries?per_page=100"),
    ("countries", "delegate", "api", "/api/v1/countries?per_page=100"),
    ("my tokens", "delegate", "api", "/api/v1/me/tokens?per_page=100"),
    ("pending users", "secretariat", "api", "/api/v1/users/pending?per_page=100"),
    ("pending users", "admin", "api", "/api/v1/users/pending?per_page=100"),
    ("documents", "delegate", "api", "/api/v1/documents?per_page=100"),
    ("documents", "anonymous", "api", "/api/v1/documents?per_page=100&tag=qc"),
    ("group documents", "delegate", "page", "/groups/qc-group-00/documents?per_page=100"),
    ("document", "delegate", "page", "/documents/{first_document}"),
    ("document", "delegate", "api", "/api/v1/documents/{first_document}"),
    ("versions", "delegate", "api", "/api/v1/documents/{first_document}/versions"),
    ("notifications", "delegate", "page", "/notifications?per_page=100"),
    ("notifications", "delegate", "api", "/api/v1/me/notifications?per_page=100"),
    ("notice settings", "delegate", "page", "/profile/notifications"),
    ("meeting", "delegate", "page", "/meetings/{meeting}"),
    ("meeting", "secretariat", "page", "/meetings/{meeting}"),
    ("meeting", "delegate", "api", "/api/v1/meetings/{meeting}"),
    ("minutes", "delegate", "page", "/meetings/{meeting}/minutes"),
    ("minutes", "secretariat", "page", "/meetings/{meeting}/minutes"),
    ("minutes", "delegate", "api", "/api/v1/meetings/{meeting}/minutes"),
    ("meetings", "delegate", "api", "/api/v1/meetings?per_page=100"),
    ("group meetings", "delegate", "page", "/groups/qc-group-00/meetings?per_page=100"),
]


# The lists built as single statements (app/core/pagination.py: LIMIT n+1, children aggregated in the same
# statement): at most this many statements per request, whatever the data. Anonymous callers show the list's own
# cost (one statement); signed-in ones add what loading their principal costs (three today); the group's
# documents page adds loading the group. `total` is counted only by the API and only when a next page exists,
# which per_page=100 never has here.
MOST_STATEMENTS = {
    ("home", "anonymous"): 1,
    ("working groups", "anonymous"): 1,
    ("working groups", "delegate"): 4,
    ("working groups", "secretariat"): 4,
    ("documents", "anonymous"): 1,
    ("documents", "delegate"): 4,
    ("group documents", "delegate"): 5,
}


def measure(app: FastAPI, http: httpx.Client, path: str) -> QueryCounter:
    # The first call may write once (a token's last_used_at); the measured one is the steady state.
    warm = http.get(path)
    assert warm.status_code == 200, f"{path}: {warm.status_code} {warm.text[:500]}"
    with count_queries(app) as queries:
        response = http.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:500]}"
    return queries


@pytest.fixture
def rendered(app: FastAPI) -> Iterator[None]:
    """These tests count the statements of rendering a page: the page cache (which would answer the repeated
    reads in two statements; tests/core/test_page_cache.py) is off meanwhile."""
    cache, app.state.response_cache = app.state.response_cache, None
    try:
        yield
    finally:
        app.state.response_cache = cache


@pytest.mark.usefixtures("rendered")
def test_no_list_runs_a_query_per_row(
    app: FastAPI,
    db: Session,
    client: httpx.Client,
    make_user: Callable[..., User],
    browser_as: Callable[[User], httpx.Client],
    api_as: Callable[[User], httpx.Client],
) -> None:
    """Every case of CASES, at the small and at the big data size, in one world (growing it is the slow part)."""
    delegate = make_user(Role.delegate, "US", name="Viewer Delegate")
    staff = {"delegate": delegate, "secretariat": make_user(Role.secretariat), "admin": make_user(Role.admin)}
    callers: dict[tuple[str, str], httpx.Client] = {("anonymous", "page"): client, ("anonymous", "api"): client}
    for who, user in staff.items():
        callers[(who, "page")] = browser_as(user)
        callers[(who, "api")] = api_as(user)
    world = World(db, app, delegate)

    def measure_all() -> list[QueryCounter]:
        first = {"first_document": world.documents[0], "viewer": world.viewer.id, "meeting": world.meetings[0]}
        return [measure(app, callers[(who, how)], path.format(**first)) for _, who, how, path in CASES]

    world.grow(**SMALL)
    small = measure_all()
    world.grow(**BIG)
    big = measure_all()

    table, grew = [], []
    for (label, who, _, path), before, after in zip(CASES, small, big, strict=True):
        table.append(f"{label:<15} {who:<12} {path:<45} small={before.count:<3} big={after.count}")
        if after.count != before.count:
            grew.append(f"--- {path} as {who} ---\nsmall: {before.report()}\nbig: {after.report()}")
    print("\nSQL statements per request\n" + "\n".join(table))
    assert not grew, (
        f"queries grew with the data ({SMALL} -> {BIG}); N+1?\n" + "\n".join(table) + "\n" + "\n".join(grew)
    )
    over = [
        f"--- {path} as {who}: {after.count} > {MOST_STATEMENTS[(label, who)]} ---\n{after.report()}"
        for (label, who, _, path), after in zip(CASES, big, strict=True)
        if (label, who) in MOST_STATEMENTS and after.count > MOST_STATEMENTS[(label, who)]
    ]
    assert not over, "a list runs more statements than its single query needs:\n" + "\n".join(over)


@pytest.mark.usefixtures("rendered")
def test_the_counter_sees_every_statement_of_a_request(
    app: FastAPI, client: httpx.Client, make_group: Callable[..., WorkingGroup]
) -> None:
    """The helper itself: a request is seen (at least one query), and nothing outside the block is counted."""
    make_group("qc-counter")
    with count_queries(app) as queries:
        assert client.get("/api/v1/working-groups/qc-counter").status_code == 200
    assert queries.count >= 1
    assert any("working_group" in q for q in queries.queries), queries.report()
    after = queries.count
    client.get("/api/v1/working-groups/qc-counter")
    assert queries.count == after


@pytest.mark.usefixtures("rendered")
def test_the_bell_costs_one_indexed_count_per_page(
    app: FastAPI,
    db: Session,
    client: httpx.Client,
    make_user: Callable[..., User],
    browser_as: Callable[[User], httpx.Client],
    make_group: Callable[..., WorkingGroup],
) -> None:
    """Signed in, a page runs exactly one statement on the notification table (the unread count), whatever the
    number of notifications; signed out, none. The page's other statements do not change with the bell."""
    make_group("qc-bell")
    person = make_user(Role.delegate, "US")
    http = browser_as(person)

    def notification_queries(caller: httpx.Client, path: str) -> list[str]:
        queries = measure(app, caller, path)
        return [q for q in queries.queries if "notification" in q.lower()]

    for path in ("/", "/groups/qc-bell", "/profile"):
        if path != "/profile":
            assert notification_queries(client, path) == [], f"{path}: no bell for the signed-out"
        before = notification_queries(http, path)
        assert len(before) == 1 and "count(" in before[0].lower(), before
        assert "read_at is null" in " ".join(before[0].lower().split()), before
        for n in range(30):
            notifications_service.notify(
                db, recipients=[person], kind=DocumentNotice.added, subject="x %(n)s", params={"n": n}
            )
        db.commit()
        assert len(notification_queries(http, path)) == 1
