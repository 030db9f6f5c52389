"""Working groups and their members."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, selectinload

from app.access.principal import Principal
from app.audit import service as audit
from app.core import text
from app.core.db import paged
from app.core.errors import N_, Conflict, InvalidInput, NotFound
from app.groups import permissions
from app.groups.events import GroupEvent
from app.groups.models import GroupStatus, Membership, MembershipRole, WorkingGroup
from app.users.models import Role, User, UserStatus

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED_SLUGS = frozenset({"new"})
STARTING_TECHNOLOGY_AREAS = ("5g-6g", "biotechnology", "semiconductors")


@dataclass(frozen=True)
class MemberView:
    user: User
    role: MembershipRole


@dataclass(frozen=True)
class GroupListing:
    """A page of groups with what lists show of them: member counts and chairs (not every member)."""

    groups: Sequence[WorkingGroup]
    total: int
    member_counts: Mapping[int, int]
    chairs: Mapping[int, list[User]]


def list_groups(session: Session, principal: Principal, *, offset: int = 0, limit: int = 100) -> GroupListing:
    found, total = paged(
        session,
        select(WorkingGroup).where(permissions.readable_groups(principal)),
        order_by=(WorkingGroup.name, WorkingGroup.id),
        offset=offset,
        limit=limit,
        # Lists never show the charter, which can be long.
        options=(defer(WorkingGroup.charter),),
    )
    ids = [g.id for g in found]
    if not ids:
        return GroupListing(found, total, {}, {})
    counts = session.execute(
        select(Membership.group_id, func.count()).where(Membership.group_id.in_(ids)).group_by(Membership.group_id)
    )
    chairs: dict[int, list[User]] = defaultdict(list)
    chair_rows = session.execute(
        select(Membership.group_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.group_id.in_(ids), Membership.role == MembershipRole.chair)
        .order_by(User.display_name)
    )
    for group_id, user in chair_rows:
        chairs[group_id].append(user)
    return GroupListing(found, total, {group_id: n for group_id, n in counts}, chairs)


def get_group(session: Session, principal: Principal, slug: str) -> WorkingGroup:
    query = (
        select(WorkingGroup)
        .where(WorkingGroup.slug == slug)
        .options(selectinload(WorkingGroup.memberships).selectinload(Membership.user))
    )
    group = session.scalar(query)
    if group is None or not permissions.can_read(principal, group):
        raise NotFound(f"no working group {slug!r}")
    return group


def readable_group(
    session: Session, principal: Principal, *, slug: str | None = None, group_id: int | None = None
) -> WorkingGroup:
    """The group alone, without its members, for pages that only need its name and id."""
    query = select(WorkingGroup).where(WorkingGroup.slug == slug if slug is not None else WorkingGroup.id == group_id)
    group = session.scalar(query)
    if group is None or not permissions.can_read(principal, group):
        raise NotFound(N_("no such working group"))
    return group


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


def _validated_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"{slug!r} is reserved; choose another short name")
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 64:
        raise InvalidInput(N_("the short name may use lower-case letters, digits and single hyphens (at most 64)"))
    return slug


def create_group(
    session: Session,
    actor_id: int | None,
    *,
    slug: str,
    name: str,
    technology_area: str,
    charter: str = "",
) -> WorkingGroup:
    slug = _validated_slug(slug)
    name = text.one_line(name, N_("a working group's name"), 160)
    technology_area = text.one_line(technology_area, N_("the technology area"), 64).lower()
    charter = text.paragraphs(charter, N_("the charter"), 50_000)
    if session.scalar(select(WorkingGroup.id).where(WorkingGroup.slug == slug)) is not None:
        raise Conflict(f"a working group {slug!r} already exists")
    group = WorkingGroup(
        slug=slug, name=name, technology_area=technology_area, charter=charter, status=GroupStatus.active
    )
    session.add(group)
    session.flush()
    audit.record(session, actor_id, GroupEvent.create, "working_group", group.id, group_id=group.id, slug=slug)
    return group


def add_member(
    session: Session,
    actor_id: int | None,
    group: WorkingGroup,
    user: User,
    role: MembershipRole = MembershipRole.member,
) -> Membership:
    if not permissions.may_be_member(user):
        raise InvalidInput(N_("industry participants take part through consultations, not group membership"))
    if role is MembershipRole.chair and user.role is not Role.delegate:
        raise InvalidInput(N_("only a delegate may chair a working group"))
    existing = session.scalar(select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id))
    if existing is not None:
        raise Conflict(f"{user.email} is already a member of {group.slug}")
    membership = Membership(group_id=group.id, user_id=user.id, role=role)
    session.add(membership)
    session.flush()
    audit.record(
        session,
        actor_id,
        GroupEvent.member_add,
        "working_group",
        group.id,
        group_id=group.id,
        user_id=user.id,
        role=role.value,
    )
    return membership


def find_by_slug(session: Session, slug: str) -> WorkingGroup | None:
    return session.scalar(select(WorkingGroup).where(WorkingGroup.slug == slug))


def groups_of(session: Session, principal: Principal) -> Sequence[WorkingGroup]:
    if not principal.group_ids:
        return []
    query = select(WorkingGroup).where(WorkingGroup.id.in_(principal.group_ids)).order_by(WorkingGroup.name)
    return session.scalars(query).all()


def update_group(
    session: Session,
    actor_id: int | None,
    group: WorkingGroup,
    *,
    name: str,
    technology_area: str,
    charter: str,
    status: GroupStatus,
) -> WorkingGroup:
    name = text.one_line(name, N_("a working group's name"), 160)
    technology_area = text.one_line(technology_area, N_("the technology area"), 64).lower()
    charter = text.paragraphs(charter, N_("the charter"), 50_000)
    changes = {
        key: {"from": str(old), "to": str(new)}
        for key, old, new in (
            ("name", group.name, name),
            ("technology_area", group.technology_area, technology_area),
            ("charter", group.charter, charter),
            ("status", group.status.value, status.value),
        )
        if old != new
    }
    group.name, group.technology_area, group.charter, group.status = name, technology_area, charter, status
    if changes:
        audit.record(
            session, actor_id, GroupEvent.update, "working_group", group.id, group_id=group.id, changes=list(changes)
        )
    return group


def set_member_role(
    session: Session, actor_id: int | None, group: WorkingGroup, user_id: int, role: MembershipRole
) -> Membership:
    membership = _membership(session, group, user_id)
    if role is MembershipRole.chair and membership.user.role is not Role.delegate:
        raise InvalidInput(N_("only a delegate may chair a working group"))
    if membership.role is not role:
        membership.role = role
        audit.record(
            session,
            actor_id,
            GroupEvent.member_role,
            "working_group",
            group.id,
            group_id=group.id,
            user_id=user_id,
            role=role.value,
        )
    return membership


def set_membership(
    session: Session, actor_id: int | None, group: WorkingGroup, user_id: int, role: MembershipRole
) -> Membership:
    """Adds the person with this role, or changes the role of a member."""
    if any(m.user_id == user_id for m in group.memberships):
        return set_member_role(session, actor_id, group, user_id, role)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such user"))
    return add_member(session, actor_id, group, user, role)


def remove_member(session: Session, actor_id: int | None, group: WorkingGroup, user_id: int) -> None:
    membership = _membership(session, group, user_id)
    session.delete(membership)
    audit.record(
        session, actor_id, GroupEvent.member_remove, "working_group", group.id, group_id=group.id, user_id=user_id
    )


def _membership(session: Session, group: WorkingGroup, user_id: int) -> Membership:
    membership = session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user_id)
    )
    if membership is None:
        raise NotFound(N_("that person is not a member of this working group"))
    return membership


def candidates_for(session: Session, group: WorkingGroup) -> Sequence[User]:
    """Government participants and staff who are not members yet, for the secretariat's add-member form."""
    members = select(Membership.user_id).where(Membership.group_id == group.id)
    query = (
        select(User)
        .where(User.role != Role.industry, User.status == UserStatus.active, User.id.not_in(members))
        .order_by(User.country_code, User.display_name)
        .limit(500)
    )
    return session.scalars(query).all()


def group_roles_of(session: Session, user_id: int) -> Mapping[int, MembershipRole]:
    rows = session.execute(select(Membership.group_id, Membership.role).where(Membership.user_id == user_id))
    return {group_id: MembershipRole(role) for group_id, role in rows}
