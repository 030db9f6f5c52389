"""The notifications accounts send: the person waiting for approval hears when it comes."""

from __future__ import annotations

from app.core.errors import N_
from app.notifications.kinds import Channel, NotificationKind


class AccountNotice(NotificationKind):
    approved = "account.approved"

    __labels__ = {"account.approved": N_("My registration is approved")}
    # By email unless they choose otherwise: someone waiting for approval is not looking at the app.
    __defaults__ = {"account.approved": Channel.email}


APPROVED = N_("Your account was approved")
APPROVED_BODY = N_("The secretariat approved your account on Quad Dialogue. You can now sign in and take part.")
APPROVED_INTO_GROUP = N_(
    "The secretariat approved your account on Quad Dialogue and added you to the working group %(group)s. "
    "You can now sign in and take part."
)
