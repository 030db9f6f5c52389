"""Recording and reading audit events. Events are appended in the caller's transaction, never edited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from app.audit import registry
from app.audit.models import AuditEvent
from app.audit.registry import AuditAction


def record(
    session: Session,
    actor_id: int | None,
    action: AuditAction,
    target_type: str,
    target_id: object = None,
    *,
    group_id: int | None = None,
    **data: Any,
) -> AuditEvent:
    """The only way an event is appended (the refusal path and `record_committed` come through here)."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        group_id=group_id,
        data=data,
    )
    session.add(event)
    return event


def record_committed(
    maker: sessionmaker[Session],
    actor_id: int | None,
    action: AuditAction,
    target_type: str,
    target_id: object = None,
    *,
    group_id: int | None = None,
    **data: Any,
) -> None:
    """Records an event in its own transaction, committed before the caller goes on."""
    with maker() as session, session.begin():
        record(session, actor_id, action, target_type, target_id, group_id=group_id, **data)


def events_for(session: Session, target_type: str, target_id: object, limit: int = 50) -> Sequence[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.target_type == target_type, AuditEvent.target_id == str(target_id))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return session.scalars(query).all()


def recent_in_groups(
    session: Session, group_ids: Sequence[int], limit: int = 10, *, visible: ColumnElement[bool] | None = None
) -> Sequence[AuditEvent]:
    """News in the groups; `visible` is the caller's filter on the events' targets (a document they may read)."""
    if not group_ids:
        return []
    query = (
        select(AuditEvent)
        .where(AuditEvent.group_id.in_(group_ids), AuditEvent.action.in_(registry.news_actions()))
        .where(visible if visible is not None else AuditEvent.id.isnot(None))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return session.scalars(query).all()


def recent_by_action(
    session: Session, actions: Sequence[AuditAction], target_type: str, limit: int = 20
) -> Sequence[AuditEvent]:
    """The newest events of some kinds (e.g. the decisions on registrations), newest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.action.in_(actions), AuditEvent.target_type == target_type)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return session.scalars(query).all()
