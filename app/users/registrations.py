"""The approval queue: registrations waiting for the secretariat, and its decisions (approve, reject)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.audit import service as audit
from app.auth import service as auth_service
from app.core import text
from app.core.errors import N_, Conflict, InvalidInput, NotFound
from app.core.pagination import PageRequest, Paginated, paginate
from app.groups import service as groups
from app.groups.models import WorkingGroup
from app.groups.permissions import may_be_member
from app.groups.service import GroupLine
from app.notifications import service as notifications
from app.users.console import AccountEvent, decision_history
from app.users.events import UserEvent
from app.users.models import User, UserStatus
from app.users.notices import APPROVED, APPROVED_BODY, APPROVED_INTO_GROUP, AccountNotice
from app.users.permissions import UserAction, rules
from app.users.service import REASON_MAX, field

# Groups offered to join on approval: the first ones by name (the dialogue has a handful).
GROUP_CHOICES = 100


def pending_registrations(session: Session, principal: Principal, page: PageRequest) -> Paginated[User]:
    """Accounts waiting for the secretariat: industry registrations, and any account an operator created pending."""
    rules.require(principal, UserAction.approve, None)
    query = select(User).where(User.status == UserStatus.pending)
    return paginate(session, query, page, order_by=(User.created_at, User.id))


@dataclass(frozen=True)
class ApprovalQueue:
    """The approval page: the registrations waiting, which of them may join a group on approval (not industry),
    the groups to choose from, and the latest decisions."""

    pending: Paginated[User]
    joins_groups: frozenset[int]
    group_choices: Sequence[GroupLine]
    history: list[AccountEvent]


def approval_queue(session: Session, principal: Principal, page: PageRequest) -> ApprovalQueue:
    pending = pending_registrations(session, principal, page)
    choices = groups.group_lines(session, principal, PageRequest(1, GROUP_CHOICES, count_total=False))
    return ApprovalQueue(
        pending=pending,
        joins_groups=frozenset(u.id for u in pending.items if may_be_member(u)),
        group_choices=choices.items,
        history=decision_history(session, principal),
    )


def pending_count(session: Session, principal: Principal) -> int:
    rules.require(principal, UserAction.approve, None)
    return session.scalar(select(func.count(User.id)).where(User.status == UserStatus.pending)) or 0


def pending_registration(session: Session, principal: Principal, user_id: int) -> User:
    """One registration still waiting, for the page that asks "reject it?"."""
    rules.require(principal, UserAction.reject, None)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such registration"))
    if user.status is not UserStatus.pending:
        raise Conflict(N_("This registration was already decided."))
    return user


def decide_registration(
    session: Session,
    principal: Principal,
    user_id: int,
    *,
    approve: bool,
    group_slug: str = "",
    reason: str = "",
) -> User:
    """The secretariat approves (active) or rejects (disabled) a pending account; an approval may add the person
    to a working group in the same step (all or nothing: a refused membership leaves the account pending)."""
    rules.require(principal, UserAction.approve if approve else UserAction.reject, None)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such registration"))
    if user.status is not UserStatus.pending:
        raise Conflict(N_("This registration was already decided."))
    if group_slug and not approve:
        raise InvalidInput(N_("a rejected registration cannot be added to a working group"), field="group")
    with field("reason"):
        reason = text.one_line(reason, N_("the reason"), REASON_MAX, required=False)
    data: dict[str, Any] = {"reason": reason} if reason else {}
    group: WorkingGroup | None = None
    if group_slug:
        with field("group"):
            group = groups.chosen_group(session, principal, group_slug)
            # First, so a refused membership raises before the account has changed at all.
            groups.add_member(session, principal, group, user)
        data["group"] = group.slug
    user.status = UserStatus.active if approve else UserStatus.disabled
    event = UserEvent.approve if approve else UserEvent.reject
    audit.record(session, principal.user_id, event, "user", user.id, **data)
    if approve:
        _tell_approved(session, user, group)
    else:
        auth_service.account_disabled(session, principal, user.id)
    return user


def _tell_approved(session: Session, user: User, group: WorkingGroup | None) -> None:
    """The person hears of it (by email unless they chose otherwise), once the approval is committed."""
    notifications.notify(
        session,
        recipients=[user],
        kind=AccountNotice.approved,
        subject=APPROVED,
        body=APPROVED_INTO_GROUP if group is not None else APPROVED_BODY,
        params={"group": {"en": group.name, "ja": group.name_in("ja")}} if group is not None else {},
        link=f"/groups/{group.slug}" if group is not None else "/",
    )
