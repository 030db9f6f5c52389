"""Working groups and their members. Every write starts with `permissions.rules.require`."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.access.principal import Principal
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.core import markdown, text
from app.core.errors import N_, Conflict, InvalidInput, NotFound
from app.core.pagination import PageRequest, Paginated, paginate
from app.core.sql import json_array_agg, json_object_of
from app.groups.events import GroupEvent
from app.groups.models import GroupStatus, Membership, MembershipRole, WorkingGroup, name_in_language
from app.groups.permissions import GroupAction, may_be_member, readable_groups, rules
from app.groups.permissions import can_read as can_read_group
from app.users.models import Role, User, UserStatus

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({"new"})
STARTING_TECHNOLOGY_AREAS = ("5g-6g", "biotechnology", "semiconductors")
NAME_MAX, AREA_MAX, CHARTER_MAX, REASON_MAX = 160, 64, 50_000, 500


@dataclass(frozen=True)
class MemberView:
    user: User
    role: MembershipRole


@dataclass(frozen=True)
class GroupHead:
    """What every list shows of a group: no charter, no members."""

    id: int
    slug: str
    name: str
    name_ja: str | None
    technology_area: str
    status: GroupStatus

    def name_in(self, language: str) -> str:
        return name_in_language(self.name, self.name_ja, language)


@dataclass(frozen=True)
class GroupLine(GroupHead):
    """A group as pages list it (the home page, the approval form's choices), with its member count."""

    member_count: int


@dataclass(frozen=True)
class ChairLine:
    """A chair as the API's group list shows them: who they are only to those who may see members."""

    country_code: str | None
    id: int | None = None
    display_name: str | None = None
    role: Role | None = None
    organisation: str | None = None


@dataclass(frozen=True)
class GroupListing(GroupHead):
    """A group as the API's list shows it, with its chairs."""

    chairs: tuple[ChairLine, ...]


_LISTED_COLUMNS = (
    WorkingGroup.id,
    WorkingGroup.slug,
    WorkingGroup.name,
    WorkingGroup.name_ja,
    WorkingGroup.technology_area,
    WorkingGroup.status,
)
_BY_NAME = (WorkingGroup.name, WorkingGroup.id)


def group_lines(session: Session, principal: Principal, page: PageRequest) -> Paginated[GroupLine]:
    """The groups the principal may read, by name, each with its member count: one statement."""
    members = select(func.count()).where(Membership.group_id == WorkingGroup.id).scalar_subquery()
    query = select(*_LISTED_COLUMNS, members).where(readable_groups(principal))
    found = paginate(session, query, page, order_by=_BY_NAME, scalars=False)
    return found.map(lambda row: GroupLine(*row))


def list_groups(session: Session, principal: Principal, page: PageRequest) -> Paginated[GroupListing]:
    """The groups the principal may read, by name, with their chairs in the same statement (a JSON array). Who
    the chairs are (name, role, organisation) is selected only for those who may see members; others get the
    country alone."""
    chair: dict[str, Any] = {"country_code": User.country_code}
    if rules.allows(principal, GroupAction.see_members, None):
        chair |= {"id": User.id, "display_name": User.display_name, "role": User.role}
        chair |= {"organisation": User.organisation}
    chairs = (
        select(json_array_agg(json_object_of(**chair)))
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.group_id == WorkingGroup.id, Membership.role == MembershipRole.chair)
        .scalar_subquery()
    )
    query = select(*_LISTED_COLUMNS, chairs).where(readable_groups(principal))
    found = paginate(session, query, page, order_by=_BY_NAME, scalars=False)
    return found.map(
        lambda row: GroupListing(
            row.id, row.slug, row.name, row.name_ja, row.technology_area, row.status, _chair_lines(row[-1])
        )
    )


def _chair_lines(chairs: list[dict[str, Any]] | None) -> tuple[ChairLine, ...]:
    lines = [ChairLine(**{**c, "role": Role(c["role"]) if c.get("role") else None}) for c in chairs or []]
    # By name as the group's page lists them; by country when names are not shown.
    return tuple(sorted(lines, key=lambda c: (c.display_name or "", c.country_code or "", c.id or 0)))


