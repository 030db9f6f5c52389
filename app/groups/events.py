"""The audit actions of working groups: all of them are news for the group's members."""

from __future__ import annotations

from app.audit.registry import AuditAction
from app.core.errors import N_


class GroupEvent(AuditAction):
    create = "group.create"
    update = "group.update"
    member_add = "group.member_add"
    member_remove = "group.member_remove"
    member_role = "group.member_role"

    __labels__ = {
        "group.create": N_("Working group created"),
        "group.update": N_("Working group details updated"),
        "group.member_add": N_("A member joined"),
        "group.member_remove": N_("A member left"),
        "group.member_role": N_("A member's role changed"),
    }
    __news__ = frozenset(__labels__)
