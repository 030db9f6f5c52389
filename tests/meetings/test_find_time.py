"""The find-a-time page and API over HTTP: answers, the viewer's zone, errors (a readable page, problem+json
naming the field), who may ask, and daylight saving as the API reports it."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from app.groups.models import MembershipRole
from app.users.models import Role, UserStatus
from tests.support.pages import error_summary, field_error, ja, summary_links, tag

JA = {"Accept-Language": "ja"}
JANUARY = {"date_from": "2026-01-12", "date_to": "2026-01-18", "length": "60", "meetings": "4"}


def _page(http, slug: str = "chips", **params: str):
    return http.get(f"/groups/{slug}/find-a-time", params=params)


def _rows(html: str, caption: str) -> list[str]:
    table = html.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.DOTALL)


def _api(http, slug: str = "chips", **params: str):
    return http.get(f"/api/v1/working-groups/{slug}/find-a-time", params=params)


# The page --------------------------------------------------------------------------------------------------------


def test_a_delegate_finds_the_best_times_and_a_fair_series(browser_as, make_user, make_group) -> None:
    alice = make_user(Role.delegate, "US")
    make_group("chips", (alice, MembershipRole.chair))
    answer = _page(browser_as(alice), **JANUARY)
    assert answer.status_code == 200
    html = answer.text
    assert "<h1>Find a time</h1>" in html
    best = _rows(html, "The best times, one per time of day, best first")
    assert len(best) == 10
    # January: no hour suits all four capitals. The best, 01:00 UTC, is 20:00 in Washington (60 minutes late)
    # and 06:30 in New Delhi (90 minutes early); Tokyo (10:00) and Canberra (12:00) are in working hours. The
    # days are Washington's, so the first is 01:00 UTC on the 13th: 20:00 on the 12th in Washington.
    first = best[0]
    assert 'datetime="2026-01-13T01:00:00+00:00"' in first
    assert first.count("Outside working hours by 60 min") == 1 and first.count("Outside working hours by 90 min") == 1
    assert first.count("Within working hours") == 2
    assert "150 min in all" in first and "Most: 90 min in New Delhi" in first
    # Washington's evening is the viewer's own: her column shows the time in New York.
    assert "EST" in first and "Days in your time zone, America/New_York" in html
    series = _rows(html, "The proposed series, in date order")
    assert len(series) == 4
    assert 'role="img"' in html and '<desc id="totals-desc">Washington:' in html
    totals = dict(re.findall(r"<tr><th scope=\"row\">([^<(]+) \([^)]+\)</th><td>(\d+) min</td></tr>", html))
    assert set(totals) == {"Washington", "Tokyo", "Canberra", "New Delhi"}
    # The chart's bars and its table say the same: the longest bar belongs to the largest total.
    widths = [int(w) for w in re.findall(r'<rect x="120" y="\d+" width="(\d+)"', html)]
    assert len(widths) == 4 and max(widths) == 220
    assert list(totals.values())[widths.index(220)] == str(max(int(v) for v in totals.values()))


def test_the_form_starts_with_tomorrow_and_two_weeks(browser_as, make_user, make_group) -> None:
    officer = make_user(Role.secretariat)
    make_group("chips")
    html = _page(browser_as(officer)).text
    first = date.fromisoformat(re.search(r'id="date_from"[^>]*value="([\d-]+)"', html).group(1))
    last = date.fromisoformat(re.search(r'id="date_to"[^>]*value="([\d-]+)"', html).group(1))
    assert first - timedelta(days=2) < datetime.now().date() < first + timedelta(days=1)
    assert (last - first).days == 13
    assert 'value="08:00"' in tag(html, "hours_from") and 'value="20:00"' in tag(html, "hours_to")
    assert "Days in your time zone, UTC" in html  # the secretariat has no country
    assert len(_rows(html, "The proposed series, in date order")) == 4


def test_the_viewer_column_follows_the_profile_zone(browser_as, make_user, make_group, db: Session) -> None:
    hanako = make_user(Role.delegate, "JP")
    make_group("chips", (hanako, MembershipRole.member))
    assert "Days in your time zone, Asia/Tokyo" in _page(browser_as(hanako), **JANUARY).text
    hanako.time_zone = "Europe/London"
    db.commit()
    html = _page(browser_as(hanako), **JANUARY).text
    assert "Days in your time zone, Europe/London" in html
    # Days are London's: the first candidate is at 00:00 GMT on 12 January.
    assert "GMT" in _rows(html, "The best times, one per time of day, best first")[0]


def test_every_mistake_is_shown_beside_its_field_and_what_was_typed_is_kept(browser_as, make_user, make_group) -> None:
    alice = make_user(Role.delegate, "US")
    make_group("chips", (alice, MembershipRole.member))
    answer = _page(
        browser_as(alice),
        date_from="2026-01-01",
        date_to="2026-03-01",
        length="5",
        hours_from="20:00",
        hours_to="08:00",
        meetings="0",
    )
    assert answer.status_code == 422
    assert summary_links(answer.text) == ["date_to", "length", "hours_to", "meetings"]
    assert field_error(answer.text, "date_to") == "choose at most 31 days"
    assert field_error(answer.text, "length") == "a meeting lasts from 15 to 480 minutes"
    assert field_error(answer.text, "hours_to") == "the end of working hours must be after their start"
    assert field_error(answer.text, "meetings") == "a series has from 1 to 12 meetings"
    assert 'value="5"' in tag(answer.text, "length") and 'aria-invalid="true"' in tag(answer.text, "length")
    assert 'value="2026-03-01"' in tag(answer.text, "date_to")
    assert "Best times" not in answer.text


def test_text_that_is_not_a_date_a_time_or_a_number(browser_as, make_user, make_group) -> None:
    alice = make_user(Role.delegate, "US")
    make_group("chips", (alice, MembershipRole.member))
    answer = _page(browser_as(alice), date_from="next monday", length="an hour", hours_from="8am", meetings="4")
    assert answer.status_code == 422
    assert summary_links(answer.text) == ["date_from", "length", "hours_from"]
    assert field_error(answer.text, "date_from") == "enter a date such as 2026-03-09"
    assert field_error(answer.text, "hours_from") == "enter a time such as 08:00"
    assert 'value="next monday"' in tag(answer.text, "date_from")
    # More meetings than days is the meetings' mistake.
    fewer = _page(browser_as(alice), date_from="2026-01-12", date_to="2026-01-13", meetings="3")
    assert fewer.status_code == 422
    assert field_error(fewer.text, "meetings") == "at most one meeting a day: choose 2 or fewer"


def test_the_page_in_japanese(browser_as, make_user, make_group) -> None:
    hanako = make_user(Role.delegate, "JP")
    make_group("chips", (hanako, MembershipRole.member))
    http = browser_as(hanako)
    html = http.get("/groups/chips/find-a-time", params=JANUARY, headers=JA).text
    assert f"<h1>{ja('Find a time')}</h1>" in html
    assert ja("Tokyo") in html and ja("New Delhi") in html
    wrong = http.get("/groups/chips/find-a-time", params={**JANUARY, "length": "1000"}, headers=JA)
    assert wrong.status_code == 422
    assert ja("There is a problem") in error_summary(wrong.text)
    assert field_error(wrong.text, "length") == ja("a meeting lasts from %(low)d to %(high)d minutes") % {
        "low": 15,
        "high": 480,
    }


def test_who_may_open_the_page(browser_as, make_user, make_group, client) -> None:
    make_group("chips")
    assert _page(client).status_code == 303  # to sign in
    for refused in (make_user(Role.industry, "JP"), make_user(Role.industry, "US", status=UserStatus.pending)):
        assert _page(browser_as(refused)).status_code == 403
    assert _page(browser_as(make_user(Role.observer, "AU"))).status_code == 200
    assert _page(browser_as(make_user(Role.delegate, "IN")), slug="no-such-group").status_code == 404


# The API ---------------------------------------------------------------------------------------------------------


def test_the_api_answers_the_same_question(api_as, browser_as, make_user, make_group) -> None:
    delegate = make_user(Role.delegate, "IN")
    make_group("chips", (delegate, MembershipRole.member))
    answer = _api(api_as(delegate), **JANUARY)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["time_zone"] == "Asia/Kolkata"  # the caller's country's capital
    assert body["length_minutes"] == 60 and body["hours_from"] == "08:00:00"
    assert body["candidates"] == 7 * 48
    assert len(body["best_slots"]) == 10 and len(body["rotation"]) == 4
    best = body["best_slots"][0]
    assert best["total_burden_minutes"] == 150 and best["largest_burden_minutes"] == 90
    assert [c["country_code"] for c in best["capitals"]] == ["US", "JP", "AU", "IN"]
    delhi = best["capitals"][3]
    assert delhi["starts_at"].endswith("+05:30") and delhi["burden_minutes"] == 90 and delhi["outside_working_hours"]
    assert [c["city"] for c in best["capitals"]] == ["Washington", "Tokyo", "Canberra", "New Delhi"]
    totals = {row["country_code"]: row["burden_minutes"] for row in body["rotation_totals"]}
    for index, code in enumerate(["US", "JP", "AU", "IN"]):
        assert totals[code] == sum(slot["capitals"][index]["burden_minutes"] for slot in body["rotation"])
    days = {slot["starts_at"][:10] for slot in body["rotation"]}
    assert len(days) <= 4 and [s["starts_at"] for s in body["rotation"]] == sorted(
        s["starts_at"] for s in body["rotation"]
    )
    # The page, in New Delhi's days too, shows the same best slot first.
    page = _page(browser_as(delegate), **JANUARY).text
    row = _rows(page, "The best times, one per time of day, best first")[0]
    assert f'datetime="{best["starts_at"].replace("Z", "+00:00")}"' in row


def test_the_api_reports_daylight_saving_in_local_offsets(api_as, make_user, make_group) -> None:
    """Around the US change of 8 March 2026: the same UTC hour is two options, an hour apart in Washington."""
    delegate = make_user(Role.delegate, "US")
    make_group("chips", (delegate, MembershipRole.member))
    body = _api(
        api_as(delegate), date_from="2026-03-05", date_to="2026-03-11", length="60", meetings="7", time_zone="UTC"
    ).json()
    washington = {}
    for slot in body["best_slots"]:
        us = slot["capitals"][0]
        washington.setdefault(slot["starts_at"][11:16], set()).add(us["starts_at"][11:])
    shifted = {hour: local for hour, local in washington.items() if len(local) == 2}
    assert shifted, f"no UTC hour appears before and after the change: {washington}"
    for local in shifted.values():
        assert {value[-6:] for value in local} == {"-05:00", "-04:00"}
    tokyo = {slot["capitals"][1]["starts_at"][-6:] for slot in body["best_slots"]}
    assert tokyo == {"+09:00"}


def test_api_mistakes_are_problems_naming_the_field(api_as, make_user, make_group) -> None:
    delegate = make_user(Role.delegate, "US")
    make_group("chips", (delegate, MembershipRole.member))
    http = api_as(delegate)
    cases = {
        "date_to": {**JANUARY, "date_to": "2026-03-01"},
        "length": {**JANUARY, "length": "481"},
        "hours_to": {**JANUARY, "hours_from": "09:00", "hours_to": "09:00"},
        "meetings": {**JANUARY, "meetings": "8"},
        "time_zone": {**JANUARY, "time_zone": "Mars/Olympus_Mons"},
        "date_from": {**JANUARY, "date_from": "soon"},
    }
    for field, params in cases.items():
        answer = _api(http, **params)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        problem = answer.json()
        assert problem["errors"][0]["loc"] == ["query", field], problem
        assert field in problem["detail"]
    missing = _api(http, length="60")
    assert missing.status_code == 422 and {tuple(e["loc"]) for e in missing.json()["errors"]} == {
        ("query", "date_from"),
        ("query", "date_to"),
    }
    far = _api(http, date_from="9999-12-01", date_to="9999-12-31")
    assert far.status_code == 422 and far.json()["errors"][0]["loc"] == ["query", "date_from"]
    zoned = _api(http, **{**JANUARY, "hours_from": "08:00+09:00"})
    assert zoned.status_code == 422 and zoned.json()["errors"][0]["loc"] == ["query", "hours_from"]


def test_who_may_call_the_api(api_as, make_user, make_group, client) -> None:
    make_group("chips")
    assert _api(client, **JANUARY).status_code == 401
    industry = _api(api_as(make_user(Role.industry, "AU")), **JANUARY)
    assert industry.status_code == 403 and industry.headers["content-type"].startswith("application/problem+json")
    assert _api(api_as(make_user(Role.secretariat)), **JANUARY).status_code == 200
    assert _api(api_as(make_user(Role.observer, "JP")), slug="missing", **JANUARY).status_code == 404
