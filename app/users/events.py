"""The audit actions of accounts: the history the secretariat console shows for each person."""

from __future__ import annotations

from app.audit.registry import AuditAction
from app.core.errors import N_


class UserEvent(AuditAction):
    create = "user.create"
    registration = "user.registration"
    approve = "user.approve"
    reject = "user.reject"
    change = "user.change"
    preferences = "user.preferences"
    identity_link = "user.identity_link"

    __labels__ = {
        "user.create": N_("Account created"),
        "user.registration": N_("Registered"),
        "user.approve": N_("Approved"),
        "user.reject": N_("Rejected"),
        "user.change": N_("Account changed"),
        "user.preferences": N_("Preferences changed"),
        "user.identity_link": N_("Sign-in linked"),
    }


# What the console shows as a person's account history, and as the secretariat's decisions.
ACCOUNT_HISTORY = (UserEvent.create, UserEvent.registration, UserEvent.approve, UserEvent.reject, UserEvent.change)
DECISIONS = (UserEvent.approve, UserEvent.reject)
