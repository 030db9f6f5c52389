"""A large, realistic dataset, inserted fast with SQLAlchemy Core bulk inserts.

Each seeder adds one kind of data and may use what earlier seeders made (kept in `SeedContext`). A later feature
adds its volume to `VOLUMES` and its function to `SEEDERS`; the fingerprint changes, so the next run reseeds.

Run alone: `python -m bench.seed [--db URL] [--reseed]`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    Select,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.audit.models import AuditEvent
from app.auth.models import ApiToken, UserSession
from app.auth.service import TOKEN_PREFIX, hash_token, principal_for
from app.core import markdown
from app.core.db import Base, build_engine, build_sessionmaker
from app.core.errors import NotFound
from app.core.migrations_state import alembic_config, head_revision
from app.documents import permissions
from app.documents.models import (
    ControlCategory,
    Document,
    DocumentRelease,
    DocumentTag,
    DocumentType,
    DocumentVersion,
    ExtractionStatus,
    VersionText,
)
from app.documents.queries import get_document
from app.groups.models import Membership, WorkingGroup
from app.meetings import service as meetings_service
from app.meetings.models import (
    AgendaDocument,
    AgendaItem,
    AgendaState,
    Attendance,
    AttendanceAnswer,
    Meeting,
    MeetingMode,
    MeetingStatus,
)
from app.users.models import Role, User
from bench.files import BenchFile, bench_files, file_digests, remove_files, store_files

BENCH_DIR = Path(__file__).resolve().parent
TMP_DIR = BENCH_DIR / "results" / "tmp"
DEFAULT_SQLITE_URL = f"sqlite:///{TMP_DIR / 'bench.db'}"

# Bump when a seeder changes what it writes, so existing bench databases are rebuilt.
SEED_FORMAT = 3  # 3: charters and descriptions stored rendered, as the services store them
CHUNK = 5_000  # rows per executemany: large enough to be fast, small enough to bound memory

VOLUMES: dict[str, int] = {
    "users_per_country": 100,  # delegates, observers and industry of each of the four countries
    "staff": 12,  # secretariat and admins (no country)
    "groups": 50,
    "members_per_group": 20,  # including 2 chairs and one secretariat member
    "audit_events": 50_000,  # all with a group_id, so "what is new" has data
    "documents": 20_000,  # ~400 a group; 1 version each (every 25th has 2), ~5% export-controlled
    "meetings_in_bench_group": 2_000,  # the first group's calendar: half past, half upcoming
    "meetings_per_other_group": 6,
    "bench_agenda_items": 30,  # the agenda of the meeting BENCH_MEETING_TITLE, published
    "documents_per_agenda_item": 2,
}

COUNTRIES = ("US", "JP", "AU", "IN")
TECHNOLOGY_AREAS = (
    "5g-6g",
    "biotechnology",
    "semiconductors",
    "quantum",
    "critical-minerals",
    "clean-energy",
    "artificial-intelligence",
)
AUDIT_ACTIONS = ("group.member_add", "group.update", "document.create", "meeting.schedule", "comment.submit")
BENCH_TOKEN_NAME = "bench"  # noqa: S105  (a label, not a secret)
# The meeting whose page the meeting row opens: VOLUMES["bench_agenda_items"] items, each with linked documents.
BENCH_MEETING_TITLE = "bench-30"

# Documents: the word the search row looks for appears in the extracted text of about SEARCH_SHARE of versions.
SEARCH_WORD = "lithography"
SEARCH_SHARE = 0.05
CONTROLLED_SHARE = 0.05
DOCUMENT_TAGS = (
    "supply-chain",
    "export-controls",
    "standards",
    "research",
    "procurement",
    "cybersecurity",
    "talent",
    "funding",
    "interoperability",
    "open-ran",
    "risk-assessment",
    "pilot",
)
CONTROL_CODES = ("3A001.a.1", "3B001.f", "3E001", "5A002.a", "5D002", "1C351", "2B352", "6A003.b.4", "4A003", "EAR99")
VISIBILITY_WEIGHTS = {Visibility.public: 2, Visibility.quad: 4, Visibility.group: 3, Visibility.country: 1}
# Which file the versions of an unmarked document have (marked ones always have the 100-page report).
FILE_WEIGHTS = {"note": 4, "brief": 2, "slides": 3, "report": 1}
CONTENT_WORDS = (
    "the",
    "parties",
    "review",
    "supply",
    "chain",
    "resilience",
    "for",
    "critical",
    "components",
    "and",
    "agree",
    "on",
    "shared",
    "standards",
    "delegations",
    "note",
    "risks",
    "in",
    "procurement",
    "research",
    "funding",
    "talent",
    "exchange",
    "joint",
    "pilots",
    "while",
    "secretariat",
    "records",
    "actions",
    "owners",
    "deadlines",
    "follow",
    "up",
    "items",
    "next",
    "plenary",
    "meeting",
)


@dataclass
class SeedContext:
    """What the seeders made so far, for the ones after them (ids by kind)."""

    volumes: Mapping[str, int]
    rng: random.Random
    now: datetime
    users: dict[Role, list[int]] = field(default_factory=dict)
    users_by_country: dict[tuple[Role, str], list[int]] = field(default_factory=dict)
    groups: list[int] = field(default_factory=list)
    ids: dict[str, list[int]] = field(default_factory=dict)  # for later kinds: documents, meetings, ...
    files: Mapping[str, BenchFile] = field(default_factory=dict)  # stored files, by name (bench/files.py)


Seeder = Callable[[Connection, SeedContext], int]


def table(model: type[Base]) -> Table:
    """A model's table, for Core statements (bulk inserts skip the ORM's per-object work)."""
    return Base.metadata.tables[model.__tablename__]


def insert_rows(conn: Connection, target: Table, rows: Iterable[dict[str, Any]]) -> int:
    """Bulk insert in chunks (one executemany each); returns the row count."""
    count, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            conn.execute(insert(target), chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        conn.execute(insert(target), chunk)
        count += len(chunk)
    return count


def insert_returning_ids(conn: Connection, target: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Bulk insert that gives back the new ids in the order of `rows` (for rows other seeders refer to)."""
    ids: list[int] = []
    statement = insert(target).returning(target.c.id, sort_by_parameter_order=True)
    for start in range(0, len(rows), CHUNK):
        ids.extend(conn.scalars(statement, list(rows[start : start + CHUNK])))
    return ids


