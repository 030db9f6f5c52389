"""Working-group pages: a group's page for everyone, and the secretariat's new-group and manage pages."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.access.principal import Principal
from app.core.errors import N_
from app.core.routing import page_router
from app.groups import service
from app.groups.deps import (
    GroupFormData,
    GroupsManager,
    GroupsReader,
    MemberFormData,
    NewGroupFormData,
    ReadableGroup,
)
from app.groups.models import GroupStatus, MembershipRole, WorkingGroup
from app.groups.permissions import GroupAction, rules
from app.groups.schemas import ChairOut, members_by_country
from app.web.deps import DbSession, FormReason, ObjectId
from app.web.forms import NO_ERRORS, fields_renamed, form_page
from app.web.page_cache import cached_response
from app.web.templating import flash, negotiate_language, render
from app.web.urls import see_other

pages = page_router()


@pages.get("/groups/new", response_class=HTMLResponse, name="groups.new")
def new_group_page(request: Request, principal: GroupsManager) -> HTMLResponse:
    return render(request, "groups/new.html", {"errors": NO_ERRORS, "values": {}})


@pages.post("/groups/new", response_class=HTMLResponse, name="groups.create")
def new_group(request: Request, db: DbSession, principal: GroupsManager, form: NewGroupFormData) -> Response:
    details = form.details

    def create() -> Response:
        group = service.create_group(
            db,
            principal,
            slug=form.slug,
            name=details.name,
            technology_area=details.technology_area,
            charter=details.charter,
            name_ja=details.name_ja or "",
            charter_ja=details.charter_ja or "",
        )
        flash(request, N_("Working group %(name)s created."), name=group.name_in(negotiate_language(request)))
        return see_other(request, "groups.manage", slug=group.slug)

    return form_page(request, "groups/new.html", dict, create, values=form.values())


def _manage_context(db: DbSession, principal: Principal, group: WorkingGroup) -> dict[str, Any]:
    return {
        "group": group,
        "countries": members_by_country(group, show_names=True),
        "candidates": service.candidates_for(db, principal, group),
        "statuses": list(GroupStatus),
        "roles": list(MembershipRole),
        "errors": NO_ERRORS,
        "values": {},
    }


@pages.get("/groups/{slug}/manage", response_class=HTMLResponse, name="groups.manage")
def manage_page(request: Request, group: ReadableGroup, db: DbSession, principal: GroupsManager) -> HTMLResponse:
    return render(request, "groups/manage.html", _manage_context(db, principal, group))


@pages.post("/groups/{slug}/manage", response_class=HTMLResponse, name="groups.save")
def manage_details(
    request: Request, group: ReadableGroup, db: DbSession, principal: GroupsManager, form: GroupFormData
) -> Response:
    def save() -> Response:
        service.update_group(
            db,
            principal,
            group,
            name=form.name,
            technology_area=form.technology_area,
            charter=form.charter,
            status=form.group_status(),
            name_ja=form.name_ja,
            charter_ja=form.charter_ja,
        )
        flash(request, N_("The working group's details were saved."))
        return see_other(request, "groups.manage", slug=group.slug)

    context = partial(_manage_context, db, principal, group)
    return form_page(request, "groups/manage.html", context, save, values=form.values())


@pages.post("/groups/{slug}/members", response_class=HTMLResponse, name="groups.members")
def manage_member(
    request: Request, group: ReadableGroup, db: DbSession, principal: GroupsManager, form: MemberFormData
) -> Response:
    """Adds a member or changes a member's role. `action=remove` (older pages and scripts) removes at once; the
    manage page asks first, on the remove page below."""

    def change() -> Response:
        with fields_renamed({"role": form.role_field}):
            if form.removes:
                removed = service.remove_member(db, principal, group, form.member_id(), reason=form.reason)
                flash(request, N_("%(name)s was removed from the working group."), name=removed.display_name)
            else:
                done = service.set_membership(db, principal, group, form.member_id(), form.member_role())
                message = N_("%(name)s was added.") if done.added else N_("The role of %(name)s was changed.")
                flash(request, message, name=done.membership.user.display_name)
        return see_other(request, "groups.manage", slug=group.slug)

    context = partial(_manage_context, db, principal, group)
    return form_page(request, "groups/manage.html", context, change, values=form.values())


@pages.get("/groups/{slug}/members/{user_id}/remove", response_class=HTMLResponse, name="groups.remove_member_page")
def remove_member_page(
    request: Request, group: ReadableGroup, user_id: ObjectId, db: DbSession, principal: GroupsManager
) -> HTMLResponse:
    member = service.get_member(db, principal, group, user_id)
    return render(request, "groups/remove_member.html", {"group": group, "member": member, "errors": NO_ERRORS})


@pages.post("/groups/{slug}/members/{user_id}/remove", response_class=HTMLResponse, name="groups.remove_member")
def remove_member(
    request: Request,
    group: ReadableGroup,
    user_id: ObjectId,
    db: DbSession,
    principal: GroupsManager,
    reason: FormReason = "",
) -> Response:
    def remove() -> Response:
        removed = service.remove_member(db, principal, group, user_id, reason=reason)
        flash(request, N_("%(name)s was removed from the working group."), name=removed.display_name)
        return see_other(request, "groups.manage", slug=group.slug)

    def context() -> dict[str, Any]:
        return {"group": group, "member": service.get_member(db, principal, group, user_id)}

    return form_page(request, "groups/remove_member.html", context, remove, values={"reason": reason})


# After /groups/new, so that path is not taken for a slug.
@pages.get("/groups/{slug}", response_class=HTMLResponse, name="groups.page")
@cached_response
def group_page(request: Request, group: ReadableGroup, db: DbSession, principal: GroupsReader) -> HTMLResponse:
    can = rules.allowed(principal, group)
    show_names = GroupAction.see_members in can
    context = {
        "group": group,
        "chairs": [ChairOut.of(user, show_names) for user in service.chairs_of(group)],
        "countries": members_by_country(group, show_names),
        "can": can,
        "recent": service.recent_activity(db, principal, group),
    }
    return render(request, "groups/detail.html", context)
