"""`/api/v1/me`: the caller's own account and API tokens."""

from __future__ import annotations

from fastapi import status

from app.access.policy import ActivePrincipal, SignedInPrincipal
from app.auth import service as auth_service
from app.auth.ratelimit import TokenLimit
from app.core.errors import N_, NotFound
from app.core.routing import api_router
from app.core.schemas import PageOut
from app.users import service
from app.users.schemas import GroupRoleOut, MeOut, NewTokenOut, TokenIn, TokenOut
from app.web.deps import DbSession, ObjectId, Page
from app.web.openapi import problems

api = api_router(prefix="/api/v1/me", tags=["me"])


@api.get("", summary="Who I am: account, role, country and groups")
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


@api.get("/tokens", summary="My API tokens (never the secret itself)")
def my_tokens(db: DbSession, page: Page, principal: SignedInPrincipal) -> PageOut[TokenOut]:
    assert principal.user_id is not None
    tokens, total = auth_service.tokens_of(db, principal.user_id, offset=page.offset, limit=page.size)
    return PageOut.of([TokenOut.model_validate(t) for t in tokens], page, total)


@api.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API token; the secret is shown once",
    dependencies=[TokenLimit],
    responses=problems(429),
)
def create_my_token(body: TokenIn, db: DbSession, principal: ActivePrincipal) -> NewTokenOut:
    assert principal.user_id is not None
    user = service.get(db, principal.user_id)
    if user is None:
        raise NotFound(N_("no such user"))
    token, raw = auth_service.create_token(db, principal, user, name=body.name, expires_days=body.expires_days)
    return NewTokenOut.model_validate({**TokenOut.model_validate(token).model_dump(), "token": raw})


@api.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke one of my tokens")
def revoke_my_token(token_id: ObjectId, db: DbSession, principal: SignedInPrincipal) -> None:
    auth_service.revoke_token(db, principal, token_id)
