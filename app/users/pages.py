"""The secretariat console (/admin/...): the approval queue, looking people up, and admins' account changes."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.access.principal import Principal
from app.auth import service as auth_service
from app.auth.deps import TokenAdmin
from app.core.errors import N_
from app.core.pagination import PageRequest
from app.core.routing import page_router
from app.countries.service import QUAD_COUNTRY_CODES
from app.users import console, registrations, service
from app.users.deps import (
    AccountChangeFormData,
    AccountChanger,
    AccountReader,
    DecisionFormData,
    PageUserFilters,
    RegistrationDecider,
)
from app.users.models import Role, UserStatus
from app.web.deps import DbSession, FormReason, ObjectId, Page
from app.web.forms import NO_ERRORS, fields_renamed, form_page
from app.web.templating import flash, render
from app.web.urls import see_other

pages = page_router()


# The approval queue --------------------------------------------------------------------------------------------


def _queue_context(db: DbSession, principal: Principal, page: PageRequest) -> dict[str, Any]:
    return {"queue": registrations.approval_queue(db, principal, page), "errors": NO_ERRORS, "values": {}}


@pages.get("/admin/approvals", response_class=HTMLResponse, name="users.approvals")
def approvals_page(request: Request, db: DbSession, page: Page, principal: RegistrationDecider) -> HTMLResponse:
    return render(request, "admin/approvals.html", _queue_context(db, principal, page))


@pages.post("/admin/approvals/{user_id}", response_class=HTMLResponse, name="users.decide")
def decide(
    request: Request,
    user_id: ObjectId,
    db: DbSession,
    page: Page,
    principal: RegistrationDecider,
    form: DecisionFormData,
) -> Response:
    """Approves (into a group, if one is chosen) or rejects at once; the queue's Reject button asks first, on the
    page below, and older pages and scripts post decision=reject here."""

    def decide() -> Response:
        with fields_renamed({"group": f"group-{user_id}"}):
            approve = form.approves()
            user = registrations.decide_registration(
                db, principal, user_id, approve=approve, group_slug=form.group, reason=form.reason
            )
        if approve:
            flash(request, N_("The registration of %(name)s was approved."), name=user.display_name)
        else:
            flash(request, N_("The registration of %(name)s was rejected."), name=user.display_name)
        return see_other(request, "users.approvals")

    context = partial(_queue_context, db, principal, page)
    return form_page(request, "admin/approvals.html", context, decide, values={f"group-{user_id}": form.group})


@pages.get("/admin/approvals/{user_id}/reject", response_class=HTMLResponse, name="users.reject_page")
def reject_page(request: Request, user_id: ObjectId, db: DbSession, principal: RegistrationDecider) -> HTMLResponse:
    user = registrations.pending_registration(db, principal, user_id)
    return render(request, "admin/reject.html", {"user": user, "errors": NO_ERRORS, "values": {}})


@pages.post("/admin/approvals/{user_id}/reject", response_class=HTMLResponse, name="users.reject")
def reject(
    request: Request, user_id: ObjectId, db: DbSession, principal: RegistrationDecider, reason: FormReason = ""
) -> Response:
    def reject() -> Response:
        user = registrations.decide_registration(db, principal, user_id, approve=False, reason=reason)
        flash(request, N_("The registration of %(name)s was rejected."), name=user.display_name)
        return see_other(request, "users.approvals")

    def context() -> dict[str, Any]:
        return {"user": registrations.pending_registration(db, principal, user_id)}

    return form_page(request, "admin/reject.html", context, reject, values={"reason": reason})


# Looking people up ---------------------------------------------------------------------------------------------


def _search_context(raw: dict[str, str]) -> dict[str, Any]:
    return {
        "filters": raw,
        "roles": list(Role),
        "statuses": list(UserStatus),
        "countries": QUAD_COUNTRY_CODES,
        "result": None,
        "errors": NO_ERRORS,
    }


@pages.get("/admin/users", response_class=HTMLResponse, name="users.search")
def users_page(
    request: Request, db: DbSession, page: Page, filters: PageUserFilters, principal: AccountReader
) -> Response:
    raw = {"q": filters.q, "role": filters.role, "country": filters.country, "status": filters.status}

    def search() -> Response:
        result = service.search_users(db, principal, filters.parsed(), page)
        return render(request, "admin/users.html", {**_search_context(raw), "result": result})

    # A filter that is not one of the choices shows the search form again, the message beside that filter.
    return form_page(request, "admin/users.html", partial(_search_context, raw), search, values=raw)


# One account ---------------------------------------------------------------------------------------------------


def _account_context(db: DbSession, principal: Principal, user_id: int, page: PageRequest) -> dict[str, Any]:
    return {
        "view": console.account_view(db, principal, user_id, page),
        "countries": QUAD_COUNTRY_CODES,
        "switchable_roles": (Role.delegate, Role.observer),
        "errors": NO_ERRORS,
        "values": {},
    }


@pages.get("/admin/users/{user_id}", response_class=HTMLResponse, name="users.account")
def account_page(request: Request, user_id: ObjectId, db: DbSession, page: Page, principal: AccountReader) -> Response:
    return render(request, "admin/user.html", _account_context(db, principal, user_id, page))


@pages.post("/admin/users/{user_id}", response_class=HTMLResponse, name="users.change")
def change_page(
    request: Request,
    user_id: ObjectId,
    db: DbSession,
    page: Page,
    principal: AccountChanger,
    form: AccountChangeFormData,
) -> Response:
    def change() -> Response:
        result = service.change_account(
            db, principal, user_id, form.change(), reason=form.reason, confirmed=form.confirmed
        )
        if not result.applied:
            # "Are you sure?" on a page of its own (no JavaScript needed): the values travel on as hidden fields.
            context = {"user": result.user, "values": form.values(), "change": form.change()}
            return render(request, "admin/confirm.html", context)
        flash(request, N_("The account of %(name)s was changed."), name=result.user.display_name)
        return see_other(request, "users.account", user_id=user_id)

    context = partial(_account_context, db, principal, user_id, page)
    return form_page(request, "admin/user.html", context, change, values=form.values())


@pages.get(
    "/admin/users/{user_id}/tokens/{token_id}/revoke", response_class=HTMLResponse, name="users.revoke_token_page"
)
def revoke_token_page(
    request: Request, user_id: ObjectId, token_id: ObjectId, db: DbSession, principal: TokenAdmin
) -> HTMLResponse:
    token = auth_service.get_token(db, principal, token_id, owner_id=user_id)
    context = {"token": token, "owner": token.user, "errors": NO_ERRORS, "values": {}}
    return render(request, "auth/revoke_token.html", context)


@pages.post("/admin/users/{user_id}/tokens/{token_id}/revoke", response_class=HTMLResponse, name="users.revoke_token")
def revoke_token(
    request: Request,
    user_id: ObjectId,
    token_id: ObjectId,
    db: DbSession,
    principal: TokenAdmin,
    reason: FormReason = "",
) -> Response:
    def revoke() -> Response:
        token = auth_service.revoke_token(db, principal, token_id, owner_id=user_id, reason=reason)
        flash(request, N_("API token %(name)s revoked."), name=token.name)
        return see_other(request, "users.account", user_id=user_id)

    def context() -> dict[str, Any]:
        token = auth_service.get_token(db, principal, token_id, owner_id=user_id)
        return {"token": token, "owner": token.user}

    return form_page(request, "auth/revoke_token.html", context, revoke, values={"reason": reason})
