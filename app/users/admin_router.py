"""The secretariat's approval queue and admins' account changes (pages and API)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from app.auth import service as auth_service
from app.auth.policy import AdminPrincipal, SecretariatPrincipal
from app.deps import DbSession, ObjectId, Page
from app.openapi import problems
from app.routing import api_router, page_router
from app.schemas import PageOut
from app.templating import render
from app.users import service
from app.users.models import Role, UserStatus
from app.users.schemas import AccountOut

api = api_router(prefix="/api/v1/users", tags=["users"])
pages = page_router()


class AccountChange(BaseModel):
    role: Literal["delegate", "observer"] | None = None
    status: Literal["active", "disabled"] | None = None
    export_cleared: bool | None = None


@api.get("/pending", summary="Industry registrations waiting for the secretariat", responses=problems(403))
def pending(db: DbSession, page: Page, principal: SecretariatPrincipal) -> PageOut[AccountOut]:
    found, total = service.pending_registrations(db, offset=page.offset, limit=page.size)
    return PageOut.of([AccountOut.model_validate(u) for u in found], page, total)


@api.post("/{user_id}/approve", summary="Approve a pending industry participant", responses=problems(409))
def approve(user_id: ObjectId, db: DbSession, principal: SecretariatPrincipal) -> AccountOut:
    return AccountOut.model_validate(service.decide_registration(db, principal.user_id, user_id, approve=True))


@api.post("/{user_id}/reject", summary="Reject a pending industry participant", responses=problems(409))
def reject(user_id: ObjectId, db: DbSession, principal: SecretariatPrincipal) -> AccountOut:
    return AccountOut.model_validate(service.decide_registration(db, principal.user_id, user_id, approve=False))


@api.patch("/{user_id}", summary="Change a delegate to observer (or back), or disable / re-enable an account")
def change(user_id: ObjectId, body: AccountChange, db: DbSession, principal: AdminPrincipal) -> AccountOut:
    user = service.change_account(
        db,
        principal.user_id,
        user_id,
        role=Role(body.role) if body.role else None,
        status=UserStatus(body.status) if body.status else None,
        export_cleared=body.export_cleared,
    )
    return AccountOut.model_validate(user)


@api.delete("/{user_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke anyone's API token")
def revoke_token(user_id: ObjectId, token_id: ObjectId, db: DbSession, principal: AdminPrincipal) -> None:
    auth_service.revoke_token(db, principal, token_id, owner_id=user_id)


@pages.get("/admin/approvals", response_class=HTMLResponse)
def approvals_page(request: Request, db: DbSession, page: Page, principal: SecretariatPrincipal) -> HTMLResponse:
    found, total = service.pending_registrations(db, offset=page.offset, limit=page.size)
    return render(request, "admin/approvals.html", {"pending": found, "total": total})


@pages.post("/admin/approvals/{user_id}")
def decide(
    user_id: ObjectId,
    db: DbSession,
    principal: SecretariatPrincipal,
    decision: Annotated[Literal["approve", "reject"], Form()],
) -> RedirectResponse:
    service.decide_registration(db, principal.user_id, user_id, approve=decision == "approve")
    return RedirectResponse("/admin/approvals", status_code=303)
