"""The enums a principal is made of: a person's role and account status, and their role in a working group.

They live here, below the domains, so the identity core depends on no domain; `app.users.models` and
`app.groups.models` use them for their columns.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    secretariat = "secretariat"
    delegate = "delegate"
    industry = "industry"
    observer = "observer"


class UserStatus(StrEnum):
    active = "active"
    pending = "pending"
    disabled = "disabled"


class MembershipRole(StrEnum):
    chair = "chair"
    member = "member"
    observer = "observer"
