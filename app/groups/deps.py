"""What the groups API and pages share: the route gates of each group action, the path loader, and the forms.

Forms keep what was typed as text and parse it inside the page's action, so a bad choice or a number that is not
one shows the form again with the message beside the field (FastAPI would answer a bare 422 page instead).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import Depends, Form

from app.access.policy import AnyPrincipal, CurrentPrincipal, SecretariatPrincipal
from app.core.errors import N_
from app.groups import service
from app.groups.models import GroupStatus, MembershipRole, WorkingGroup
from app.web.deps import DbSession
from app.web.forms import parse_choice, parse_id

# One gate per group action, the same on the API and the pages: reading is open (the service hides what is
# not for the reader); every change is the secretariat's (app.groups.permissions says why).
GroupsReader = AnyPrincipal
GroupsManager = SecretariatPrincipal


def readable_group(slug: str, db: DbSession, principal: CurrentPrincipal) -> WorkingGroup:
    return service.get_group(db, principal, slug)


ReadableGroup = Annotated[WorkingGroup, Depends(readable_group)]

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class GroupForm:
    """The group-details form. `name_ja` / `charter_ja` None: the form did not send them (an older client), so
    the Japanese stays as it is."""

    name: str = ""
    technology_area: str = ""
    charter: str = ""
    name_ja: str | None = None
    charter_ja: str | None = None
    status: str = GroupStatus.active.value

    @classmethod
    def from_form(
        cls,
        name: Annotated[str, Form()] = "",
        technology_area: Annotated[str, Form()] = "",
        charter: Annotated[str, Form()] = "",
        name_ja: Annotated[str | None, Form()] = None,
        charter_ja: Annotated[str | None, Form()] = None,
        status: Annotated[str, Form()] = GroupStatus.active.value,
    ) -> GroupForm:
        return cls(name, technology_area, charter, name_ja, charter_ja, status)

    def group_status(self) -> GroupStatus:
        return parse_choice(GroupStatus, self.status, message=N_("choose a status"), field="status")

    def values(self) -> dict[str, str | None]:
        return asdict(self)


GroupFormData = Annotated[GroupForm, Depends(GroupForm.from_form)]


@dataclass(frozen=True)
class NewGroupForm:
    """The new-group form: the details, and the short name the group's addresses use."""

    slug: str
    details: GroupForm

    @classmethod
    def from_form(cls, details: GroupFormData, slug: Annotated[str, Form()] = "") -> NewGroupForm:
        return cls(slug, details)

    def values(self) -> dict[str, str | None]:
        return {**self.details.values(), "slug": self.slug}


NewGroupFormData = Annotated[NewGroupForm, Depends(NewGroupForm.from_form)]


@dataclass(frozen=True)
class MemberForm:
    """Add a member, change a member's role, or (from older pages and scripts) remove one: `action=remove`."""

    user_id: str = ""
    role: str = MembershipRole.member.value
    action: str = "set"
    reason: str = ""
    row: bool = False  # sent by a member's own row, whose role box is `role-<user id>`

    @classmethod
    def from_form(
        cls,
        user_id: Annotated[str, Form()] = "",
        role: Annotated[str, Form()] = MembershipRole.member.value,
        action: Annotated[str, Form()] = "set",
        reason: Annotated[str, Form()] = "",
        row: Annotated[str, Form()] = "",
    ) -> MemberForm:
        return cls(user_id, role, action, reason, bool(row))

    @property
    def removes(self) -> bool:
        return self.action == "remove"

    def member_id(self) -> int:
        return parse_id(self.user_id, message=N_("choose a person from the list"), field="user_id")

    def member_role(self) -> MembershipRole:
        return parse_choice(MembershipRole, self.role, message=N_("choose a role"), field=self.role_field)

    @property
    def role_field(self) -> str:
        return f"role-{self.user_id}" if self.row else "role"

    def values(self) -> dict[str, str]:
        return {"user_id": self.user_id, self.role_field: self.role}


MemberFormData = Annotated[MemberForm, Depends(MemberForm.from_form)]
