"""Who may see and change working groups: the group actions, who may take each, one refusal message per action.

Services call `rules.require(principal, GroupAction.x, group)` first in every write; pages show their buttons by
`rules.allowed(principal, group)`. `readable_groups` and `can_read` are the read rule that documents use too.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, true

from app.access.principal import Principal
from app.access.rules import Rules
from app.core.errors import N_
from app.groups.models import GroupStatus, WorkingGroup
from app.users.models import Role, User


class GroupAction(StrEnum):
    create = "create"  # a new working group
    edit = "edit"  # name, technology area, charter (both languages)
    archive = "archive"  # archive a group or open it again
    set_members = "set_members"  # add a member, change a member's role, remove a member
    see_members = "see_members"  # names and organisations of officials, and the group's recent activity


def readable_groups(principal: Principal) -> ColumnElement[bool]:
    """Active groups are open to everyone; archived ones only to the secretariat."""
    if principal.is_staff:
        return true()
    return WorkingGroup.status == GroupStatus.active


def can_read(principal: Principal, group: WorkingGroup) -> bool:
    return principal.is_staff or group.status == GroupStatus.active


def _check(principal: Principal, action: GroupAction, group: WorkingGroup | None) -> bool:
    if action is GroupAction.see_members:
        # Names of officials (chairs and members) are for the governments (delegates, observers) and the
        # secretariat. The public, industry and pending accounts learn only how many there are, by country.
        return principal.reads_quad_content
    # The secretariat runs the groups; chairs lead the discussion but do not change who is in the room.
    return principal.is_staff


rules: Rules[GroupAction, WorkingGroup | None] = Rules(
    _check,
    denied={
        GroupAction.create: N_("Only the secretariat may create a working group."),
        GroupAction.edit: N_("Only the secretariat may change a working group's details."),
        GroupAction.archive: N_("Only the secretariat may archive a working group or open it again."),
        GroupAction.set_members: N_("Only the secretariat may add, change or remove members of a working group."),
        GroupAction.see_members: N_("Member names are shown to government participants and the secretariat."),
    },
)


def may_be_member(user: User) -> bool:
    """Industry participants take part through consultations, never as members (membership opens `group` content)."""
    return user.role is not Role.industry
