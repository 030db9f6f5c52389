"""The audit actions of notifications: a person's change of how they are told (reading a notice is not audited)."""

from __future__ import annotations

from app.audit.registry import AuditAction
from app.core.errors import N_


class NotificationEvent(AuditAction):
    preferences = "notification.preferences"

    __labels__ = {"notification.preferences": N_("Notification preferences changed")}
