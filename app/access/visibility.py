"""The content visibility rule (public | quad | group | country), and the contract content models declare it by.

The rule is read from the principal once (`reach_of`: which visibilities, groups and country they reach) and
interpreted twice: as a SQL filter for lists (`readable_filter`) and as an object check for pages (`can_read`),
so a list never shows what the object page would refuse, and the other way round. Nothing else derives
visibility from a principal.

How a domain declares its content (no column is added: the mixins only name the model's existing columns, so the
schema and `alembic check` are unchanged):

* Content with its own visibility mixes in `VisibleContent` and names its protection columns once::

      class Meeting(VisibleContent, Timestamped, Base):
          __protection__ = Protection(visibility="visibility", group="group_id", owner_country="owner_country")

  `group=None` declares content that belongs to no working group (a dialogue-wide draft); a NULL in a nullable
  group column means the same for one row. Either way its `group` visibility reaches nobody but the staff.
  The model gets `Meeting.readable_by(principal)`, the WHERE clause of every list
  (`select(Meeting).where(Meeting.readable_by(principal))`), and `meeting.is_readable_by(principal)`, the check
  of one object. Two hooks, each a SQL form and its object twin (they must agree), adjust the rule:

  - `grants(principal)` / `is_granted_to(principal)`: extra ways in, OR-ed with the visibility rule (a
    consultation that opens itself to approved industry);
  - `requirements(principal)` / `meets_requirements(principal)`: what every reader must also meet, whatever let
    them in, grants included (a document's working group must be readable: archived groups hide their content).

* A child that is readable exactly when its parent is (agenda items, minutes, clauses, comments; document
  versions) mixes in `InheritsVisibility` and names its many-to-one relationship to the parent::

      class AgendaItem(InheritsVisibility, Base):
          __protection_parent__ = "meeting"

tests/access/test_visibility_contract.py finds every mapped subclass of either mixin and proves, person by
person and row by row against the real database, that the list filter and the object check agree: a new content
model is covered by existing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, inspect, or_, select, true
from sqlalchemy.orm import ColumnProperty, Mapper
from sqlalchemy.orm.interfaces import MANYTOONE

from app.access.principal import Principal
from app.core.errors import N_
from app.core.labels import LabelledEnum


class Visibility(LabelledEnum):
    public = "public"
    quad = "quad"
    group = "group"
    country = "country"

    __labels__ = {
        "public": N_("Public"),
        "quad": N_("All Quad participants"),
        "group": N_("Working group members"),
        "country": N_("Owning country only"),
    }


# The rule ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """What a principal's visibility covers: the one reading of a Principal that both checks interpret."""

    everything: bool = False
    # Visibilities open whatever the content's group or owner.
    levels: frozenset[Visibility] = frozenset({Visibility.public})
    group_ids: frozenset[int] = frozenset()
    country: str | None = None


def reach_of(principal: Principal) -> Reach:
    if principal.is_staff:
        return Reach(everything=True)
    if not principal.reads_quad_content:
        # Anonymous, industry, and any account that is not active (pending, disabled): public content only,
        # whatever group memberships a disabled account still holds.
        return Reach()
    return Reach(
        levels=frozenset({Visibility.public, Visibility.quad}),
        group_ids=principal.group_ids,
        country=principal.country,
    )


def readable_filter(
    principal: Principal,
    visibility: SQLColumnExpression[Visibility],
    group_id: SQLColumnExpression[int] | SQLColumnExpression[int | None] | None,
    owner_country: SQLColumnExpression[str | None],
) -> ColumnElement[bool]:
    """SQL twin of `can_read`. `group_id` None: the content has no group column.

    Every clause is true or false, never NULL, so `not_()` of it is the exact complement."""
    reach = reach_of(principal)
    if reach.everything:
        return true()
    clauses: list[ColumnElement[bool]] = [visibility.in_(sorted(reach.levels))]
    if reach.group_ids and group_id is not None:
        clauses.append(
            and_(visibility == Visibility.group, group_id.is_not(None), group_id.in_(sorted(reach.group_ids)))
        )
    if reach.country is not None:
        clauses.append(
            and_(visibility == Visibility.country, owner_country.is_not(None), owner_country == reach.country)
        )
    return or_(*clauses)


