from __future__ import annotations

from app.core.schemas import Out


class CountryOut(Out):
    code: str
    name_en: str
    name_ja: str
    capital_en: str
    capital_ja: str
    time_zone: str
    default_language: str
