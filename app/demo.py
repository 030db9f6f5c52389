"""Demo data for `quad seed-demo` and the first `make run`: a living platform, not an empty shell.

Idempotent: each person, group and membership is created only when missing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.access.visibility import Visibility
from app.auth import service as auth_service
from app.core.db import utcnow
from app.documents import service as documents
from app.documents.models import ControlCategory, Document, DocumentType
from app.groups import service as groups
from app.groups.models import Membership, MembershipRole, WorkingGroup
from app.meetings import service as meetings
from app.meetings.models import Attendance, AttendanceAnswer, Meeting, MeetingMode, MeetingStatus
from app.storage import Storage
from app.users import service as users
from app.users.models import Role, User, UserStatus


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    role: Role
    country: str | None = None
    organisation: str | None = None
    status: UserStatus = UserStatus.active
    language: str | None = None


PEOPLE = [
    DemoPerson("admin@quad-secretariat.example", "Morgan Admin", Role.admin, organisation="Quad Secretariat"),
    DemoPerson(
        "s.ito@quad-secretariat.example", "Sakura Ito", Role.secretariat, organisation="Quad Secretariat", language="ja"
    ),
    DemoPerson("d.kumar@quad-secretariat.example", "Dev Kumar", Role.secretariat, organisation="Quad Secretariat"),
    DemoPerson("e.carter@state.example.gov", "Emily Carter", Role.delegate, "US", "Department of State"),
    DemoPerson("j.nguyen@commerce.example.gov", "James Nguyen", Role.delegate, "US", "Department of Commerce"),
    DemoPerson("r.lee@ntia.example.gov", "Rachel Lee", Role.observer, "US", "NTIA"),
    DemoPerson(
        "h.tanaka@mofa.example.go.jp",
        "Hiroshi Tanaka",
        Role.delegate,
        "JP",
        "Ministry of Foreign Affairs",
        language="ja",
    ),
    DemoPerson("y.sato@meti.example.go.jp", "Yuki Sato", Role.delegate, "JP", "METI", language="ja"),
    DemoPerson("k.yamamoto@soumu.example.go.jp", "Kenji Yamamoto", Role.observer, "JP", "MIC", language="ja"),
    DemoPerson("o.smith@dfat.example.gov.au", "Olivia Smith", Role.delegate, "AU", "DFAT"),
    DemoPerson("l.brown@industry.example.gov.au", "Liam Brown", Role.delegate, "AU", "DISR"),
    DemoPerson("c.wilson@csiro.example.au", "Chloe Wilson", Role.observer, "AU", "CSIRO"),
    DemoPerson("a.sharma@mea.example.gov.in", "Ananya Sharma", Role.delegate, "IN", "Ministry of External Affairs"),
    DemoPerson("v.rao@meity.example.gov.in", "Vikram Rao", Role.delegate, "IN", "MeitY"),
    DemoPerson("p.iyer@dst.example.gov.in", "Priya Iyer", Role.observer, "IN", "DST"),
    DemoPerson("policy@chipworks.example.com", "Daniel Brooks", Role.industry, "US", "ChipWorks Inc."),
    DemoPerson(
        "regulatory@nihon-denshi.example.co.jp", "Aiko Suzuki", Role.industry, "JP", "Nihon Denshi KK", language="ja"
    ),
    DemoPerson(
        "govaffairs@southerncross-bio.example.com.au", "Jack Taylor", Role.industry, "AU", "Southern Cross Biotech"
    ),
    DemoPerson("policy@bharat-telecom.example.in", "Rohan Mehta", Role.industry, "IN", "Bharat Telecom Ltd"),
    DemoPerson(
        "newcomer@openradio.example.com", "Grace Kim", Role.industry, "US", "OpenRadio Labs", UserStatus.pending
    ),
]


@dataclass(frozen=True)
class DemoGroup:
    slug: str
    name: str
    area: str
    charter: str
    chairs: tuple[str, ...]
    members: tuple[str, ...]
    name_ja: str = ""
    charter_ja: str = ""


GROUPS = [
    DemoGroup(
        "semiconductors",
        "Semiconductors Working Group",
        "semiconductors",
        "The Semiconductors Working Group maps the **semiconductor supply chain** of the four countries, "
        "identifies single points of failure and coordinates export controls on advanced chips and the tools "
        "that make them.\n\n## Work programme\n\n- Joint supply-chain map and stress test\n"
        "- Common control list for advanced lithography and EDA software\n"
        "- Principles for trusted foundry partnerships",
        ("y.sato@meti.example.go.jp", "j.nguyen@commerce.example.gov"),
        (
            "v.rao@meity.example.gov.in",
            "l.brown@industry.example.gov.au",
            "r.lee@ntia.example.gov",
            "k.yamamoto@soumu.example.go.jp",
            "d.kumar@quad-secretariat.example",
        ),
        name_ja="半導体作業部会",
        charter_ja="半導体作業部会は、4か国の**半導体サプライチェーン**を把握し、単一障害点を特定するとともに、"
        "先端半導体とその製造装置に関する輸出管理を調整します。\n\n## 作業計画\n\n"
        "- サプライチェーンの共同マップとストレステスト\n"
        "- 先端リソグラフィー装置とEDAソフトウェアに関する共通管理リスト\n"
        "- 信頼できるファウンドリ連携のための原則",
    ),
    DemoGroup(
        "5g-6g",
        "5G/6G Telecommunications Working Group",
        "5g-6g",
        "The 5G/6G Working Group promotes **open, secure and interoperable** telecommunications, including "
        "Open RAN deployment, and coordinates the Quad's input to 6G standards.\n\n## Work programme\n\n"
        "- Open RAN interoperability testing across the four countries\n"
        "- Security principles for network vendors\n- Shared research agenda for 6G",
        ("o.smith@dfat.example.gov.au", "a.sharma@mea.example.gov.in"),
        (
            "e.carter@state.example.gov",
            "h.tanaka@mofa.example.go.jp",
            "p.iyer@dst.example.gov.in",
            "s.ito@quad-secretariat.example",
        ),
        name_ja="5G/6G電気通信作業部会",
        charter_ja="5G/6G作業部会は、オープンRANの展開を含め、**オープンで安全かつ相互運用可能な**電気通信を推進し、"
        "6Gの標準化に向けたクアッドの貢献を調整します。\n\n## 作業計画\n\n"
        "- 4か国にわたるオープンRANの相互運用性試験\n- ネットワーク機器ベンダーに関するセキュリティ原則\n"
        "- 6Gに関する共同研究課題",
    ),
    DemoGroup(
        "biotechnology",
        "Biotechnology Working Group",
        "biotechnology",
        "The Biotechnology Working Group builds a shared **horizon scan** of biotechnologies, agrees "
        "safeguards against misuse and works towards common principles for biotechnology research security."
        "\n\n## Work programme\n\n- Biotechnology horizon scan\n- Research security principles\n"
        "- Export-control coordination for dual-use biotechnology",
        ("h.tanaka@mofa.example.go.jp",),
        (
            "e.carter@state.example.gov",
            "o.smith@dfat.example.gov.au",
            "v.rao@meity.example.gov.in",
            "c.wilson@csiro.example.au",
            "s.ito@quad-secretariat.example",
        ),
        name_ja="バイオテクノロジー作業部会",
        charter_ja="バイオテクノロジー作業部会は、バイオテクノロジーに関する共通の**ホライズン・スキャン**を作成し、"
        "悪用を防ぐための安全策に合意するとともに、バイオテクノロジー研究セキュリティに関する共通原則を目指します。"
        "\n\n## 作業計画\n\n- バイオテクノロジーのホライズン・スキャン\n- 研究セキュリティの原則\n"
        "- デュアルユース・バイオテクノロジーの輸出管理に関する調整",
    ),
]


@dataclass(frozen=True)
class DemoDocument:
    group: str
    title: str
    author: str
    owner: str | None
    visibility: Visibility
    doc_type: DocumentType
    filename: str
    versions: tuple[str, ...]
    tags: tuple[str, ...] = ()
    release: tuple[str, ...] = ()  # a release list makes the document export-controlled


DOCUMENTS = [
    DemoDocument(
        "semiconductors",
        "Semiconductor supply chain map",
        "j.nguyen@commerce.example.gov",
        "US",
        Visibility.quad,
        DocumentType.technical_report,
        "supply-chain-map.md",
        (
            "# Semiconductor supply chain map\n\nLeading-edge logic is made in few places.\n\n"
            "Advanced packaging capacity is concentrated in one region.\n",
            "# Semiconductor supply chain map\n\nLeading-edge logic is made in very few places.\n\n"
            "Advanced packaging capacity is concentrated in one region.\n\n"
            "Stress test: a three-month outage of one packaging site.\n",
        ),
        ("supply-chain", "packaging"),
    ),
    DemoDocument(
        "semiconductors",
        "Lithography and EDA control list",
        "y.sato@meti.example.go.jp",
        "JP",
        Visibility.group,
        DocumentType.position_paper,
        "control-list.md",
        ("# Proposed common control list\n\nEUV lithography tools and their parts.\n\nEDA software for GAAFET.\n",),
        ("export-controls",),
        ("JP", "US"),
    ),
    DemoDocument(
        "5g-6g",
        "Open RAN interoperability test report",
        "o.smith@dfat.example.gov.au",
        "AU",
        Visibility.public,
        DocumentType.technical_report,
        "open-ran-report.md",
        ("# Open RAN interoperability\n\nTwelve vendors took part in the plugfest.\n",),
        ("open-ran",),
    ),
    DemoDocument(
        "biotechnology",
        "Biotechnology horizon scan",
        "s.ito@quad-secretariat.example",
        None,
        Visibility.quad,
        DocumentType.meeting_material,
        "horizon-scan.md",
        ("# Horizon scan\n\nSynthetic biology, gene editing and biomanufacturing.\n",),
    ),
]


def seed_demo(session: Session, storage: Storage | None = None) -> dict[str, int]:
    """Creates whatever demo data is missing; returns how many of each were added."""
    added = {"users": 0, "groups": 0, "memberships": 0, "documents": 0, "meetings": 0}
    people: dict[str, User] = {}
    for person in PEOPLE:
        user = users.find_by_email(session, person.email)
        if user is None:
            user = users.create_user(
                session,
                SYSTEM,
                email=person.email,
                display_name=person.name,
                role=person.role,
                country=person.country,
                organisation=person.organisation,
                status=person.status,
                language=person.language,
            )
            added["users"] += 1
        people[person.email] = user
    for spec in GROUPS:
        group = groups.find_by_slug(session, spec.slug)
        if group is None:
            group = groups.create_group(
                session,
                SYSTEM,
                slug=spec.slug,
                name=spec.name,
                technology_area=spec.area,
                charter=spec.charter,
                name_ja=spec.name_ja,
                charter_ja=spec.charter_ja,
            )
            added["groups"] += 1
        elif spec.name_ja and not group.name_ja:
            # Demo data loaded before groups had Japanese names gets them too.
            groups.update_group(
                session,
                SYSTEM,
                group,
                name=group.name,
                technology_area=group.technology_area,
                charter=group.charter,
                status=group.status,
                name_ja=spec.name_ja,
                charter_ja=spec.charter_ja,
            )
        existing = set(session.scalars(select(Membership.user_id).where(Membership.group_id == group.id)))
        wanted = [(e, MembershipRole.chair) for e in spec.chairs] + [(e, MembershipRole.member) for e in spec.members]
        for email, role in wanted:
            user = people[email]
            if user.id not in existing:
                if user.role is Role.observer:
                    role = MembershipRole.observer
                groups.add_member(session, SYSTEM, group, user, role)
                existing.add(user.id)
                added["memberships"] += 1
    if storage is not None:
        added["documents"] = _seed_documents(session, storage, people)
    added["meetings"] = _seed_meetings(session, people)
    return added


def _seed_documents(session: Session, storage: Storage, people: dict[str, User]) -> int:
    added = 0
    limits = documents.UploadLimits(max_bytes=1024 * 1024)
    for spec in DOCUMENTS:
        if session.scalar(select(Document.id).where(Document.title == spec.title)) is not None:
            continue
        group = groups.find_by_slug(session, spec.group)
        assert group is not None
        author = auth_service.principal_for(session, people[spec.author])
        fields = documents.DocumentFields(spec.title, "", spec.owner, spec.doc_type, spec.visibility, spec.tags)
        first, *later = spec.versions
        document = documents.create_document(
            session, author, storage, group, fields, documents.Upload(io.BytesIO(first.encode()), spec.filename), limits
        )
        for text in later:
            upload = documents.Upload(io.BytesIO(text.encode()), spec.filename, note="Revised after the last meeting")
            documents.add_version(session, author, storage, document, upload, limits)
        if spec.release:
            marking = documents.Marking(True, ControlCategory.semiconductors, "3B001", spec.release)
            documents.set_marking(session, author, document, marking)
        added += 1
    return added


# Each group meets at 06:00 UTC: 15:00 in Tokyo, 11:30 in New Delhi, 16:00 or 17:00 in Canberra, and the
# night before in Washington (the rotation across capitals is the time zones' helper's work).
MEETING_HOUR_UTC = 6
AGENDA = (
    ("Opening and adoption of the agenda", 10, None, ""),
    ("Report from the delegations", 40, "country", "Each delegation reports on work since the last meeting."),
    ("Discussion of the documents on the table", 50, "documents", "Comments on the papers linked below."),
    ("Next steps and date of the next meeting", 20, None, ""),
)


def _seed_meetings(session: Session, people: dict[str, User]) -> int:
    """In each group: a past meeting (held, its agenda locked, attendance recorded) and an upcoming one with a
    published agenda. A meeting whose title is already in the group is left alone."""
    added = 0
    today = utcnow().replace(hour=MEETING_HOUR_UTC, minute=0, second=0, microsecond=0)
    for spec in GROUPS:
        group = groups.find_by_slug(session, spec.slug)
        assert group is not None
        host = people[spec.chairs[0]].country_code or "US"
        for title, days, past in (
            (f"{spec.name}: plenary, last round", -21, True),
            (f"{spec.name}: plenary, next round", 14, False),
        ):
            if session.scalar(select(Meeting.id).where(Meeting.group_id == group.id, Meeting.title == title)):
                continue
            starts = today + timedelta(days=days)
            details = meetings.MeetingDetails(
                title=title,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                host_country=host,
                mode=MeetingMode.hybrid,
                visibility=Visibility.group,
                venue=f"{host} delegation offices (and online)",
                join_link=f"https://meet.quad-secretariat.example/{spec.slug}/{'past' if past else 'next'}",
            )
            meeting = meetings.create_meeting(session, SYSTEM, group, details)
            _seed_agenda(session, meeting, group, host)
            meetings.publish_agenda(session, SYSTEM, meeting)
            if past:
                _seed_attendance(session, meeting, [people[e] for e in spec.chairs + spec.members])
            added += 1
    return added


def _seed_agenda(session: Session, meeting: Meeting, group: WorkingGroup, host: str) -> None:
    papers = tuple(session.scalars(select(Document.id).where(Document.group_id == group.id).order_by(Document.id)))
    for title, minutes, extra, description in AGENDA:
        fields = meetings.ItemFields(
            title=title,
            description=description,
            minutes=minutes,
            presenter_country=host if extra == "country" else None,
            document_ids=papers if extra == "documents" else (),
        )
        meetings.add_item(session, SYSTEM, meeting, fields)


def _seed_attendance(session: Session, meeting: Meeting, members: list[User]) -> None:
    """Answers in the days before; then the chairs' record of who came, and the meeting marked held."""
    answers = (AttendanceAnswer.in_person, AttendanceAnswer.online, AttendanceAnswer.not_attending)
    for n, user in enumerate(members):
        session.add(Attendance(meeting_id=meeting.id, user_id=user.id, answer=answers[n % 3]))
    session.flush()
    came = {user.id for n, user in enumerate(members) if n % 3 != 2}
    meetings.record_attendance(session, SYSTEM, meeting, came)
    meetings.lock_agenda(session, SYSTEM, meeting)
    update = meetings.MeetingDetails(
        title=meeting.title,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        host_country=meeting.host_country,
        mode=meeting.mode,
        visibility=meeting.visibility,
        venue=meeting.venue or "",
        join_link=meeting.join_link or "",
        status=MeetingStatus.held,
    )
    meetings.update_meeting(session, SYSTEM, meeting, update)


def database_is_empty(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is None
