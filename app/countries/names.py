"""The Quad countries' names for pages: one translatable mapping, printed with the `country_name` filter.

(The country table keeps its own English and Japanese names for the API; pages use these, so every label on a
page goes through the same catalog.)
"""

from __future__ import annotations

from app.core.errors import N_
from app.core.labels import LabelledEnum


class CountryCode(LabelledEnum):
    US = "US"
    JP = "JP"
    AU = "AU"
    IN = "IN"

    __labels__ = {
        "US": N_("United States"),
        "JP": N_("Japan"),
        "AU": N_("Australia"),
        "IN": N_("India"),
    }
