"""Who may make or revoke a personal calendar feed: an active account, for itself only (a pending account
reads no meetings, and nobody manages another person's feed; the secretariat revokes access by disabling)."""

from __future__ import annotations

from enum import StrEnum

from app.access.principal import Principal
from app.access.rules import Rules
from app.core.errors import N_


class FeedAction(StrEnum):
    manage = "manage"  # make, replace or revoke the feed of the user whose id is the object


def _check(principal: Principal, action: FeedAction, owner_id: int) -> bool:
    match action:
        case FeedAction.manage:
            return principal.is_active and principal.user_id == owner_id


feed_rules: Rules[FeedAction, int] = Rules(
    _check,
    denied={FeedAction.manage: N_("Only an active account makes or revokes its own calendar feed.")},
)
