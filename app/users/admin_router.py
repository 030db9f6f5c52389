"""The secretariat console: the approval queue, looking people up, and admins' account changes (pages and API)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from app.access.policy import AdminPrincipal, SecretariatPrincipal
from app.access.principal import Principal
from app.auth import service as auth_service
from app.core.errors import N_, DomainError, InvalidInput, NotFound
from app.core.routing import api_router, page_router
from app.core.schemas import PageOut
from app.countries.service import QUAD_COUNTRY_CODES
from app.groups import permissions as group_permissions
from app.groups import service as groups
from app.groups.models import WorkingGroup
from app.users import permissions, service
from app.users.models import Role, User, UserStatus
from app.users.schemas import AccountOut
from app.web.deps import DbSession, ObjectId, Page
from app.web.openapi import problems
from app.web.templating import render

api = api_router(prefix="/api/v1/users", tags=["users"])
pages = page_router()

GROUP_CHOICES_LIMIT = 100


def user_filters(
    q: Annotated[str, Query(max_length=200, description="Text in the name or email")] = "",
    role: Annotated[Role | Literal[""], Query()] = "",
    country: Annotated[str, Query(max_length=2)] = "",
    status: Annotated[UserStatus | Literal[""], Query()] = "",
) -> service.UserFilters:
    return service.parse_filters(q, role, country, status)


Filters = Annotated[service.UserFilters, Depends(user_filters)]


class AccountChange(BaseModel):
    role: Literal["delegate", "observer"] | None = None
    country: Literal["US", "JP", "AU", "IN"] | None = None
    status: Literal["active", "disabled"] | None = None
    export_cleared: bool | None = None
    reason: str = Field(min_length=1, max_length=500, description="Why; kept on the audit trail with the change")


@api.get("", summary="Search accounts by name or email, role, country and status", responses=problems(403, 422))
def search(db: DbSession, page: Page, filters: Filters, principal: SecretariatPrincipal) -> PageOut[AccountOut]:
    found, total = service.search_users(db, principal, filters, offset=page.offset, limit=page.size)
    return PageOut.of([AccountOut.model_validate(u) for u in found], page, total)


@api.get("/pending", summary="Registrations waiting for the secretariat", responses=problems(403))
def pending(db: DbSession, page: Page, principal: SecretariatPrincipal) -> PageOut[AccountOut]:
    found, total = service.pending_registrations(db, offset=page.offset, limit=page.size)
    return PageOut.of([AccountOut.model_validate(u) for u in found], page, total)


@api.post("/{user_id}/approve", summary="Approve a pending registration", responses=problems(409))
def approve(user_id: ObjectId, db: DbSession, principal: SecretariatPrincipal) -> AccountOut:
    return AccountOut.model_validate(service.decide_registration(db, principal, user_id, approve=True))


@api.post("/{user_id}/reject", summary="Reject a pending registration", responses=problems(409))
def reject(user_id: ObjectId, db: DbSession, principal: SecretariatPrincipal) -> AccountOut:
    return AccountOut.model_validate(service.decide_registration(db, principal, user_id, approve=False))


@api.patch(
    "/{user_id}",
    summary="Change role (delegate or observer), country, status or export clearance, with a reason",
    responses=problems(403, 404, 422),
)
def change(user_id: ObjectId, body: AccountChange, db: DbSession, principal: AdminPrincipal) -> AccountOut:
    wanted = service.AccountChange(
        role=Role(body.role) if body.role else None,
        country=body.country,
        status=UserStatus(body.status) if body.status else None,
        export_cleared=body.export_cleared,
    )
    return AccountOut.model_validate(service.change_account(db, principal, user_id, wanted, reason=body.reason))


@api.delete("/{user_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke anyone's API token")
def revoke_token(user_id: ObjectId, token_id: ObjectId, db: DbSession, principal: AdminPrincipal) -> None:
    auth_service.revoke_token(db, principal, token_id, owner_id=user_id)


# Pages ---------------------------------------------------------------------------------------------------------


def _approvals_context(db: DbSession, principal: Principal, page: Any, **extra: Any) -> dict[str, Any]:
    found, total = service.pending_registrations(db, offset=page.offset, limit=page.size)
    return {
        "pending": found,
        "total": total,
        "page": page,
        "joins_groups": {u.id for u in found if group_permissions.may_be_member(u)},
        "group_choices": groups.list_groups(db, principal, limit=GROUP_CHOICES_LIMIT).groups,
        "history": service.decision_history(db, principal),
        "done": None,
        "error": None,
        **extra,
    }


@pages.get("/admin/approvals", response_class=HTMLResponse)
def approvals_page(
    request: Request,
    db: DbSession,
    page: Page,
    principal: SecretariatPrincipal,
    done: Annotated[Literal["approve", "reject", ""], Query()] = "",
) -> HTMLResponse:
    return render(request, "admin/approvals.html", _approvals_context(db, principal, page, done=done or None))


def _chosen_group(db: DbSession, principal: Principal, slug: str) -> WorkingGroup:
    try:
        return groups.get_group(db, principal, slug)
    except NotFound:
        raise InvalidInput(N_("choose a working group from the list")) from None


@pages.post("/admin/approvals/{user_id}", response_model=None)
def decide(
    request: Request,
    user_id: ObjectId,
    db: DbSession,
    page: Page,
    principal: SecretariatPrincipal,
    decision: Annotated[Literal["approve", "reject"], Form()],
    group: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        chosen = _chosen_group(db, principal, group) if group and decision == "approve" else None
        service.decide_registration(db, principal, user_id, approve=decision == "approve", group=chosen)
    except DomainError as exc:
        context = _approvals_context(db, principal, page, error=exc.detail)
        return render(request, "admin/approvals.html", context, status_code=exc.status)
    return RedirectResponse(f"/admin/approvals?done={decision}", status_code=303)


@pages.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: DbSession, page: Page, principal: SecretariatPrincipal) -> HTMLResponse:
    params = request.query_params
    raw = {key: params.get(key, "")[:200] for key in ("q", "role", "country", "status")}
    try:
        filters = service.parse_filters(**raw)
        found, total = service.search_users(db, principal, filters, offset=page.offset, limit=page.size)
        error = None
    except InvalidInput as exc:
        found, total, error = [], 0, exc.detail
    context = {
        "users": found,
        "total": total,
        "page": page,
        "filters": raw,
        "error": error,
        "roles": list(Role),
        "statuses": list(UserStatus),
        "countries": QUAD_COUNTRY_CODES,
    }
    return render(request, "admin/users.html", context, status_code=422 if error else 200)


def _account_context(db: DbSession, principal: Principal, user: User, **extra: Any) -> dict[str, Any]:
    return {
        "user": user,
        "history": service.account_history(db, principal, user),
        "countries": QUAD_COUNTRY_CODES,
        "switchable_roles": (Role.delegate, Role.observer),
        "error": None,
        "values": {},
        "changed": False,
        **permissions.console_rights(principal, user),
        **extra,
    }


@pages.get("/admin/users/{user_id}", response_class=HTMLResponse)
def account_page(
    request: Request,
    user_id: ObjectId,
    db: DbSession,
    principal: SecretariatPrincipal,
    changed: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    user = service.get_account(db, principal, user_id)
    return render(request, "admin/user.html", _account_context(db, principal, user, changed=changed))


def _change_from_form(user: User, role: str, country: str, status: str, export_cleared: str) -> service.AccountChange:
    """Form values equal to the account's current ones mean "no change"; anything else must be a known value."""
    try:
        return service.AccountChange(
            role=Role(role) if role else None,
            country=country or None,
            status=UserStatus(status) if status else None,
            export_cleared={"yes": True, "no": False, "": None}[export_cleared],
        )
    except (ValueError, KeyError):
        raise InvalidInput(N_("choose each value from its list")) from None


