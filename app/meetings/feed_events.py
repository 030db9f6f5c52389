"""The audit actions of personal calendar feeds (not news: they concern one person's own account)."""

from __future__ import annotations

from app.audit.registry import AuditAction
from app.core.errors import N_


class CalendarFeedEvent(AuditAction):
    create = "calendar_feed.create"
    revoke = "calendar_feed.revoke"

    __labels__ = {
        "calendar_feed.create": N_("A calendar feed address was made"),
        "calendar_feed.revoke": N_("A calendar feed address was revoked"),
    }
