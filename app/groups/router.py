from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.access.policy import AnyPrincipal, CurrentPrincipal, SecretariatPrincipal
from app.access.principal import Principal
from app.audit import service as audit
from app.core.errors import N_, DomainError, InvalidInput
from app.core.routing import api_router, page_router
from app.core.schemas import PageOut
from app.groups import permissions, service
from app.groups.models import GroupStatus, MembershipRole, WorkingGroup
from app.groups.schemas import (
    ChairOut,
    CountryMembers,
    GroupDetail,
    GroupIn,
    GroupPatch,
    GroupSummary,
    MemberIn,
    MemberOut,
)
from app.users.models import User
from app.users.schemas import UserSummary
from app.web.deps import DbSession, FormId, ObjectId, Page
from app.web.openapi import problems
from app.web.templating import render

api = api_router(prefix="/api/v1/working-groups", tags=["working groups"])
pages = page_router()

COUNTRY_ORDER = ("US", "JP", "AU", "IN", "")


def readable_group(slug: str, db: DbSession, principal: CurrentPrincipal) -> WorkingGroup:
    return service.get_group(db, principal, slug)


ReadableGroup = Annotated[WorkingGroup, Depends(readable_group)]


def _chairs(chair_users: Sequence[User], principal: Principal) -> list[ChairOut]:
    if permissions.can_see_members(principal):
        return [
            ChairOut(
                country_code=u.country_code,
                id=u.id,
                display_name=u.display_name,
                role=u.role,
                organisation=u.organisation,
            )
            for u in chair_users
        ]
    return [ChairOut(country_code=u.country_code) for u in chair_users]


def _summary(group: WorkingGroup, principal: Principal, chairs_of_group: Sequence[User] | None = None) -> GroupSummary:
    chair_users = service.chairs_of(group) if chairs_of_group is None else chairs_of_group
    chairs = _chairs(chair_users, principal)
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
    listing = service.list_groups(db, principal, offset=page.offset, limit=page.size)
    summaries = [_summary(g, principal, listing.chairs.get(g.id, [])) for g in listing.groups]
    return PageOut.of(summaries, page, listing.total)


@api.get("/{slug}", summary="One working group with its charter and members by country")
def get_group(group: ReadableGroup, principal: AnyPrincipal) -> GroupDetail:
    return _detail(group, principal)


# Management by the secretariat ------------------------------------------------------------------------------


def _detail(group: WorkingGroup, principal: Principal) -> GroupDetail:
    return GroupDetail(
        **_summary(group, principal).model_dump(),
        charter=group.charter,
        members_by_country=_country_members(group, principal),
    )


@api.post(
    "", status_code=status.HTTP_201_CREATED, summary="Create a working group (secretariat)", responses=problems(409)
)
def create_group(body: GroupIn, db: DbSession, principal: SecretariatPrincipal) -> GroupDetail:
    group = service.create_group(
        db,
        principal.user_id,
        slug=body.slug,
        name=body.name,
        technology_area=body.technology_area,
        charter=body.charter,
    )
    return _detail(service.get_group(db, principal, group.slug), principal)


@api.patch("/{slug}", summary="Change a working group's name, area, charter or status (secretariat)")
def patch_group(body: GroupPatch, group: ReadableGroup, db: DbSession, principal: SecretariatPrincipal) -> GroupDetail:
    service.update_group(
        db,
        principal.user_id,
        group,
        name=body.name if body.name is not None else group.name,
        technology_area=body.technology_area if body.technology_area is not None else group.technology_area,
        charter=body.charter if body.charter is not None else group.charter,
        status=body.status or group.status,
    )
    return _detail(group, principal)


@api.put("/{slug}/members", summary="Add a member or change their role (chair, member, observer)")
def put_member(body: MemberIn, group: ReadableGroup, db: DbSession, principal: SecretariatPrincipal) -> GroupDetail:
    service.set_membership(db, principal.user_id, group, body.user_id, body.role)
    db.expire(group)
    return _detail(service.get_group(db, principal, group.slug), principal)


@api.delete("/{slug}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove a member")
def delete_member(user_id: ObjectId, group: ReadableGroup, db: DbSession, principal: SecretariatPrincipal) -> None:
    service.remove_member(db, principal.user_id, group, user_id)


