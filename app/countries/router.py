from __future__ import annotations

from app.access.policy import AnyPrincipal
from app.core.routing import api_router
from app.core.schemas import PageOut
from app.countries import service
from app.countries.schemas import CountryOut
from app.web.deps import DbSession, Page

api = api_router(prefix="/api/v1/countries", tags=["countries"])


@api.get("", summary="The Quad countries, with names, capitals and time zones")
def list_countries(db: DbSession, page: Page, _: AnyPrincipal) -> PageOut[CountryOut]:
    countries = service.list_countries(db)
    window = countries[page.offset : page.offset + page.size]
    return PageOut.of([CountryOut.model_validate(c) for c in window], page, len(countries))
