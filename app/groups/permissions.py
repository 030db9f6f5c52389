"""Who may see and change working groups."""

from __future__ import annotations

from sqlalchemy import ColumnElement, true

from app.access.principal import Principal
from app.groups.models import GroupStatus, WorkingGroup
from app.users.models import Role, User


def readable_groups(principal: Principal) -> ColumnElement[bool]:
    """Active groups are open to everyone; archived ones only to the secretariat."""
    if principal.is_staff:
        return true()
    return WorkingGroup.status == GroupStatus.active


def can_read(principal: Principal, group: WorkingGroup) -> bool:
    return principal.is_staff or group.status == GroupStatus.active


def can_see_members(principal: Principal) -> bool:
    """Names and organisations of officials (chairs and members) are for the governments (delegates, observers)
    and the secretariat. The public, industry and pending accounts learn only how many there are, by country."""
    return principal.reads_quad_content


def can_manage(principal: Principal) -> bool:
    return principal.is_staff


def may_be_member(user: User) -> bool:
    """Industry participants take part through consultations, never as members (membership opens `group` content)."""
    return user.role is not Role.industry
