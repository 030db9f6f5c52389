"""What the secretariat console shows: one account with its history and tokens, and the decisions on registrations
(both read from the audit trail)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.auth.models import ApiToken
from app.auth.permissions import TokenAction
from app.auth.permissions import rules as token_rules
from app.core.pagination import PageRequest, Paginated
from app.users.events import ACCOUNT_HISTORY, DECISIONS
from app.users.models import User
from app.users.permissions import UserAction, rules
from app.users.service import display_names, get_account


@dataclass(frozen=True)
class AccountEvent:
    """One line of an account's history: who did what, when, and why."""

    action: str
    created_at: datetime
    actor_name: str | None
    subject_id: int | None
    subject_name: str | None
    data: dict[str, Any]


def _with_names(session: Session, events: Sequence[AuditEvent]) -> list[AccountEvent]:
    ids = {e.actor_id for e in events if e.actor_id is not None}
    ids |= {int(e.target_id) for e in events if e.target_id and e.target_id.isdigit()}
    names = display_names(session, ids)
    result = []
    for event in events:
        subject = int(event.target_id) if event.target_id and event.target_id.isdigit() else None
        result.append(
            AccountEvent(
                action=event.action,
                created_at=event.created_at,
                actor_name=names.get(event.actor_id) if event.actor_id is not None else None,
                subject_id=subject,
                subject_name=names.get(subject) if subject is not None else None,
                data=dict(event.data or {}),
            )
        )
    return result


def decision_history(session: Session, principal: Principal, limit: int = 20) -> list[AccountEvent]:
    """Who decided which registration, and when, newest first."""
    rules.require(principal, UserAction.approve, None)
    return _with_names(session, audit.recent_by_action(session, DECISIONS, "user", limit))


def account_history(session: Session, principal: Principal, user: User, limit: int = 30) -> list[AccountEvent]:
    rules.require(principal, UserAction.look_up, user)
    events = [e for e in audit.events_for(session, "user", user.id, limit * 2) if e.action in ACCOUNT_HISTORY]
    return _with_names(session, events[:limit])


@dataclass(frozen=True)
class AccountView:
    """One account as the console shows it: what the viewer may do to it, its history, and (for those who may
    see them) its API tokens."""

    user: User
    can: frozenset[UserAction]
    history: list[AccountEvent]
    tokens: Paginated[ApiToken] | None
    can_revoke_tokens: bool


def account_view(session: Session, principal: Principal, user_id: int, page: PageRequest) -> AccountView:
    user = get_account(session, principal, user_id)
    sees_tokens = token_rules.allows(principal, TokenAction.see, user.id)
    return AccountView(
        user=user,
        can=rules.allowed(principal, user),
        history=account_history(session, principal, user),
        tokens=auth_service.tokens_of(session, principal, page, owner_id=user.id) if sees_tokens else None,
        can_revoke_tokens=token_rules.allows(principal, TokenAction.revoke, user.id),
    )
