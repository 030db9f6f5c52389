"""Engine, the declarative Base and the session that every request shares."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, SessionTransaction, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.core.config import private_directory, private_file

log = logging.getLogger("app.core.db")
T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes in UTC and always gives them back aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column_type(enum_class: type[StrEnum]) -> SAEnum:
    """Stores an enum's values as plain strings (portable, readable) and loads them back as members."""
    return SAEnum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _prepare_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, and transactions SQLAlchemy controls (so SAVEPOINTs work)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}" if mode in ("IMMEDIATE", "EXCLUSIVE") else "BEGIN")


def build_engine(url: str, *, pool_size: int | None = None, pool_timeout: float = 30, **kwargs: Any) -> Engine:
    """`pool_size`: connections kept, and never more (no overflow): each SQLite connection has its own page
    cache, and a request that finds none free within `pool_timeout` seconds gets sqlalchemy's TimeoutError."""
    parsed = make_url(url)
    in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")
    if pool_size is not None and not in_memory:
        kwargs.update(pool_size=pool_size, max_overflow=0, pool_timeout=pool_timeout)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and not in_memory:
            # Made private before SQLite opens it: SQLite gives the -wal and -shm files the database's mode.
            private_directory(Path(parsed.database).parent, tighten_existing=False)
            private_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _prepare_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def write_if_possible(session: Session, change: Callable[[], None], what: str) -> None:
    """A convenience write a read request makes (a last-used time): skipped when the database is busy.

    SQLite cannot always turn a read transaction into a write one; such a write must not fail the request.
    """
    try:
        with session.begin_nested():
            change()
    except OperationalError:
        log.info("%s not recorded: database busy", what)


def build_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


ROLLBACK_CALLBACKS = "rollback_callbacks"


def on_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Undo something outside the database (a stored file) if the request's transaction is rolled back."""
    session.info.setdefault(ROLLBACK_CALLBACKS, []).append(callback)


COMMIT_CALLBACKS = "commit_callbacks"


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Do something outside the database (send an email) once the session's transaction has committed, and
    never if it is rolled back. Registered inside a savepoint, the callback is dropped with that savepoint's
    rollback. Callbacks run after the commit, in the committing thread; one that fails is logged, and never
    undoes the commit or stops the others."""
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(COMMIT_CALLBACKS, []).append((transaction, callback))


@event.listens_for(Session, "after_commit")
def _run_commit_callbacks(session: Session) -> None:
    for _, callback in session.info.pop(COMMIT_CALLBACKS, []):
        try:
            callback()
        except Exception:
            log.exception("action after commit failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_commit_callbacks(session: Session, previous_transaction: SessionTransaction) -> None:
    """A rolled-back transaction forgets what it would have done; a savepoint only what was registered in it."""
    pending = session.info.get(COMMIT_CALLBACKS)
    if not pending:
        return
    if not previous_transaction.nested:
        session.info.pop(COMMIT_CALLBACKS, None)
        return
    session.info[COMMIT_CALLBACKS] = [
        (transaction, callback) for transaction, callback in pending if not _within(transaction, previous_transaction)
    ]


@event.listens_for(Session, "after_transaction_end")
def _forget_commit_callbacks(session: Session, transaction: SessionTransaction) -> None:
    """A session closed without commit or rollback (its connection was simply returned) sends nothing either."""
    if transaction.parent is None:
        session.info.pop(COMMIT_CALLBACKS, None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
