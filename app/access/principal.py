"""Who is asking: built once per request from a Bearer token or the signed session cookie."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.access.roles import MembershipRole, Role, UserStatus

STAFF_ROLES = frozenset({Role.secretariat, Role.admin})
GOVERNMENT_ROLES = frozenset({Role.delegate, Role.observer})


@dataclass(frozen=True)
class Principal:
    user_id: int | None = None
    role: Role | None = None
    country: str | None = None
    status: UserStatus | None = None
    display_name: str = ""
    email: str = ""
    organisation: str | None = None
    language: str | None = None
    time_zone: str | None = None
    group_roles: Mapping[int, MembershipRole] = field(default_factory=lambda: MappingProxyType({}))
    via_token: bool = False
    export_cleared: bool = False
    # The user's access version when this principal was built: part of every cache key that depends on who asks.
    access_version: int = 0

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.active

    @property
    def is_staff(self) -> bool:
        """Secretariat or admin: they run the dialogue and see every group."""
        return self.is_active and self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.role is Role.admin

    @property
    def is_government(self) -> bool:
        return self.is_active and self.role in GOVERNMENT_ROLES

    @property
    def is_delegate(self) -> bool:
        return self.is_active and self.role is Role.delegate

    @property
    def reads_quad_content(self) -> bool:
        """The `quad` visibility: any signed-in delegate, observer or secretariat member."""
        return self.is_government or self.is_staff

    @property
    def group_ids(self) -> frozenset[int]:
        return frozenset(self.group_roles)

    def is_member_of(self, group_id: int) -> bool:
        return self.is_active and group_id in self.group_roles

    def chairs(self, group_id: int) -> bool:
        return self.is_delegate and self.group_roles.get(group_id) is MembershipRole.chair


ANONYMOUS = Principal()
# Who acts for the `quad` command, the demo data and test set-up: an administrator with no account, so audit
# events it causes have no actor (actor_id None), as operator actions always had.
SYSTEM = Principal(role=Role.admin, status=UserStatus.active, display_name="system")
