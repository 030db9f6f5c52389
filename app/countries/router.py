from __future__ import annotations

from app.auth.policy import AnyPrincipal
from app.countries import service
from app.countries.schemas import CountryOut
from app.deps import DbSession, Page
from app.routing import api_router
from app.schemas import PageOut

api = api_router(prefix="/api/v1/countries", tags=["countries"])


@api.get("", summary="The Quad countries, with names, capitals and time zones")
def list_countries(db: DbSession, page: Page, _: AnyPrincipal) -> PageOut[CountryOut]:
    countries = service.list_countries(db)
    window = countries[page.offset : page.offset + page.size]
    return PageOut.of([CountryOut.model_validate(c) for c in window], page, len(countries))
