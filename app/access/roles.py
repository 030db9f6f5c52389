"""The enums a principal is made of: a person's role and account status, and their role in a working group.

They live here, below the domains, so the identity core depends on no domain; `app.users.models` and
`app.groups.models` use them for their columns.
"""

from __future__ import annotations

from app.core.errors import N_
from app.core.labels import LabelledEnum


class Role(LabelledEnum):
    admin = "admin"
    secretariat = "secretariat"
    delegate = "delegate"
    industry = "industry"
    observer = "observer"

    __labels__ = {
        "admin": N_("Administrator"),
        "secretariat": N_("Secretariat"),
        "delegate": N_("Delegate"),
        "industry": N_("Industry participant"),
        "observer": N_("Observer"),
    }


class UserStatus(LabelledEnum):
    active = "active"
    pending = "pending"
    disabled = "disabled"

    __labels__ = {"active": N_("Active"), "pending": N_("Waiting for approval"), "disabled": N_("Disabled")}


class MembershipRole(LabelledEnum):
    chair = "chair"
    member = "member"
    observer = "observer"

    __labels__ = {"chair": N_("Chair"), "member": N_("Member"), "observer": N_("Observer")}
