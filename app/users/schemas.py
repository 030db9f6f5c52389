from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.auth.service import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS
from app.core.schemas import Out
from app.users.models import Role, UserStatus


class UserSummary(Out):
    id: int
    display_name: str
    role: Role
    country_code: str | None
    organisation: str | None


class GroupRoleOut(BaseModel):
    group_id: int
    role: str


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    export_cleared: bool = Field(description="Cleared to download export-controlled files (secretariat staff)")
    status: UserStatus
    country_code: str | None
    organisation: str | None
    language: str | None
    time_zone: str | None
    groups: list[GroupRoleOut]


class TokenIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    expires_days: int = Field(
        DEFAULT_TOKEN_DAYS, ge=1, le=MAX_TOKEN_DAYS, description="Days until the token stops working (default 90)."
    )


class TokenOut(Out):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself. Shown only this once; store it safely.")


class AccountOut(Out):
    id: int
    email: str
    display_name: str
    role: Role
    export_cleared: bool = False
    status: UserStatus
    country_code: str | None
    organisation: str | None
    created_at: datetime
