"""The benchmark's meeting data (bench/seed.py) opens what its rows claim to load, through the real app over HTTP:
the group calendar of the bench group, its meetings in the API, and `bench-30` with every agenda item and both
linked documents of each. Run at a small scale (the seeders take their volumes from the context); the timings are
the benchmark's business, not this test's."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.auth.service import principal_for
from app.meetings.models import Meeting
from app.users.models import Role, User
from bench.endpoints import ENDPOINTS, Auth, Kind
from bench.files import bench_files
from bench.seed import BENCH_MEETING_TITLE, SEEDERS, VOLUMES, BenchUsers, SeedContext, pick_meeting

SMALL = {
    **VOLUMES,
    "users_per_country": 8,
    "staff": 4,
    "groups": 3,
    "members_per_group": 6,
    "audit_events": 10,
    "documents": 450,  # ~150 in the bench group: enough readable ones for the agenda's 60 links
    "meetings_in_bench_group": 40,
    "meetings_per_other_group": 2,
}


def seeded(connection: Connection) -> SeedContext:
    ctx = SeedContext(volumes=SMALL, rng=random.Random(7), now=datetime.now(UTC), files=bench_files())
    for _, seeder in SEEDERS:
        seeder(connection, ctx)
    return ctx


def test_the_meeting_rows_are_the_issues_and_load_pages_as_a_signed_in_delegate() -> None:
    rows = {e.path: e for e in ENDPOINTS if "meetings" in e.path}
    assert set(rows) == {"/groups/{group}/meetings", "/api/v1/meetings?group={group}", "/meetings/{meeting}"}
    assert rows["/meetings/{meeting}"].kind is rows["/groups/{group}/meetings"].kind is Kind.html
    assert rows["/meetings/{meeting}"].auth is Auth.cookie and rows["/meetings/{meeting}"].role is Role.delegate
    assert rows["/api/v1/meetings?group={group}"].kind is Kind.json_list
    assert VOLUMES["meetings_in_bench_group"] == 2_000
    assert (VOLUMES["bench_agenda_items"], VOLUMES["documents_per_agenda_item"]) == (30, 2)


def test_the_bench_meeting_shows_the_delegate_every_item_with_both_documents(
    connection: Connection,
    db: Session,
    browser_as: Callable[[User], httpx.Client],
    api_as: Callable[[User], httpx.Client],
) -> None:
    ctx = seeded(connection)
    bench_group = ctx.groups[0]
    delegate = db.get_one(User, ctx.users[Role.delegate][0])
    meeting_id = pick_meeting(db, principal_for(db, delegate, via_token=False), bench_group, SMALL)
    assert db.get_one(Meeting, meeting_id).title == BENCH_MEETING_TITLE
    users = BenchUsers(tokens={}, users={}, group_slug=db.get_one(Meeting, meeting_id).group.slug, meeting=meeting_id)
    paths = {e.path: e.url_path(users.placeholders) for e in ENDPOINTS if "meetings" in e.path}

    browser = browser_as(delegate)
    page = browser.get(paths["/meetings/{meeting}"])
    assert page.status_code == 200
    assert len(re.findall(r'<li id="item-\d+" class="agenda-item">', page.text)) == 30
    linked = re.findall(r'href="/documents/(\d+)"', page.text)
    assert len(set(linked)) == 60

    calendar = browser.get(paths["/groups/{group}/meetings"])
    assert calendar.status_code == 200 and f'href="/meetings/{meeting_id}"' in calendar.text

    listed = api_as(delegate).get(paths["/api/v1/meetings?group={group}"])
    assert listed.status_code == 200
    readable = db.scalar(
        select(func.count())
        .select_from(Meeting)
        .where(Meeting.group_id == bench_group, Meeting.readable_by(principal_for(db, delegate, via_token=True)))
    )
    assert listed.json()["total"] == readable
    # Mixed visibility: the delegate does not read every meeting of the group (other countries' meetings).
    assert 0 < readable < SMALL["meetings_in_bench_group"] + 1
