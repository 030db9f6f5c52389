"""`/api/v1/countries`: the four Quad countries."""

from __future__ import annotations

from app.access.policy import AnyPrincipal
from app.core.routing import api_router
from app.core.schemas import PageOut
from app.countries import service
from app.countries.schemas import CountryOut
from app.web.deps import DbSession, Page
from app.web.page_cache import cached_response

api = api_router(prefix="/api/v1/countries", tags=["countries"])


@api.get("", summary="The Quad countries, with names, capitals and time zones", name="countries.api.list")
@cached_response
def list_countries(db: DbSession, page: Page, _: AnyPrincipal) -> PageOut[CountryOut]:
    return PageOut.of(service.list_countries(db, page), CountryOut.model_validate)
