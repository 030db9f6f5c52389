from __future__ import annotations

from pydantic import BaseModel

from app.schemas import Out
from app.users.schemas import UserSummary


class GroupSummary(Out):
    id: int
    slug: str
    name: str
    technology_area: str
    status: str
    chairs: list[UserSummary]


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
