"""The JSON shapes of working groups, and how a group becomes one for a given reader (names of officials or not)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from app.core.schemas import Out
from app.countries.service import QUAD_COUNTRY_CODES
from app.groups import service
from app.groups.models import GroupStatus, MembershipRole, WorkingGroup
from app.users.models import Role, User
from app.users.schemas import UserSummary

# Countries in the dialogue's order, then the secretariat (staff belong to no country).
COUNTRY_ORDER = (*QUAD_COUNTRY_CODES, "")


class ChairOut(BaseModel):
    """A chair. Who they are (id, name, role, organisation) is shown only to government participants and the
    secretariat; everyone else sees just the chair's country, and null for the rest."""

    country_code: str | None
    id: int | None = None
    display_name: str | None = None
    role: Role | None = None
    organisation: str | None = None

    @classmethod
    def of(cls, user: User, show_names: bool) -> ChairOut:
        if not show_names:
            return cls(country_code=user.country_code)
        return cls(
            country_code=user.country_code,
            id=user.id,
            display_name=user.display_name,
            role=user.role,
            organisation=user.organisation,
        )


class GroupSummary(Out):
    id: int
    slug: str
    name: str
    name_ja: str | None = Field(None, description="The name in Japanese, when the secretariat has given one")
    technology_area: str
    status: str
    chairs: list[ChairOut]

    @classmethod
    def of(cls, group: WorkingGroup, chairs: Sequence[User], show_names: bool) -> GroupSummary:
        return cls(
            id=group.id,
            slug=group.slug,
            name=group.name,
            name_ja=group.name_ja,
            technology_area=group.technology_area,
            status=group.status,
            chairs=[ChairOut.of(u, show_names) for u in chairs],
        )

    @classmethod
    def of_listing(cls, group: service.GroupListing) -> GroupSummary:
        """A row of the list (service.list_groups), whose chairs are already what the reader may see."""
        return cls.model_validate(group, from_attributes=True)


class MemberOut(BaseModel):
    user: UserSummary
    role: str


class CountryMembers(BaseModel):
    country_code: str | None
    member_count: int
    members: list[MemberOut] | None = None


def members_by_country(group: WorkingGroup, show_names: bool) -> list[CountryMembers]:
    """Members counted by country for everyone; their names only for those who may see them."""
    grouped = service.members_by_country(group)
    return [
        CountryMembers(
            country_code=code or None,
            member_count=len(grouped[code]),
            members=[MemberOut(user=UserSummary.model_validate(m.user), role=m.role.value) for m in grouped[code]]
            if show_names
            else None,
        )
        for code in COUNTRY_ORDER
        if code in grouped
    ]


class GroupDetail(GroupSummary):
    charter: str
    charter_ja: str | None = Field(None, description="The charter in Japanese (Markdown), when given")
    members_by_country: list[CountryMembers]

    @classmethod
    def of_group(cls, group: WorkingGroup, show_names: bool) -> GroupDetail:
        """`group` with its members loaded (service.get_group)."""
        return cls(
            **GroupSummary.of(group, service.chairs_of(group), show_names).model_dump(),
            charter=group.charter,
            charter_ja=group.charter_ja,
            members_by_country=members_by_country(group, show_names),
        )


class GroupIn(BaseModel):
    slug: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=160)
    technology_area: str = Field(min_length=1, max_length=64)
    charter: str = Field("", max_length=50_000)
    name_ja: str = Field("", max_length=160, description="The name in Japanese (optional)")
    charter_ja: str = Field("", max_length=50_000, description="The charter in Japanese, Markdown (optional)")


class GroupPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=160)
    technology_area: str | None = Field(None, min_length=1, max_length=64)
    charter: str | None = Field(None, max_length=50_000)
    name_ja: str | None = Field(None, max_length=160, description='"" removes the Japanese name')
    charter_ja: str | None = Field(None, max_length=50_000, description='"" removes the Japanese charter')
    status: GroupStatus | None = None


class MemberIn(BaseModel):
    user_id: int = Field(ge=1, le=2_147_483_647)
    role: MembershipRole = MembershipRole.member
