"""One number that every committed change to the data bumps: the version cached pages are checked against.

The bump is part of the writing transaction itself (one row, `UPDATE ... + 1`), so a page cached under an older
number can never be served after the change is visible, in any worker. It happens here, on every flush and
every Core write made through a Session, so no service can forget it. Writes that change no page (a session's
last-seen time) are marked bookkeeping: a model lists such columns in `__bookkeeping__`, a Core statement
passes `execution_options={"bookkeeping": True}`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, SessionTransaction, UOWTransaction, mapped_column

from app.core.db import Base

BUMPED = "data_version_bumped"


class DataVersion(Base):
    """A single row (id 1), made by the migration."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def current(session: Session) -> int | None:
    return session.scalar(select(DataVersion.value).where(DataVersion.id == 1))


def wrote(session: Session) -> bool:
    """Whether this transaction has changed data that pages show (so its own answer must not be cached)."""
    return bool(session.info.get(BUMPED))


def _bump(session: Session) -> None:
    if session.info.get(BUMPED):
        return
    session.info[BUMPED] = True
    # On the connection, not session.execute: this statement must not count itself.
    session.connection().execute(update(DataVersion).where(DataVersion.id == 1).values(value=DataVersion.value + 1))


def _shows_on_pages(obj: Any) -> bool:
    if not isinstance(obj, Base):
        return False  # another schema's object (a test's sketch models): no data version there
    bookkeeping: frozenset[str] = getattr(type(obj), "__bookkeeping__", frozenset())
    if not bookkeeping:
        return True
    state = inspect(obj)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    return bool(changed - bookkeeping)


@event.listens_for(Session, "after_flush")
def _count_flush(session: Session, _flush: UOWTransaction) -> None:
    if any(isinstance(obj, Base) for obj in (*session.new, *session.deleted)) or any(
        session.is_modified(obj) and _shows_on_pages(obj) for obj in session.dirty
    ):
        _bump(session)


@event.listens_for(Session, "do_orm_execute")
def _count_statement(execute: Any) -> None:
    if not (execute.is_insert or execute.is_update or execute.is_delete):
        return
    mapper = execute.bind_mapper
    if execute.execution_options.get("bookkeeping") or (mapper is not None and not issubclass(mapper.class_, Base)):
        return
    _bump(execute.session)


@event.listens_for(Session, "after_commit")
def _forget_on_commit(session: Session) -> None:
    session.info.pop(BUMPED, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _previous: SessionTransaction) -> None:
    # A rolled-back savepoint takes its bump with it; the next write bumps again.
    session.info.pop(BUMPED, None)