def get_group(session: Session, principal: Principal, slug: str) -> WorkingGroup:
    """The group with its members (and their accounts) loaded; 404 when the principal may not read it."""
    query = (
        select(WorkingGroup)
        .where(WorkingGroup.slug == slug)
        .options(selectinload(WorkingGroup.memberships).selectinload(Membership.user))
    )
    group = session.scalar(query)
    if group is None or not can_read_group(principal, group):
        raise NotFound(N_("no such working group"))
    return group


def readable_group(
    session: Session, principal: Principal, *, slug: str | None = None, group_id: int | None = None
) -> WorkingGroup:
    """The group alone, without its members, for pages that only need its name and id."""
    query = select(WorkingGroup).where(WorkingGroup.slug == slug if slug is not None else WorkingGroup.id == group_id)
    group = session.scalar(query)
    if group is None or not can_read_group(principal, group):
        raise NotFound(N_("no such working group"))
    return group


def chosen_group(session: Session, principal: Principal, slug: str) -> WorkingGroup:
    """A group picked from a list on a form: an unknown one is a wrong choice (422), not a missing page."""
    group = find_by_slug(session, slug)
    if group is None or not can_read_group(principal, group):
        raise InvalidInput(N_("choose a working group from the list"))
    return group


def find_by_slug(session: Session, slug: str) -> WorkingGroup | None:
    return session.scalar(select(WorkingGroup).where(WorkingGroup.slug == slug))


@dataclass(frozen=True)
class GroupName:
    """What a link to a group needs: its slug and names."""

    id: int
    slug: str
    name: str
    name_ja: str | None

    def name_in(self, language: str) -> str:
        return name_in_language(self.name, self.name_ja, language)


_NAME_COLUMNS = (WorkingGroup.id, WorkingGroup.slug, WorkingGroup.name, WorkingGroup.name_ja)


def groups_of(session: Session, principal: Principal) -> Sequence[WorkingGroup]:
    if not principal.group_ids:
        return []
    query = select(WorkingGroup).where(WorkingGroup.id.in_(principal.group_ids)).order_by(WorkingGroup.name)
    return session.scalars(query).all()


def names_of_my_groups(session: Session, principal: Principal) -> list[GroupName]:
    """The principal's own groups, by name: only what a link needs."""
    if not principal.group_ids:
        return []
    query = select(*_NAME_COLUMNS).where(WorkingGroup.id.in_(sorted(principal.group_ids))).order_by(*_BY_NAME)
    return [GroupName(*row) for row in session.execute(query)]


