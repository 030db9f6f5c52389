"""Who may see and change other people's accounts: the one place these rules live.

The secretariat runs the approval queue and may look people up; account changes (role, country, status,
export clearance) stay with admins, as they were before the console existed. Services call `require` first;
pages ask `allowed` for the booleans their templates show.
"""

from __future__ import annotations

from enum import StrEnum

from app.access.principal import Principal
from app.core.errors import N_, Forbidden
from app.users.models import User


class UserAction(StrEnum):
    list = "list"  # search the people on the platform, see one account and its history
    decide_registration = "decide_registration"  # approve or reject a pending registration
    change_role = "change_role"
    change_country = "change_country"
    change_status = "change_status"  # disable or re-enable
    change_clearance = "change_clearance"  # export clearance of secretariat staff


REFUSALS: dict[UserAction, str] = {
    UserAction.list: N_("Only the secretariat may look up accounts."),
    UserAction.decide_registration: N_("Only the secretariat decides on registrations."),
    UserAction.change_role: N_("Only an administrator may change a role."),
    UserAction.change_country: N_("Only an administrator may change a country."),
    UserAction.change_status: N_("Only an administrator may disable or re-enable an account."),
    UserAction.change_clearance: N_("Only an administrator may grant or revoke export clearance."),
}

STAFF_ACTIONS = frozenset({UserAction.list, UserAction.decide_registration})


def allowed(principal: Principal, action: UserAction, user: User | None = None) -> bool:
    if action in STAFF_ACTIONS:
        return principal.is_staff
    if not principal.is_admin:
        return False
    # An admin does not lock themselves out: no disabling one's own account, no demoting it.
    if user is not None and user.id == principal.user_id and action is not UserAction.change_clearance:
        return action not in (UserAction.change_status, UserAction.change_role)
    return True


def require(principal: Principal, action: UserAction, user: User | None = None) -> None:
    if not allowed(principal, action, user):
        if user is not None and user.id == principal.user_id and principal.is_admin:
            raise Forbidden(N_("You cannot disable your own account or change your own role."))
        raise Forbidden(REFUSALS[action])


def console_rights(principal: Principal, user: User) -> dict[str, bool]:
    """The booleans an account page shows its forms by."""
    return {f"can_{action.value}": allowed(principal, action, user) for action in UserAction}