@pages.get("/groups/new", response_class=HTMLResponse)
def new_group_page(request: Request, principal: SecretariatPrincipal) -> HTMLResponse:
    return render(request, "groups/new.html", {"error": None, "values": {}})


@pages.post("/groups/new", response_class=HTMLResponse)
def new_group(
    request: Request,
    db: DbSession,
    principal: SecretariatPrincipal,
    slug: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    technology_area: Annotated[str, Form()] = "",
    charter: Annotated[str, Form()] = "",
) -> Response:
    values = {"slug": slug, "name": name, "technology_area": technology_area, "charter": charter}
    try:
        group = service.create_group(
            db, principal.user_id, slug=slug, name=name, technology_area=technology_area, charter=charter
        )
    except DomainError as exc:
        return render(request, "groups/new.html", {"error": exc.detail, "values": values}, status_code=exc.status)
    return RedirectResponse(f"/groups/{group.slug}/manage", status_code=303)


def _manage_context(db: DbSession, group: WorkingGroup, principal: Principal, error: str | None) -> dict[str, object]:
    return {
        "group": group,
        "countries": _country_members(group, principal),
        "candidates": service.candidates_for(db, group),
        "statuses": list(GroupStatus),
        "roles": list(MembershipRole),
        "error": error,
    }


@pages.get("/groups/{slug}/manage", response_class=HTMLResponse)
def manage_page(request: Request, group: ReadableGroup, db: DbSession, principal: SecretariatPrincipal) -> HTMLResponse:
    return render(request, "groups/manage.html", _manage_context(db, group, principal, None))


@pages.post("/groups/{slug}/manage", response_class=HTMLResponse)
def manage_details(
    request: Request,
    group: ReadableGroup,
    db: DbSession,
    principal: SecretariatPrincipal,
    name: Annotated[str, Form()] = "",
    technology_area: Annotated[str, Form()] = "",
    charter: Annotated[str, Form()] = "",
    group_status: Annotated[str, Form(alias="status")] = "active",
) -> Response:
    try:
        chosen = GroupStatus(group_status) if group_status in {s.value for s in GroupStatus} else None
        if chosen is None:
            raise InvalidInput(N_("choose a status"))
        service.update_group(
            db, principal.user_id, group, name=name, technology_area=technology_area, charter=charter, status=chosen
        )
    except DomainError as exc:
        db.rollback()
        context = _manage_context(db, group, principal, exc.detail)
        return render(request, "groups/manage.html", context, status_code=exc.status)
    return RedirectResponse(f"/groups/{group.slug}/manage", status_code=303)


@pages.post("/groups/{slug}/members", response_class=HTMLResponse)
def manage_member(
    request: Request,
    group: ReadableGroup,
    db: DbSession,
    principal: SecretariatPrincipal,
    user_id: FormId,
    role: Annotated[str, Form()] = "member",
    action: Annotated[str, Form()] = "set",
) -> Response:
    try:
        if action == "remove":
            service.remove_member(db, principal.user_id, group, user_id)
        else:
            if role not in {r.value for r in MembershipRole}:
                raise InvalidInput(N_("choose a role"))
            service.set_membership(db, principal.user_id, group, user_id, MembershipRole(role))
    except DomainError as exc:
        db.rollback()
        context = _manage_context(db, group, principal, exc.detail)
        return render(request, "groups/manage.html", context, status_code=exc.status)
    return RedirectResponse(f"/groups/{group.slug}/manage", status_code=303)


# After /groups/new, so that path is not taken for a slug.
@pages.get("/groups/{slug}", response_class=HTMLResponse)
def group_page(request: Request, group: ReadableGroup, db: DbSession, principal: AnyPrincipal) -> HTMLResponse:
    return render(
        request,
        "groups/detail.html",
        {
            "group": group,
            "chairs": _chairs(service.chairs_of(group), principal),
            "countries": _country_members(group, principal),
            "can_see_members": permissions.can_see_members(principal),
            "can_manage": permissions.can_manage(principal),
            "recent": audit.events_for(db, "working_group", group.id, limit=10)
            if permissions.can_see_members(principal)
            else [],
        },
    )