def group_names(session: Session, principal: Principal, ids: Iterable[int | None]) -> dict[int, GroupName]:
    """The groups among `ids` that the principal may read, by id (for lines that name their group)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    query = select(*_NAME_COLUMNS).where(WorkingGroup.id.in_(wanted), readable_groups(principal))
    return {row.id: GroupName(*row) for row in session.execute(query)}


def group_roles_of(session: Session, user_id: int) -> Mapping[int, MembershipRole]:
    rows = session.execute(select(Membership.group_id, Membership.role).where(Membership.user_id == user_id))
    return {group_id: MembershipRole(role) for group_id, role in rows}


def chairs_of(group: WorkingGroup) -> list[User]:
    return [m.user for m in group.memberships if m.role is MembershipRole.chair]


def members_by_country(group: WorkingGroup) -> dict[str, list[MemberView]]:
    """Members grouped by country code ('' for secretariat staff), chairs first, then by name."""
    grouped: dict[str, list[MemberView]] = defaultdict(list)
    for membership in group.memberships:
        grouped[membership.user.country_code or ""].append(MemberView(membership.user, membership.role))
    for members in grouped.values():
        members.sort(key=lambda m: (m.role is not MembershipRole.chair, m.user.display_name))
    return dict(grouped)


def recent_activity(
    session: Session, principal: Principal, group: WorkingGroup, limit: int = 10
) -> Sequence[AuditEvent]:
    """What happened in the group lately, for those who may see its members; nobody else."""
    if not rules.allows(principal, GroupAction.see_members, group):
        return []
    return audit.events_for(session, "working_group", group.id, limit=limit)


# Details ------------------------------------------------------------------------------------------------------


def _validated_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if slug in RESERVED_SLUGS:
        raise InvalidInput(N_("That short name is reserved; choose another."), field="slug")
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > AREA_MAX:
        raise InvalidInput(
            N_("the short name may use lower-case letters, digits and single hyphens (at most 64)"), field="slug"
        )
    return slug


@dataclass(frozen=True)
class GroupDetails:
    """What the secretariat writes about a group, checked: names on one line, charters as Markdown."""

    name: str
    technology_area: str
    charter: str
    name_ja: str | None
    charter_ja: str | None

    def rendered(self) -> dict[str, str | None]:
        """The charters as stored HTML (`charter_html`, `charter_ja_html`), rendered once, when saved."""
        japanese = markdown.to_html(self.charter_ja) if self.charter_ja else None
        return {"charter_html": markdown.to_html(self.charter), "charter_ja_html": japanese}


def _details(name: str, technology_area: str, charter: str, name_ja: str, charter_ja: str) -> GroupDetails:
    name = text.one_line(name, N_("a working group's name"), NAME_MAX, field="name")
    technology_area = text.one_line(
        technology_area, N_("the technology area"), AREA_MAX, field="technology_area"
    ).lower()
    charter = text.paragraphs(charter, N_("the charter"), CHARTER_MAX, field="charter")
    japanese_name = text.one_line(name_ja, N_("the name in Japanese"), NAME_MAX, required=False, field="name_ja")
    japanese_charter = text.paragraphs(charter_ja, N_("the charter in Japanese"), CHARTER_MAX, field="charter_ja")
    return GroupDetails(name, technology_area, charter, japanese_name or None, japanese_charter or None)


def create_group(
    session: Session,
    principal: Principal,
    *,
    slug: str,
    name: str,
    technology_area: str,
    charter: str = "",
    name_ja: str = "",
    charter_ja: str = "",
) -> WorkingGroup:
    rules.require(principal, GroupAction.create, None)
    slug = _validated_slug(slug)
    details = _details(name, technology_area, charter, name_ja, charter_ja)
    if find_by_slug(session, slug) is not None:
        raise Conflict(N_("A working group with this short name already exists; choose another."), field="slug")
    group = WorkingGroup(
        slug=slug,
        name=details.name,
        technology_area=details.technology_area,
        charter=details.charter,
        name_ja=details.name_ja,
        charter_ja=details.charter_ja,
        status=GroupStatus.active,
        **details.rendered(),
    )
    session.add(group)
    session.flush()
    audit.record(session, principal.user_id, GroupEvent.create, "working_group", group.id, group_id=group.id, slug=slug)
    return group


def update_group(
    session: Session,
    principal: Principal,
    group: WorkingGroup,
    *,
    name: str,
    technology_area: str,
    charter: str,
    status: GroupStatus,
    name_ja: str | None = None,
    charter_ja: str | None = None,
) -> WorkingGroup:
    """Changes the details; `name_ja` / `charter_ja` None keep the Japanese as it is, "" removes it."""
    rules.require(principal, GroupAction.edit, group)
    if status is not group.status:
        rules.require(principal, GroupAction.archive, group)
    details = _details(
        name,
        technology_area,
        charter,
        group.name_ja or "" if name_ja is None else name_ja,
        group.charter_ja or "" if charter_ja is None else charter_ja,
    )
    wanted = {
        "name": details.name,
        "technology_area": details.technology_area,
        "charter": details.charter,
        "name_ja": details.name_ja,
        "charter_ja": details.charter_ja,
        "status": status,
    }
    changed = [key for key, value in wanted.items() if getattr(group, key) != value]
    for key in changed:
        setattr(group, key, wanted[key])
    # Rendered on every save (not only when the text changed), so stored HTML never lags its source.
    for key, html in details.rendered().items():
        setattr(group, key, html)
    if changed:
        audit.record(
            session, principal.user_id, GroupEvent.update, "working_group", group.id, group_id=group.id, changes=changed
        )
    return group


# Members ------------------------------------------------------------------------------------------------------


def add_member(
    session: Session,
    principal: Principal,
    group: WorkingGroup,
    user: User,
    role: MembershipRole = MembershipRole.member,
) -> Membership:
    rules.require(principal, GroupAction.set_members, group)
    if not may_be_member(user):
        raise InvalidInput(
            N_("industry participants take part through consultations, not group membership"), field="user_id"
        )
    if role is MembershipRole.chair and user.role is not Role.delegate:
        raise InvalidInput(N_("only a delegate may chair a working group"), field="role")
    existing = session.scalar(select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id))
    if existing is not None:
        raise Conflict(N_("That person is already a member of this working group."), field="user_id")
    # Through the relationships, so a group loaded with its members lists the new one at once.
    membership = Membership(group=group, user=user, role=role)
    session.add(membership)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        GroupEvent.member_add,
        "working_group",
        group.id,
        group_id=group.id,
        user_id=user.id,
        role=role.value,
    )
    return membership


def set_member_role(
    session: Session, principal: Principal, group: WorkingGroup, user_id: int, role: MembershipRole
) -> Membership:
    rules.require(principal, GroupAction.set_members, group)
    membership = _membership(session, group, user_id)
    if role is MembershipRole.chair and membership.user.role is not Role.delegate:
        raise InvalidInput(N_("only a delegate may chair a working group"), field="role")
    if membership.role is not role:
        membership.role = role
        audit.record(
            session,
            principal.user_id,
            GroupEvent.member_role,
            "working_group",
            group.id,
            group_id=group.id,
            user_id=user_id,
            role=role.value,
        )
    return membership


@dataclass(frozen=True)
class MembershipSet:
    membership: Membership
    added: bool  # a new member, rather than a member's new role


def set_membership(
    session: Session, principal: Principal, group: WorkingGroup, user_id: int, role: MembershipRole
) -> MembershipSet:
    """Adds the person with this role, or changes the role of a member."""
    rules.require(principal, GroupAction.set_members, group)
    if any(m.user_id == user_id for m in group.memberships):
        return MembershipSet(set_member_role(session, principal, group, user_id, role), added=False)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such user"), field="user_id")
    return MembershipSet(add_member(session, principal, group, user, role), added=True)


def get_member(session: Session, principal: Principal, group: WorkingGroup, user_id: int) -> MemberView:
    """One member, for the page that asks "remove them?" (only those who may remove members see it)."""
    rules.require(principal, GroupAction.set_members, group)
    membership = _membership(session, group, user_id)
    return MemberView(membership.user, membership.role)


def remove_member(
    session: Session, principal: Principal, group: WorkingGroup, user_id: int, *, reason: str = ""
) -> User:
    """Removes the member; the reason, when given, is kept on the audit trail. Returns who was removed."""
    rules.require(principal, GroupAction.set_members, group)
    membership = _membership(session, group, user_id)
    reason = text.one_line(reason, N_("the reason"), REASON_MAX, required=False, field="reason")
    removed = membership.user
    # Out of the group's collection too (delete-orphan deletes the row), so the group reads right afterwards.
    group.memberships.remove(membership)
    session.flush()
    data: dict[str, Any] = {"reason": reason} if reason else {}
    audit.record(
        session,
        principal.user_id,
        GroupEvent.member_remove,
        "working_group",
        group.id,
        group_id=group.id,
        user_id=user_id,
        **data,
    )
    return removed


def _membership(session: Session, group: WorkingGroup, user_id: int) -> Membership:
    membership = session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFound(N_("that person is not a member of this working group"))
    return membership


def candidates_for(session: Session, principal: Principal, group: WorkingGroup) -> Sequence[User]:
    """Government participants and staff who are not members yet, for the secretariat's add-member form."""
    rules.require(principal, GroupAction.set_members, group)
    members = select(Membership.user_id).where(Membership.group_id == group.id)
    query = (
        select(User)
        .where(User.role != Role.industry, User.status == UserStatus.active, User.id.not_in(members))
        .order_by(User.country_code, User.display_name)
        .limit(500)
    )
    return session.scalars(query).all()
