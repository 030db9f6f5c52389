"""The content visibility rule (public | quad | group | country), as one SQL filter and one object check.

Every domain that holds content (documents, meetings, drafts, ...) uses these two functions, so a list never
shows what the object page would refuse, and the other way round.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, false, or_, true

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


def readable_filter(
    principal: Principal,
    visibility: SQLColumnExpression[Visibility],
    group_id: SQLColumnExpression[int],
    owner_country: SQLColumnExpression[str | None],
) -> ColumnElement[bool]:
    if principal.is_staff:
        return true()
    clauses: list[ColumnElement[bool]] = [visibility == Visibility.public]
    if principal.reads_quad_content:
        clauses.append(visibility == Visibility.quad)
        if principal.group_ids:
            clauses.append(and_(visibility == Visibility.group, group_id.in_(sorted(principal.group_ids))))
        if principal.country:
            clauses.append(and_(visibility == Visibility.country, owner_country == principal.country))
    return or_(*clauses) if clauses else false()


def can_read(principal: Principal, visibility: Visibility, group_id: int, owner_country: str | None) -> bool:
    if principal.is_staff or visibility is Visibility.public:
        return True
    if not principal.reads_quad_content:
        return False
    if visibility is Visibility.quad:
        return True
    if visibility is Visibility.group:
        return group_id in principal.group_ids
    return owner_country is not None and owner_country == principal.country