@pages.post("/admin/users/{user_id}", response_model=None)
def change_page(
    request: Request,
    user_id: ObjectId,
    db: DbSession,
    principal: AdminPrincipal,
    reason: Annotated[str, Form(max_length=2000)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    country: Annotated[str, Form(max_length=8)] = "",
    status: Annotated[str, Form(max_length=32)] = "",
    export_cleared: Annotated[str, Form(max_length=8)] = "",
    confirmed: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    user = service.get_account(db, principal, user_id)
    values = {"role": role, "country": country, "status": status, "export_cleared": export_cleared, "reason": reason}
    try:
        wanted = _change_from_form(user, role, country, status, export_cleared)
        if not reason.strip():
            raise InvalidInput(N_("give a reason for the change; it is kept on the audit trail"))
        if service.needs_confirmation(user, wanted) and confirmed != "yes":
            # A second page, working without JavaScript: the same values travel on as hidden fields.
            return render(request, "admin/confirm.html", {"user": user, "values": values, "change": wanted})
        service.change_account(db, principal, user.id, wanted, reason=reason)
    except DomainError as exc:
        context = _account_context(db, principal, user, error=exc.detail, values=values)
        return render(request, "admin/user.html", context, status_code=exc.status)
    return RedirectResponse(f"/admin/users/{user.id}?changed=1", status_code=303)
