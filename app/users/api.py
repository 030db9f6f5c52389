"""`/api/v1/me` (the caller's own account and API tokens) and `/api/v1/users` (the secretariat's console)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, status
from pydantic import BaseModel, Field

from app.access.policy import SignedInPrincipal
from app.auth import service as auth_service
from app.auth.deps import TokenAdmin, TokenMaker, TokenOwner
from app.auth.ratelimit import TokenLimit
from app.core.routing import api_router
from app.core.schemas import PageOut
from app.users import registrations, service
from app.users.deps import AccountChanger, AccountReader, ApiUserFilters, RegistrationDecider
from app.users.models import Role, UserStatus
from app.users.schemas import AccountOut, GroupRoleOut, MeOut, NewTokenOut, TokenIn, TokenOut
from app.web.deps import DbSession, ObjectId, Page
from app.web.openapi import problems

me_api = api_router(prefix="/api/v1/me", tags=["me"])
api = api_router(prefix="/api/v1/users", tags=["users"])

Reason = Annotated[str, Query(max_length=500, description="Why; kept on the audit trail")]


@me_api.get("", summary="Who I am: account, role, country and groups", name="me.get")
def me(principal: SignedInPrincipal) -> MeOut:
    assert principal.user_id is not None and principal.role is not None and principal.status is not None
    return MeOut(
        id=principal.user_id,
        email=principal.email,
        display_name=principal.display_name,
        role=principal.role,
        export_cleared=principal.export_cleared,
        status=principal.status,
        country_code=principal.country,
        organisation=principal.organisation,
        language=principal.language,
        time_zone=principal.time_zone,
        groups=[GroupRoleOut(group_id=g, role=r.value) for g, r in sorted(principal.group_roles.items())],
    )


@me_api.get("/tokens", summary="My API tokens (never the secret itself)", name="me.tokens")
def my_tokens(db: DbSession, page: Page, principal: TokenOwner) -> PageOut[TokenOut]:
    return PageOut.of(auth_service.tokens_of(db, principal, page), TokenOut.model_validate)


@me_api.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token; the secret is shown once",
    dependencies=[TokenLimit],
    responses=problems(429),
    name="me.create_token",
)
def create_my_token(body: TokenIn, db: DbSession, principal: TokenMaker) -> NewTokenOut:
    token, raw = auth_service.create_token(db, principal, name=body.name, expires_days=body.expires_days)
    return NewTokenOut.model_validate({**TokenOut.model_validate(token).model_dump(), "token": raw})


@me_api.delete(
    "/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke one of my tokens", name="me.revoke"
)
def revoke_my_token(token_id: ObjectId, db: DbSession, principal: TokenOwner, reason: Reason = "") -> None:
    auth_service.revoke_token(db, principal, token_id, reason=reason)


class AccountChange(BaseModel):
    role: Literal["delegate", "observer"] | None = None
    country: Literal["US", "JP", "AU", "IN"] | None = None
    status: Literal["active", "disabled"] | None = None
    export_cleared: bool | None = None
    reason: str = Field(min_length=1, max_length=500, description="Why; kept on the audit trail with the change")


@api.get(
    "",
    summary="Search accounts by name or email, role, country and status",
    responses=problems(403, 422),
    name="users.api.search",
)
def search(db: DbSession, page: Page, filters: ApiUserFilters, principal: AccountReader) -> PageOut[AccountOut]:
    return PageOut.of(service.search_users(db, principal, filters, page), AccountOut.model_validate)


@api.get(
    "/pending", summary="Registrations waiting for the secretariat", responses=problems(403), name="users.api.pending"
)
def pending(db: DbSession, page: Page, principal: RegistrationDecider) -> PageOut[AccountOut]:
    result = registrations.pending_registrations(db, principal, page)
    return PageOut.of(result, AccountOut.model_validate)


@api.post(
    "/{user_id}/approve",
    summary="Approve a pending registration",
    responses=problems(409),
    name="users.api.approve",
)
def approve(user_id: ObjectId, db: DbSession, principal: RegistrationDecider, reason: Reason = "") -> AccountOut:
    user = registrations.decide_registration(db, principal, user_id, approve=True, reason=reason)
    return AccountOut.model_validate(user)


@api.post(
    "/{user_id}/reject",
    summary="Reject a pending registration",
    responses=problems(409),
    name="users.api.reject",
)
def reject(user_id: ObjectId, db: DbSession, principal: RegistrationDecider, reason: Reason = "") -> AccountOut:
    user = registrations.decide_registration(db, principal, user_id, approve=False, reason=reason)
    return AccountOut.model_validate(user)


@api.patch(
    "/{user_id}",
    summary="Change role (delegate or observer), country, status or export clearance, with a reason",
    responses=problems(403, 404, 422),
    name="users.api.change",
)
def change(user_id: ObjectId, body: AccountChange, db: DbSession, principal: AccountChanger) -> AccountOut:
    wanted = service.AccountChange(
        role=Role(body.role) if body.role else None,
        country=body.country,
        status=UserStatus(body.status) if body.status else None,
        export_cleared=body.export_cleared,
    )
    return AccountOut.model_validate(service.change_account(db, principal, user_id, wanted, reason=body.reason).user)


@api.delete(
    "/{user_id}/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke anyone's API token",
    name="users.api.revoke_token",
)
def revoke_token(
    user_id: ObjectId, token_id: ObjectId, db: DbSession, principal: TokenAdmin, reason: Reason = ""
) -> None:
    auth_service.revoke_token(db, principal, token_id, owner_id=user_id, reason=reason)
