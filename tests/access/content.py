"""Rows of any content model, made from its mapping alone, and the check that its two readability forms agree.

Both contract tests use these: the app's own models on the migrated database, and the test-only models in
test_visibility_hooks.py. A new content model needs nothing here unless one of its required columns has a type
`sample` does not know yet.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Column, Table, inspect, not_, select
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from app.access.principal import Principal
from app.access.visibility import InheritsVisibility, Visibility, VisibleContent
from app.core.db import utcnow


def content_models(mappers: Iterable[Any]) -> list[type[Any]]:
    """The mapped classes that declare a visibility, their own or their parent's."""
    found = [m.class_ for m in mappers if issubclass(m.class_, VisibleContent | InheritsVisibility)]
    return sorted(found, key=lambda model: model.__name__)


class RowMaker:
    """Makes rows of every visibility for a content model: one per visibility, group and owner for content with
    its own visibility, one per parent row for a child. Other required columns get made-up values."""

    def __init__(self, session: Session, groups: Sequence[int], countries: Sequence[str]) -> None:
        self.session = session
        self.groups = groups
        self.countries = countries
        self._serial = itertools.count(1)
        self._made: dict[type[Any], list[Any]] = {}

    def rows_of(self, model: type[Any]) -> list[Any]:
        if model not in self._made:
            self._made[model] = self._make(model)
        return self._made[model]

    def _make(self, model: type[Any]) -> list[Any]:
        if issubclass(model, VisibleContent):
            protection = model.__protection__
            groups: list[int | None] = [None]
            if protection.group is not None:
                groups = [*self.groups, *([None] if _nullable(model, protection.group) else [])]
            owners: list[str | None] = [*self.countries]
            if _nullable(model, protection.owner_country):
                owners.append(None)
            rows = []
            for visibility, group, owner in itertools.product(Visibility, groups, owners):
                given: dict[str, object] = {protection.visibility: visibility, protection.owner_country: owner}
                if protection.group is not None:
                    given[protection.group] = group
                rows.append(self.new(model, given))
        else:
            parent_name = model.__protection_parent__
            parent = inspect(model).relationships[parent_name].mapper.class_
            rows = [self.new(model, {parent_name: row}) for row in self.rows_of(parent)]
        self.session.flush()
        return rows

    def new(self, model: type[Any], given: Mapping[str, object]) -> Any:
        mapper = inspect(model)
        # Columns a given relationship fills (the parent's key) need no value of their own.
        covered = {
            column
            for name in given
            if name in mapper.relationships
            for column in mapper.relationships[name].local_columns
        }
        values = dict(given)
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if prop.key in values or column in covered or not _required(column):
                continue
            values[prop.key] = self.sample(model, column)
        row = model(**values)
        self.session.add(row)
        return row

    def sample(self, model: type[Any], column: Column[Any]) -> object:
        """A value a required column accepts, unique where it could need to be."""
        if column.foreign_keys:
            (key,) = column.foreign_keys
            target = _model_of(model, key.column.table)
            row = self.new(target, {})
            self.session.flush()
            return getattr(row, inspect(target).get_property_by_column(key.column).key)
        # A TypeDecorator (UTCDateTime) answers for the type it wraps.
        kind = column.type.impl.python_type if isinstance(column.type, TypeDecorator) else column.type.python_type
        n = next(self._serial)
        if issubclass(kind, Enum):
            return next(iter(kind))
        if kind is bool:
            return False
        if issubclass(kind, int | float | Decimal):
            return kind(n)
        if kind is str:
            length = getattr(column.type, "length", None)
            return f"v{n}"[:length] if length else f"value {n}"
        if kind is datetime:
            return utcnow()
        if kind is date:
            return utcnow().date()
        if kind in (dict, list, bytes):
            return kind()
        raise TypeError(f"tests/access/content.py cannot make a {kind.__name__} for {column}: teach `sample` one")


def _model_of(near: type[Any], table: Table) -> type[Any]:
    """The class mapped to `table` in the registry `near` is mapped in."""
    for mapper in inspect(near).registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    raise LookupError(f"no mapped class for table {table.name}")


def _nullable(model: type[Any], name: str) -> bool:
    return bool(inspect(model).get_property(name).columns[0].nullable)


def _required(column: Column[Any]) -> bool:
    if column.nullable or column.default is not None or column.server_default is not None:
        return False
    return column is not column.table.autoincrement_column


def readable_sets(
    session: Session, model: type[Any], rows: Sequence[Any], people: Mapping[str, Principal]
) -> dict[str, set[Any]]:
    """Which rows each person reads, after proving, row by row, that the list filter (and its negation) and the
    object check agree. Object checks run on rows reloaded from the database, as a page sees them."""
    mapper = inspect(model)
    (key_column,) = mapper.primary_key
    key = mapper.get_property_by_column(key_column).class_attribute
    keys = [mapper.primary_key_from_instance(row)[0] for row in rows]
    session.expire_all()
    disagreements: list[str] = []
    readable: dict[str, set[Any]] = {}
    for name, principal in people.items():
        among = key.in_(keys)
        listed = set(session.scalars(select(key).where(among, model.readable_by(principal))))
        hidden = set(session.scalars(select(key).where(among, not_(model.readable_by(principal)))))
        readable[name] = set()
        for row_key in keys:
            allowed = session.get_one(model, row_key).is_readable_by(principal)
            if allowed:
                readable[name].add(row_key)
            if (row_key in listed) is not allowed or (row_key in hidden) is allowed:
                disagreements.append(
                    f"{model.__name__} {row_key} for {name}: listed {row_key in listed}, "
                    f"excluded by the negated filter {row_key in hidden}, object check {allowed}"
                )
    assert not disagreements, "\n".join(disagreements)
    return readable
