"""The formatters templates call once a row, built once per language or route: they say exactly what the slow
originals (Babel's format_datetime, the router's url_path_for) say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from fastapi import FastAPI
from starlette.routing import NoMatchFound

from app.web.templating import LENGTHS, RoutePaths, _datetime_format

ZONES = ("UTC", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Asia/Kolkata")
# Around both daylight-saving changes in New York and in Sydney, at midnight and in the afternoon.
MOMENTS = [
    datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC),
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 15, 30, tzinfo=UTC),
    datetime(2026, 10, 3, 16, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
]


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("length", LENGTHS)
def test_the_prebuilt_date_format_writes_what_babel_writes(language: str, length: str) -> None:
    for zone_name in ZONES:
        zone = ZoneInfo(zone_name)
        for moment in [*MOMENTS, *(m + timedelta(hours=h) for m in MOMENTS[:1] for h in range(0, 24, 5))]:
            local = moment.astimezone(zone)
            expected = babel_format_datetime(moment, length, tzinfo=zone, locale=Locale.parse(language))
            assert _datetime_format(language, length).format(local) == expected, (language, length, zone_name)  # type: ignore[arg-type]


def test_route_paths_are_the_routers_paths(app: FastAPI) -> None:
    """Every named route with one or two parameters, filled with ids and slugs, twice (the second from the
    template), matches the router; values the template cannot write go to the router, and so do wrong names."""
    paths = RoutePaths(app)
    cases = [
        ("home", {}),
        ("documents.detail", {"document_id": 42}),
        ("documents.list", {"slug": "semiconductors"}),
        ("groups.page", {"slug": "5g-6g"}),
        ("groups.remove_member_page", {"slug": "bio", "user_id": 7}),
        ("documents.api.download", {"document_id": 3, "number": 12}),
    ]
    for name, params in cases:
        for _ in range(2):
            assert paths.path(name, params) == app.url_path_for(name, **params)
        other = {key: (value + 1 if isinstance(value, int) else value + "-x") for key, value in params.items()}
        assert paths.path(name, other) == app.url_path_for(name, **other)
    with pytest.raises(NoMatchFound):
        paths.path("no.such.route", {})
    with pytest.raises(NoMatchFound):
        paths.path("documents.detail", {"wrong": 1})
