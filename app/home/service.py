"""What is new in a person's working groups: events they may see, naming the document and who acted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.principal import Principal
from app.documents import permissions as document_permissions
from app.documents.models import Document
from app.users.models import User


@dataclass(frozen=True)
class NewsItem:
    action: str
    created_at: datetime
    group_id: int | None
    actor_name: str | None
    document_id: int | None
    document_title: str | None


def whats_new(session: Session, principal: Principal, group_ids: Sequence[int], limit: int = 10) -> list[NewsItem]:
    """An event about a document is shown only to those who may read that document (the documents' own rule)."""
    events = audit.recent_in_groups(session, group_ids, limit, visible=document_permissions.visible_news(principal))
    document_ids = {int(e.target_id) for e in events if e.target_type == "document" and e.target_id}
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    titles: dict[int, str] = {}
    if document_ids:
        rows = session.execute(select(Document.id, Document.title).where(Document.id.in_(document_ids)))
        titles = {row.id: row.title for row in rows}
    names: dict[int, str] = {}
    if actor_ids:
        rows = session.execute(select(User.id, User.display_name).where(User.id.in_(actor_ids)))
        names = {row.id: row.display_name for row in rows}
    items = []
    for event in events:
        document_id = int(event.target_id) if event.target_type == "document" and event.target_id else None
        items.append(
            NewsItem(
                action=event.action,
                created_at=event.created_at,
                group_id=event.group_id,
                actor_name=names.get(event.actor_id) if event.actor_id is not None else None,
                document_id=document_id,
                document_title=titles.get(document_id) if document_id is not None else None,
            )
        )
    return items
