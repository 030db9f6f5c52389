"""Who may see and change other people's accounts: the account actions, who may take each, one refusal message per
action.

The secretariat runs the approval queue and may look people up; account changes (role, country, status, export
clearance) stay with admins, who also create accounts (the CLI acts as one). API tokens are the sign-in layer's
(app/auth/permissions.py). Services call `rules.require` first; pages ask
`rules.allowed` for the booleans their templates show.
"""

from __future__ import annotations

from enum import StrEnum

from app.access.principal import Principal
from app.access.rules import Rules
from app.core.errors import N_
from app.users.models import User


class UserAction(StrEnum):
    create = "create"  # pre-provision an account (the CLI acts as SYSTEM, an administrator)
    look_up = "look_up"  # search the people on the platform, see one account, its history and its tokens
    approve = "approve"  # approve a pending registration
    reject = "reject"  # reject a pending registration
    change_role = "change_role"
    change_country = "change_country"
    change_status = "change_status"  # disable or re-enable
    change_clearance = "change_clearance"  # export clearance of secretariat staff


STAFF_ACTIONS = frozenset({UserAction.look_up, UserAction.approve, UserAction.reject})
# An admin does not lock themselves out: no disabling one's own account, no demoting it.
NOT_ON_ONESELF = frozenset({UserAction.change_status, UserAction.change_role})


def _check(principal: Principal, action: UserAction, user: User | None) -> bool:
    if action in STAFF_ACTIONS:
        return principal.is_staff
    if not principal.is_admin:
        return False
    return not (action in NOT_ON_ONESELF and user is not None and user.id == principal.user_id)


rules: Rules[UserAction, User | None] = Rules(
    _check,
    denied={
        UserAction.create: N_("Only an administrator may create an account."),
        UserAction.look_up: N_("Only the secretariat may look up accounts."),
        UserAction.approve: N_("Only the secretariat decides on registrations."),
        UserAction.reject: N_("Only the secretariat decides on registrations."),
        UserAction.change_role: N_("Only an administrator may change a role, and never their own."),
        UserAction.change_country: N_("Only an administrator may change a country."),
        UserAction.change_status: N_("Only an administrator may disable or re-enable an account, and never their own."),
        UserAction.change_clearance: N_("Only an administrator may grant or revoke export clearance."),
    },
)
