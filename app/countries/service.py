"""The four Quad countries: the reference data every account and document refers to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import N_, InvalidInput
from app.core.pagination import PageRequest, Paginated, paginate
from app.countries.models import Country
from app.countries.names import CountryCode

QUAD_COUNTRY_CODES = tuple(code.value for code in CountryCode)


def list_countries(session: Session, page: PageRequest) -> Paginated[Country]:
    return paginate(session, select(Country), page, order_by=(Country.sort_order, Country.code))


def require(session: Session, code: str) -> Country:
    country = session.get(Country, code.strip().upper())
    if country is None:
        raise InvalidInput(N_("unknown country; choose US, JP, AU or IN"), field="country")
    return country
