from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import InvalidInput
from app.countries.models import Country
from app.countries.names import CountryCode

QUAD_COUNTRY_CODES = tuple(code.value for code in CountryCode)


def list_countries(session: Session) -> Sequence[Country]:
    return session.scalars(select(Country).order_by(Country.sort_order, Country.code)).all()


def require(session: Session, code: str) -> Country:
    country = session.get(Country, code.strip().upper())
    if country is None:
        raise InvalidInput(f"unknown country {code!r}; choose one of {', '.join(QUAD_COUNTRY_CODES)}")
    return country
