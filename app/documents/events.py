"""The audit actions of documents. Changes are news for the group; reads, refusals and screening stay on the
audit trail only."""

from __future__ import annotations

from app.audit.registry import AuditAction
from app.core.errors import N_


class DocumentEvent(AuditAction):
    create = "document.create"
    version_add = "document.version_add"
    update = "document.update"
    marking = "document.marking"
    withdraw = "document.withdraw"
    reinstate = "document.reinstate"
    marking_refused = "document.marking_refused"
    content_read = "document.content_read"
    content_refused = "document.content_refused"
    screening_match = "document.screening_match"

    __labels__ = {
        "document.create": N_("A document was added"),
        "document.version_add": N_("A new document version was uploaded"),
        "document.update": N_("Document details changed"),
        "document.marking": N_("An export-control marking changed"),
        "document.withdraw": N_("A document was withdrawn"),
        "document.reinstate": N_("A withdrawn document was reinstated"),
        "document.marking_refused": N_("A marking change was refused"),
        "document.content_read": N_("Controlled content was read"),
        "document.content_refused": N_("Controlled content was refused"),
        "document.screening_match": N_("The screening list matched an upload"),
    }
    __news__ = frozenset(
        {
            "document.create",
            "document.version_add",
            "document.update",
            "document.marking",
            "document.withdraw",
            "document.reinstate",
        }
    )