def seed_users(conn: Connection, ctx: SeedContext) -> int:
    per_country = ctx.volumes["users_per_country"]
    # Half delegates, a quarter observers, a quarter industry: the proportions of a real delegation.
    mix = [(Role.delegate, per_country // 2), (Role.observer, per_country // 4)]
    mix.append((Role.industry, per_country - sum(n for _, n in mix)))
    specs: list[tuple[Role, str | None, int]] = [
        (role, country, n) for country in COUNTRIES for role, count in mix for n in range(1, count + 1)
    ]
    staff = ctx.volumes["staff"]
    specs += [(Role.admin, None, n) for n in range(1, 3)] + [(Role.secretariat, None, n) for n in range(1, staff - 1)]
    rows = []
    for role, country, n in specs:
        email = f"{role.value}.{(country or 'qs').lower()}.{n:03d}@bench.example"
        rows.append(
            {
                "email": email,
                "email_key": email,
                "display_name": f"{role.value.title()} {country or 'Secretariat'} {n:03d}",
                "role": role,
                "country_code": country,
                "organisation": f"{country or 'Quad'} {role.value} office",
                "status": "active",
                "created_at": ctx.now - timedelta(days=365),
            }
        )
    for (role, country, _), user_id in zip(specs, insert_returning_ids(conn, table(User), rows), strict=True):
        ctx.users.setdefault(role, []).append(user_id)
        if country:
            ctx.users_by_country.setdefault((role, country), []).append(user_id)
    return len(rows)


def seed_groups(conn: Connection, ctx: SeedContext) -> int:
    count = ctx.volumes["groups"]
    rows = []
    for n in range(count):
        area = TECHNOLOGY_AREAS[n % len(TECHNOLOGY_AREAS)]
        number = n // len(TECHNOLOGY_AREAS) + 1
        charter = f"The **{area}** working group, number {number}.\n\n- Map supply chains\n- Align controls"
        rows.append(
            {
                "slug": f"{area}-{number:02d}",
                "name": f"{area.replace('-', ' ').title()} Working Group {number}",
                "technology_area": area,
                "charter": charter,
                "charter_html": markdown.to_html(charter),  # as the service stores it at save
                "status": "active",
                "created_at": ctx.now - timedelta(days=300),
            }
        )
    ctx.groups = insert_returning_ids(conn, table(WorkingGroup), rows)
    return count


def seed_memberships(conn: Connection, ctx: SeedContext) -> int:
    """~20 members a group: 2 chairs (delegates), a secretariat member, delegates and observers of all countries."""
    size = ctx.volumes["members_per_group"]
    delegates, observers = ctx.users[Role.delegate], ctx.users[Role.observer]
    rows = []
    for index, group_id in enumerate(ctx.groups):
        # The first delegate chairs the first group, so the signed-in benchmark user has a group.
        chairs = [delegates[0], delegates[-1]] if index == 0 else ctx.rng.sample(delegates, 2)
        picked = {user_id: "chair" for user_id in chairs}
        picked[ctx.rng.choice(ctx.users[Role.secretariat])] = "member"
        while len(picked) < size:
            pool, role = (observers, "observer") if ctx.rng.random() < 0.25 else (delegates, "member")
            picked.setdefault(ctx.rng.choice(pool), role)
        created = ctx.now - timedelta(days=200)
        rows += [{"group_id": group_id, "user_id": u, "role": r, "created_at": created} for u, r in picked.items()]
    return insert_rows(conn, table(Membership), rows)


def seed_audit_events(conn: Connection, ctx: SeedContext) -> int:
    count = ctx.volumes["audit_events"]
    actors = ctx.users[Role.delegate] + ctx.users[Role.secretariat]
    start = ctx.now - timedelta(days=180)
    step = timedelta(days=180) / count  # ascending in time, like a real append-only log

    def rows() -> Iterable[dict[str, Any]]:
        for n in range(count):
            group_id = ctx.rng.choice(ctx.groups)
            yield {
                "actor_id": ctx.rng.choice(actors),
                "action": AUDIT_ACTIONS[n % len(AUDIT_ACTIONS)],
                "target_type": "working_group",
                "target_id": str(group_id),
                "group_id": group_id,
                "data": {"n": n},
                "created_at": start + step * n,
            }

    return insert_rows(conn, table(AuditEvent), rows())


def _extracted_text(rng: random.Random, title: str) -> str:
    """What text extraction would have stored: the title and a paragraph; a few contain SEARCH_WORD."""
    words = rng.choices(CONTENT_WORDS, k=rng.randint(40, 90))
    if rng.random() < SEARCH_SHARE:
        words.insert(rng.randrange(len(words) + 1), SEARCH_WORD)
    return f"{title}\n\n{' '.join(words).capitalize()}."


@dataclass(frozen=True)
class _PlannedDocument:
    number: int
    title: str
    file: str  # a bench file's base name: note, brief, slides or report
    versions: int
    author: int
    created: datetime
    updated: datetime


def seed_documents(conn: Connection, ctx: SeedContext) -> int:
    """Documents over all groups, with tags, release lists, versions (pointing at the stored bench files) and
    their extracted text. Owners cycle through the countries; every 10th document is the secretariat's. The text
    search index fills as the rows go in, as for any writer (SQLite's triggers, PostgreSQL's GIN indexes)."""
    count, rng = ctx.volumes["documents"], ctx.rng
    types, categories = list(DocumentType), list(ControlCategory)
    files, file_weights = list(FILE_WEIGHTS), list(FILE_WEIGHTS.values())
    start = ctx.now - timedelta(days=360)
    step = timedelta(days=350) / count  # ascending in time, as documents are added
    documents: list[dict[str, Any]] = []
    planned: list[_PlannedDocument] = []
    tags: list[list[str]] = []
    releases: list[list[str]] = []
    for n in range(count):
        owner = None if n % 10 == 9 else COUNTRIES[n % len(COUNTRIES)]
        author = rng.choice(ctx.users_by_country[(Role.delegate, owner)] if owner else ctx.users[Role.secretariat])
        # A secretariat document cannot be limited to one country (the service refuses it).
        visibilities = [v for v in VISIBILITY_WEIGHTS if owner or v is not Visibility.country]
        visibility = rng.choices(visibilities, [VISIBILITY_WEIGHTS[v] for v in visibilities])[0]
        controlled = rng.random() < CONTROLLED_SHARE
        versions = 2 if n % 25 == 12 else 1
        created = start + step * n
        updated = created + timedelta(days=rng.uniform(0, 10)) if versions == 2 else created
        doc_type = types[n % len(types)]
        topic = DOCUMENT_TAGS[n % len(DOCUMENT_TAGS)].replace("-", " ")
        title = f"{doc_type.value.replace('_', ' ').capitalize()} {n + 1:05d} on {topic}"
        file = "report" if controlled else rng.choices(files, file_weights)[0]
        planned.append(_PlannedDocument(n + 1, title, file, versions, author, created, updated))
        tags.append(rng.sample(DOCUMENT_TAGS, rng.choice((2, 3))))
        if not controlled:
            release: list[str] = []
        elif owner:
            release = sorted({owner, *rng.sample(COUNTRIES, rng.randint(1, 3))})
        else:
            release = sorted(rng.sample(COUNTRIES, rng.randint(2, 4)))
        releases.append(release)
        documents.append(
            {
                "group_id": rng.choice(ctx.groups),
                "title": title,
                "description": (
                    description := f"Submitted by the {owner or 'secretariat'} delegation. Covers **{topic}**."
                ),
                "description_html": markdown.to_html(description),
                "owner_country": owner,
                "doc_type": doc_type.value,
                "visibility": visibility.value,
                "controlled": controlled,
                "control_category": rng.choice(categories).value if controlled else None,
                "control_code": rng.choice(CONTROL_CODES) if controlled else None,
                "created_by": author,
                "updated_at": updated,
                # About 1% withdrawn: hidden from lists, still in the table the list queries scan.
                "withdrawn_at": updated + timedelta(hours=1) if n % 100 == 57 and not controlled else None,
                "version_count": versions,
                "created_at": created,
            }
        )
    ids = insert_returning_ids(conn, table(Document), documents)
    ctx.ids["documents"] = ids
    insert_rows(
        conn, table(DocumentTag), ({"document_id": i, "tag": t} for i, ts in zip(ids, tags, strict=True) for t in ts)
    )
    insert_rows(
        conn,
        table(DocumentRelease),
        ({"document_id": i, "country_code": c} for i, cs in zip(ids, releases, strict=True) for c in cs),
    )

    version_rows: list[dict[str, Any]] = []
    texts: list[tuple[str, datetime]] = []
    for document_id, plan in zip(ids, planned, strict=True):
        for number in range(1, plan.versions + 1):
            stored = ctx.files[f"{plan.file}-v{number}"]
            uploaded = plan.created if number == 1 else plan.updated
            version_rows.append(
                {
                    "document_id": document_id,
                    "number": number,
                    "filename": f"{plan.file}-{plan.number:05d}-v{number}.{stored.extension}",
                    "kind": stored.kind.value,
                    "content_type": stored.content_type,
                    "size": stored.size,
                    "sha256": stored.sha256,
                    "note": "" if number == 1 else "Revised after the delegations' comments.",
                    "uploaded_by": plan.author,
                    "created_at": uploaded,
                }
            )
            texts.append((plan.title, uploaded))
    version_ids = insert_returning_ids(conn, table(DocumentVersion), version_rows)
    insert_rows(
        conn,
        table(VersionText),
        (
            {
                "version_id": version_id,
                "status": ExtractionStatus.done.value,
                "content": _extracted_text(rng, title),
                "error": None,
                "updated_at": uploaded,
            }
            for version_id, (title, uploaded) in zip(version_ids, texts, strict=True)
        ),
    )
    return count


# Meetings: how often each visibility occurs (most meetings are for the group itself), and where they are held.
MEETING_VISIBILITY_WEIGHTS = {Visibility.public: 1, Visibility.quad: 3, Visibility.group: 5, Visibility.country: 1}
VENUES = {
    "US": "Washington, Harry S Truman Building",
    "JP": "Tokyo, Ministry of Foreign Affairs",
    "AU": "Canberra, R.G. Casey Building",
    "IN": "New Delhi, Jawaharlal Nehru Bhawan",
}


def _meeting_row(ctx: SeedContext, group_id: int, title: str, starts: datetime, **values: Any) -> dict[str, Any]:
    """A meeting starting on the hour at `starts`; `values` overrides the random choices."""
    rng = ctx.rng
    starts = starts.replace(minute=0, second=0, microsecond=0)
    past = starts < ctx.now
    host = rng.choice(COUNTRIES)
    mode = rng.choice(list(MeetingMode))
    if past:
        status = MeetingStatus.cancelled if rng.random() < 0.1 else MeetingStatus.held
        agenda = AgendaState.locked if status is MeetingStatus.held else AgendaState.published
    else:
        status = MeetingStatus.cancelled if rng.random() < 0.08 else MeetingStatus.scheduled
        agenda = AgendaState.published if starts - ctx.now < timedelta(days=60) else AgendaState.draft
    version = 0 if agenda is AgendaState.draft else rng.randint(1, 3)
    row = {
        "group_id": group_id,
        "title": title,
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=rng.choice((1, 2, 3))),
        "host_country": host,
        "mode": mode.value,
        "venue": VENUES[host] if mode.has_venue else None,
        "join_link": f"https://meet.bench.invalid/{group_id}-{rng.randrange(10**8):08d}"
        if mode.has_join_link
        else None,
        "status": status.value,
        "visibility": rng.choices(list(MEETING_VISIBILITY_WEIGHTS), list(MEETING_VISIBILITY_WEIGHTS.values()))[0].value,
        "agenda_state": agenda.value,
        "agenda_version": version,
        # Every change bumps the sequence: the agenda's, and the cancellation.
        "sequence": version + rng.randint(0, 2) + (status is MeetingStatus.cancelled),
        "created_by": rng.choice(ctx.users[Role.secretariat]),
        "updated_at": min(starts, ctx.now) - timedelta(days=rng.randint(1, 20)),
        "created_at": min(starts, ctx.now) - timedelta(days=rng.randint(21, 60)),
    }
    return row | values


def _country_of(ctx: SeedContext, user_id: int) -> str:
    return next(country for (_, country), ids in ctx.users_by_country.items() if user_id in ids)


def seed_meetings(conn: Connection, ctx: SeedContext) -> int:
    """The benchmark delegate's group gets VOLUMES["meetings_in_bench_group"] meetings over four years (half past,
    half upcoming), every other group a few; then the meeting BENCH_MEETING_TITLE (next week, in the delegate's
    group, visible to the group) with a published agenda (seed_bench_agenda)."""
    bench_group, count = ctx.groups[0], ctx.volumes["meetings_in_bench_group"]
    first, step = ctx.now - timedelta(days=730), timedelta(days=1460) / count
    rows = [_meeting_row(ctx, bench_group, f"Plenary session {n + 1:04d}", first + step * n) for n in range(count)]
    per_group = ctx.volumes["meetings_per_other_group"]
    for group_id in ctx.groups[1:]:
        rows += [
            _meeting_row(ctx, group_id, f"Working session {n + 1}", ctx.now + timedelta(days=60 * n - 170))
            for n in range(per_group)
        ]
    starts = (ctx.now + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    rows.append(
        _meeting_row(
            ctx,
            bench_group,
            BENCH_MEETING_TITLE,
            starts,
            ends_at=starts + timedelta(hours=3),  # the 30 items' 180 minutes: no overrun warning
            status=MeetingStatus.scheduled.value,
            visibility=Visibility.group.value,
            agenda_state=AgendaState.published.value,
            agenda_version=2,
            sequence=3,
        )
    )
    ctx.ids["meetings"] = insert_returning_ids(conn, table(Meeting), rows)
    return len(rows) + seed_bench_agenda(conn, ctx, ctx.ids["meetings"][-1], rows[-1]["starts_at"])


def seed_bench_agenda(conn: Connection, ctx: SeedContext, meeting_id: int, starts: datetime) -> int:
    """The agenda of the benchmark meeting: items of 5 or 10 minutes filling its length, each linking documents
    of the group the benchmark delegate may read (the newest; marked ones included, shown with their marking),
    presented by a member, a delegation or nobody; and most members' answers."""
    rng, bench_group, delegate = ctx.rng, ctx.groups[0], ctx.users[Role.delegate][0]
    items, per_item = ctx.volumes["bench_agenda_items"], ctx.volumes["documents_per_agenda_item"]
    documents = table(Document)
    linked = conn.scalars(
        select(documents.c.id)
        .where(
            documents.c.group_id == bench_group,
            documents.c.withdrawn_at.is_(None),
            (documents.c.visibility != Visibility.country.value)
            | (documents.c.owner_country == _country_of(ctx, delegate)),
        )
        .order_by(documents.c.updated_at.desc(), documents.c.id.desc())
        .limit(items * per_item)
    ).all()
    if len(linked) < items * per_item:
        raise SystemExit(f"the bench group has only {len(linked)} documents for the agenda of {BENCH_MEETING_TITLE}")
    members = table(Membership)
    member_ids = conn.scalars(
        select(members.c.user_id).where(members.c.group_id == bench_group).order_by(members.c.user_id)
    ).all()
    created = ctx.now - timedelta(days=10)
    item_rows = []
    for n in range(items):
        presenter = (
            (rng.choice(member_ids), None) if n % 3 == 0 else (None, COUNTRIES[n % 4]) if n % 3 == 1 else (None, None)
        )
        item_rows.append(
            {
                "meeting_id": meeting_id,
                "position": n + 1,
                "title": f"Item {n + 1}: {DOCUMENT_TAGS[n % len(DOCUMENT_TAGS)].replace('-', ' ')}",
                "description": f"Review of the **{DOCUMENT_TAGS[n % len(DOCUMENT_TAGS)]}** papers; decision needed.",
                "presenter_id": presenter[0],
                "presenter_country": presenter[1],
                "minutes": 10 if n % 5 == 0 else 5,
                "outcome": "",
                # Version 2 changed a few items: the page marks them "changed since you last looked".
                "changed_in_version": 2 if n % 7 == 3 else 1,
                "created_at": created,
            }
        )
    item_ids = insert_returning_ids(conn, table(AgendaItem), item_rows)
    links = [
        {"item_id": item_id, "document_id": linked[n * per_item + k]}
        for n, item_id in enumerate(item_ids)
        for k in range(per_item)
    ]
    answers = [a.value for a in AttendanceAnswer]
    attendance = [
        {
            "meeting_id": meeting_id,
            "user_id": user_id,
            "answer": rng.choice(answers),
            "attended": None,
            "updated_at": created,
        }
        for user_id in member_ids
        if user_id != delegate and rng.random() < 0.75
    ]
    return items + insert_rows(conn, table(AgendaDocument), links) + insert_rows(conn, table(Attendance), attendance)


SEEDERS: list[tuple[str, Seeder]] = [
    ("users", seed_users),
    ("groups", seed_groups),
    ("memberships", seed_memberships),
    ("audit events", seed_audit_events),
    ("documents", seed_documents),
    ("meetings", seed_meetings),
]

marker_metadata = MetaData()
# Says which dataset this database holds; written last, so a half-seeded database never looks complete.
seed_marker = Table(
    "bench_seed_marker",
    marker_metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("details", Text, nullable=False),
)


def fingerprint() -> str:
    described = {
        "format": SEED_FORMAT,
        "head": head_revision(),
        "volumes": VOLUMES,
        "seeders": [n for n, _ in SEEDERS],
        "files": file_digests(),  # versions name their files by sha256: other bytes need other rows
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def db_kind(url: str) -> str:
    return make_url(url).get_backend_name()


def data_dir(url: str) -> Path:
    """The bench server's QUAD_DATA_DIR for this database: one per kind, holding the stored document files."""
    return TMP_DIR / f"data-{db_kind(url)}"


def _seeded_fingerprint(url: str) -> str | None:
    if db_kind(url) == "sqlite" and not Path(make_url(url).database or "").exists():
        return None
    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(seed_marker.name):
                return None
            return conn.scalar(select(seed_marker.c.fingerprint))
    except Exception:
        return None  # no such database yet, or unreadable: rebuild it
    finally:
        engine.dispose()


def recreate_database(url: str) -> None:
    """Starts from nothing: a new SQLite file, or the PostgreSQL database dropped and created again."""
    parsed = make_url(url)
    if db_kind(url) == "sqlite":
        path = Path(parsed.database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    name = parsed.database or ""
    # Dropping a database is only safe for one that exists to be benchmarked.
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    admin = build_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def seed(url: str) -> dict[str, Any]:
    """Migrates a fresh database and fills it; returns rows and seconds per seeder."""
    started = time.perf_counter()
    command.upgrade(alembic_config(url), "head")
    migrated = time.perf_counter()
    ctx = SeedContext(volumes=VOLUMES, rng=random.Random(20261129), now=datetime.now(UTC))  # noqa: S311
    ctx.files = bench_files()
    store_files(data_dir(url))
    steps: dict[str, dict[str, float]] = {
        "stored files": {"rows": len(ctx.files), "seconds": round(time.perf_counter() - migrated, 2)}
    }
    engine = build_engine(url)
    try:
        with engine.begin() as conn:
            for name, seeder in SEEDERS:
                step_start = time.perf_counter()
                rows = seeder(conn, ctx)
                steps[name] = {"rows": rows, "seconds": round(time.perf_counter() - step_start, 2)}
            check_search_index(conn)
            details = {"volumes": VOLUMES, "steps": steps, "seeded_at": ctx.now.isoformat()}
            marker_metadata.create_all(conn)
            conn.execute(insert(seed_marker), {"fingerprint": fingerprint(), "details": json.dumps(details)})
        if db_kind(url) == "postgresql":
            # Planner statistics, as autovacuum would gather soon after a real bulk load.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return {
        "migrate_seconds": round(migrated - started, 2),
        "seed_seconds": round(time.perf_counter() - migrated, 2),
        "steps": steps,
    }


def check_search_index(conn: Connection) -> None:
    """SQLite: FTS5's own check that the search tables index exactly the rows of their content tables (raises
    otherwise), so a search row never measures an index the seed left empty. PostgreSQL's indexes cannot lag."""
    if conn.dialect.name == "sqlite":
        for fts in ("document_fts", "version_text_fts"):
            conn.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))  # noqa: S608


def prepare_database(url: str, *, reseed: bool = False) -> dict[str, Any] | None:
    """Reuses a database seeded with the same fingerprint; otherwise rebuilds it. None when reused."""
    if not reseed and _seeded_fingerprint(url) == fingerprint():
        store_files(data_dir(url))  # puts back files of a cleaned data folder; nothing to do otherwise
        return None
    recreate_database(url)
    remove_files(data_dir(url))  # the new dataset stores its own
    return seed(url)


@dataclass(frozen=True)
class BenchUsers:
    """Who the load generator acts as: one API token per role, the users behind them, and a group of theirs."""

    tokens: dict[Role, str]
    users: dict[Role, tuple[int, str]]  # role -> (user id, server-side session id), for session cookies
    group_slug: str  # the first group, chaired by the benchmark delegate
    documents: dict[str, int] = field(default_factory=dict)  # path placeholder -> a document id (pick_documents)
    meeting: int | None = None  # the meeting BENCH_MEETING_TITLE (pick_meeting)

    @property
    def placeholders(self) -> dict[str, str]:
        """What `{name}` in an endpoint's path stands for."""
        chosen = {"group": self.group_slug, **{name: str(id_) for name, id_ in self.documents.items()}}
        return chosen if self.meeting is None else chosen | {"meeting": str(self.meeting)}


def _with_version_file(name: str) -> Select[int]:
    """Documents whose version 1 is the stored bench file `name`."""
    digest = bench_files()[name].sha256
    return select(DocumentVersion.document_id).where(DocumentVersion.number == 1, DocumentVersion.sha256 == digest)


def pick_documents(session: Session, principal: Principal, group_id: int) -> dict[str, int]:
    """The documents the rows ask for, chosen and then checked with the app's own rules for `principal`.

    - document: the first row of the group's documents page (newest first), the one a member opens first;
    - text_document: an unmarked document whose version 1 is the small text note (a plain download);
    - controlled_pdf: an export-controlled document whose version 1 is the 100-page PDF and whose release list
      has the caller's country (a watermarked download; only delegates of released countries get it).
    """
    readable = select(Document.id).where(permissions.readable_documents(principal), Document.withdrawn_at.is_(None))
    queries = {
        "document": readable.where(Document.group_id == group_id).order_by(
            Document.updated_at.desc(), Document.id.desc()
        ),
        "text_document": readable.where(
            Document.controlled.is_(False), Document.id.in_(_with_version_file("note-v1"))
        ).order_by(Document.id),
        "controlled_pdf": readable.where(
            Document.controlled.is_(True),
            Document.id.in_(_with_version_file("report-v1")),
            Document.id.in_(
                select(DocumentRelease.document_id).where(DocumentRelease.country_code == principal.country)
            ),
        ).order_by(Document.id),
    }
    chosen: dict[str, int] = {}
    for name, query in queries.items():
        document_id = session.scalar(query.limit(1))
        if document_id is None:
            raise SystemExit(f"the bench dataset has no document for {{{name}}}; rebuild it with --reseed")
        try:
            document = get_document(session, principal, document_id)  # what the routes load: 404 if unreadable
        except NotFound:
            raise SystemExit(f"document {document_id} ({{{name}}}) is not readable by the bench user") from None
        if name != "document" and not permissions.can_read_content(principal, document):
            raise SystemExit(f"document {document_id} ({{{name}}}) may not be downloaded by the bench user")
        if name == "controlled_pdf" and not (document.controlled and principal.is_delegate and not principal.is_staff):
            raise SystemExit("the watermarked download row needs a delegate of a released country")
        chosen[name] = document_id
    return chosen


def pick_meeting(session: Session, principal: Principal, group_id: int, volumes: Mapping[str, int] = VOLUMES) -> int:
    """The meeting BENCH_MEETING_TITLE of the benchmark group, checked with the app's own rules for `principal`:
    readable, and its page shows every agenda item with all its linked documents (none hidden from the caller).
    Also checks that the group's calendar holds the volume the calendar rows are about."""
    meeting_id = session.scalar(
        select(Meeting.id).where(Meeting.group_id == group_id, Meeting.title == BENCH_MEETING_TITLE)
    )
    if meeting_id is None:
        raise SystemExit(f"the bench dataset has no meeting {BENCH_MEETING_TITLE!r}; rebuild it with --reseed")
    try:
        meeting = meetings_service.get_meeting(session, principal, meeting_id)  # what the routes load
    except NotFound:
        raise SystemExit(f"meeting {meeting_id} ({BENCH_MEETING_TITLE}) is not readable by the bench user") from None
    view = meetings_service.meeting_view(session, principal, meeting)  # without remember: reads only
    items, per_item = volumes["bench_agenda_items"], volumes["documents_per_agenda_item"]
    shown = [len(item.documents) for item in view.items]
    if not view.agenda_shown or shown != [per_item] * items:
        raise SystemExit(
            f"meeting {meeting_id} shows the bench user {len(shown)} items with {sum(shown)} documents, "
            f"not {items} with {per_item} each"
        )
    in_group = session.scalar(select(func.count()).select_from(Meeting).where(Meeting.group_id == group_id))
    if in_group != volumes["meetings_in_bench_group"] + 1:
        raise SystemExit(f"the bench group has {in_group} meetings; rebuild the dataset with --reseed")
    return meeting_id


def issue_credentials(url: str) -> BenchUsers:
    """Fresh API tokens for the first user of each role, replacing earlier runs' (the secrets stay in memory),
    and the documents and the meeting the rows ask for, readable (and downloadable) by the benchmark delegate."""
    tokens: dict[Role, str] = {}
    users: dict[Role, tuple[int, str]] = {}
    user_table, token_table, group_table = table(User), table(ApiToken), table(WorkingGroup)
    session_table = table(UserSession)
    engine = build_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(delete(token_table).where(token_table.c.name == BENCH_TOKEN_NAME))
            for role in Role:
                row = conn.execute(
                    select(user_table.c.id)
                    .where(user_table.c.role == role.value, user_table.c.email_key.like("%@bench.example"))
                    .order_by(user_table.c.id)
                    .limit(1)
                ).one()
                prefix = f"{TOKEN_PREFIX}{secrets.token_hex(4)}"
                raw = f"{prefix}_{secrets.token_urlsafe(32)}"
                conn.execute(
                    insert(token_table),
                    {"user_id": row.id, "name": BENCH_TOKEN_NAME, "prefix": prefix, "token_hash": hash_token(raw)},
                )
                session_id = secrets.token_urlsafe(32)
                now = datetime.now(UTC)
                conn.execute(
                    insert(session_table),
                    {"user_id": row.id, "token_hash": hash_token(session_id), "created_at": now, "last_seen_at": now},
                )
                tokens[role], users[role] = raw, (row.id, session_id)
            group = conn.execute(select(group_table.c.id, group_table.c.slug).order_by(group_table.c.id).limit(1)).one()
        with build_sessionmaker(engine)() as session:
            delegate = session.get_one(User, users[Role.delegate][0])
            principal = principal_for(session, delegate, via_token=True)
            documents = pick_documents(session, principal, group.id)
            meeting = pick_meeting(session, principal, group.id)
    finally:
        engine.dispose()
    return BenchUsers(tokens=tokens, users=users, group_slug=str(group.slug), documents=documents, meeting=meeting)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__)
    parser.add_argument("--db", default=DEFAULT_SQLITE_URL, help="database URL (default: a SQLite file in tmp)")
    parser.add_argument("--reseed", action="store_true", help="rebuild even when the dataset matches")
    args = parser.parse_args()
    result = prepare_database(args.db, reseed=args.reseed)
    print("dataset reused" if result is None else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
