from __future__ import annotations

from pydantic import BaseModel, Field

from app.core.schemas import Out
from app.groups.models import GroupStatus, MembershipRole
from app.users.models import Role
from app.users.schemas import UserSummary


class ChairOut(BaseModel):
    """A chair. Who they are (id, name, role, organisation) is shown only to government participants and the
    secretariat; everyone else sees just the chair's country, and null for the rest."""

    country_code: str | None
    id: int | None = None
    display_name: str | None = None
    role: Role | None = None
    organisation: str | None = None


class GroupSummary(Out):
    id: int
    slug: str
    name: str
    technology_area: str
    status: str
    chairs: list[ChairOut]


class MemberOut(BaseModel):
    user: UserSummary
    role: str


class CountryMembers(BaseModel):
    country_code: str | None
    member_count: int
    members: list[MemberOut] | None = None


class GroupDetail(GroupSummary):
    charter: str
    members_by_country: list[CountryMembers]


class GroupIn(BaseModel):
    slug: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=160)
    technology_area: str = Field(min_length=1, max_length=64)
    charter: str = Field("", max_length=50_000)


class GroupPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=160)
    technology_area: str | None = Field(None, min_length=1, max_length=64)
    charter: str | None = Field(None, max_length=50_000)
    status: GroupStatus | None = None


class MemberIn(BaseModel):
    user_id: int = Field(ge=1, le=2_147_483_647)
    role: MembershipRole = MembershipRole.member
