from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from app.audit import service as audit
from app.auth.policy import AnyPrincipal
from app.auth.principal import Principal
from app.deps import DbSession, Page
from app.groups import permissions, service
from app.groups.models import WorkingGroup
from app.groups.schemas import CountryMembers, GroupDetail, GroupSummary, MemberOut
from app.routing import api_router, page_router
from app.schemas import PageOut
from app.templating import render
from app.users.schemas import UserSummary

api = api_router(prefix="/api/v1/working-groups", tags=["working groups"])
pages = page_router()

COUNTRY_ORDER = ("US", "JP", "AU", "IN", "")


def readable_group(slug: str, db: DbSession, principal: AnyPrincipal) -> WorkingGroup:
    return service.get_group(db, principal, slug)


ReadableGroup = Annotated[WorkingGroup, Depends(readable_group)]


def _summary(group: WorkingGroup) -> GroupSummary:
    chairs = [UserSummary.model_validate(u) for u in service.chairs_of(group)]
    return GroupSummary(
        id=group.id,
        slug=group.slug,
        name=group.name,
        technology_area=group.technology_area,
        status=group.status,
        chairs=chairs,
    )


def _country_members(group: WorkingGroup, principal: Principal) -> list[CountryMembers]:
    grouped = service.members_by_country(group)
    show_names = permissions.can_see_members(principal)
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


@api.get("", summary="Working groups the caller may see")
def list_groups(db: DbSession, page: Page, principal: AnyPrincipal) -> PageOut[GroupSummary]:
    groups, total = service.list_groups(db, principal, offset=page.offset, limit=page.size)
    return PageOut.of([_summary(g) for g in groups], page, total)


@api.get("/{slug}", summary="One working group with its charter and members by country")
def get_group(group: ReadableGroup, principal: AnyPrincipal) -> GroupDetail:
    return GroupDetail(
        **_summary(group).model_dump(), charter=group.charter, members_by_country=_country_members(group, principal)
    )


@pages.get("/groups/{slug}", response_class=HTMLResponse)
def group_page(request: Request, group: ReadableGroup, db: DbSession, principal: AnyPrincipal) -> HTMLResponse:
    return render(
        request,
        "groups/detail.html",
        {
            "group": group,
            "chairs": service.chairs_of(group),
            "countries": _country_members(group, principal),
            "can_see_members": permissions.can_see_members(principal),
            "can_manage": permissions.can_manage(principal),
            "recent": audit.events_for(db, "working_group", group.id, limit=10)
            if permissions.can_see_members(principal)
            else [],
        },
    )
