"""A person's access version: one number on the user that every change to what their principal holds bumps.

Principals are cached per worker by (user, access version) (app.auth.service); each request reads the
version with its session or token, so a change to role, status, country, clearance, profile or memberships
takes effect on the next request in every worker. The bump happens here, at flush, for every write made
through a Session, so no service can forget it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session, UOWTransaction

from app.groups.models import Membership
from app.users.models import User

# Everything `app.auth.service.principal_for` copies from the user.
PRINCIPAL_FIELDS = frozenset(
    {
        "role",
        "country_code",
        "status",
        "display_name",
        "email",
        "organisation",
        "language",
        "time_zone",
        "export_cleared",
    }
)


def _principal_changed(user: User) -> bool:
    state = inspect(user)
    return any(state.attrs[name].history.has_changes() for name in PRINCIPAL_FIELDS)


@event.listens_for(Session, "before_flush")
def _bump_changed_users(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    for user in session.dirty:
        if isinstance(user, User) and _principal_changed(user):
            user.access_version = (user.access_version or 0) + 1


@event.listens_for(Session, "after_flush")
def _bump_members(session: Session, _flush: UOWTransaction) -> None:
    """Joining, leaving or changing role in a group (after the flush, when new rows have their user ids)."""
    members: set[int] = set()
    for membership in (*session.new, *session.dirty, *session.deleted):
        if isinstance(membership, Membership):
            members.add(membership.user_id)
            members.update(inspect(membership).attrs["user_id"].history.deleted or ())
    members.discard(None)
    if not members:
        return
    # Core, not attributes: the users need not be loaded. Copies in this session read the new number next time.
    session.execute(
        update(User).where(User.id.in_(members)).values(access_version=User.access_version + 1),
        execution_options={"synchronize_session": False},
    )
    for user in list(session.identity_map.values()):
        if isinstance(user, User) and user.id in members:
            session.expire(user, ["access_version"])