def can_read(principal: Principal, visibility: Visibility, group_id: int | None, owner_country: str | None) -> bool:
    reach = reach_of(principal)
    if reach.everything or visibility in reach.levels:
        return True
    if visibility == Visibility.group:
        return group_id is not None and group_id in reach.group_ids
    if visibility == Visibility.country:
        return owner_country is not None and owner_country == reach.country
    return False


# The contract --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Protection:
    """Names of a content model's own columns that carry its visibility."""

    visibility: str
    group: str | None
    owner_country: str


class VisibleContent:
    """Mixin for content with its own visibility (documents; meetings, drafts and consultations to come)."""

    __protection__: ClassVar[Protection]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)  # maps the class when a declarative base follows in the bases
        mapper = inspect(cls, raiseerr=False)
        if not isinstance(mapper, Mapper):
            return
        # A misspelt declaration fails at import, not as a silently wrong filter.
        protection = getattr(cls, "__protection__", None)
        if not isinstance(protection, Protection):
            raise TypeError(f"{cls.__name__} mixes in VisibleContent but declares no __protection__")
        for name in (protection.visibility, protection.group, protection.owner_country):
            if name is not None and not (
                mapper.has_property(name) and isinstance(mapper.get_property(name), ColumnProperty)
            ):
                raise TypeError(f"{cls.__name__}.__protection__ names {name!r}, which is not one of its columns")

    @classmethod
    def _column(cls, name: str | None) -> Any:
        return None if name is None else getattr(cls, name)

    @classmethod
    def readable_by(cls, principal: Principal) -> ColumnElement[bool]:
        """The list filter: `select(Model).where(Model.readable_by(principal))`."""
        protection = cls.__protection__
        rule = readable_filter(
            principal,
            cls._column(protection.visibility),
            cls._column(protection.group),
            cls._column(protection.owner_country),
        )
        return and_(or_(rule, *cls.grants(principal)), *cls.requirements(principal))

    def is_readable_by(self, principal: Principal) -> bool:
        """The object check; agrees with `readable_by` row by row."""
        protection = self.__protection__
        by_rule = can_read(
            principal,
            getattr(self, protection.visibility),
            None if protection.group is None else getattr(self, protection.group),
            getattr(self, protection.owner_country),
        )
        return (by_rule or self.is_granted_to(principal)) and self.meets_requirements(principal)

    @classmethod
    def grants(cls, principal: Principal) -> Sequence[ColumnElement[bool]]:
        """Extra ways in, OR-ed with the visibility rule. Override with `is_granted_to`."""
        return ()

    def is_granted_to(self, principal: Principal) -> bool:
        """Object twin of `grants`."""
        return False

    @classmethod
    def requirements(cls, principal: Principal) -> Sequence[ColumnElement[bool]]:
        """Conditions every reader must also meet, AND-ed with the rule and its grants. Override with
        `meets_requirements`."""
        return ()

    def meets_requirements(self, principal: Principal) -> bool:
        """Object twin of `requirements`."""
        return True


class InheritsVisibility:
    """Mixin for a child readable exactly when its parent is (Indico's inheriting protection, in SQL too)."""

    # The name of the many-to-one relationship to the parent, e.g. "meeting".
    __protection_parent__: ClassVar[str]

    @classmethod
    def readable_by(cls, principal: Principal) -> ColumnElement[bool]:
        """The list filter: the child's key is among the keys of the parents the principal may read."""
        mapper = inspect(cls)
        relationship = mapper.relationships[cls.__protection_parent__]
        if relationship.direction is not MANYTOONE or len(relationship.local_remote_pairs) != 1:
            raise TypeError(f"{cls.__name__}.__protection_parent__ must name a many-to-one on one column")
        parent = relationship.mapper.class_
        if not issubclass(parent, VisibleContent | InheritsVisibility):
            raise TypeError(f"{cls.__name__}'s parent {parent.__name__} declares no visibility")
        ((local, remote),) = relationship.local_remote_pairs
        own_key = mapper.get_property_by_column(local).class_attribute
        parent_key = relationship.mapper.get_property_by_column(remote).class_attribute
        # NULLs kept out of both sides, so the IN is true or false, never NULL, as the parent's own filter is.
        readable_parents = select(parent_key).where(parent_key.is_not(None), parent.readable_by(principal))
        return and_(own_key.is_not(None), own_key.in_(readable_parents))

    def is_readable_by(self, principal: Principal) -> bool:
        parent = getattr(self, self.__protection_parent__)
        return parent is not None and bool(parent.is_readable_by(principal))
