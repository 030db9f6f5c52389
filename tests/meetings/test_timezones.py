"""The four capitals' clocks, burden outside working hours, ranking and fair rotation, across DST changes.

2026's changes: the US moves forward on Sunday 8 March (second Sunday) and back on Sunday 1 November (first
Sunday); Australia (southern hemisphere, the other way round) moves back on Sunday 5 April and forward on
Sunday 4 October (first Sundays). Tokyo and New Delhi keep one offset all year; New Delhi's is +05:30.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.core.errors import DomainError, InvalidInput
from app.meetings.timezones import (
    CAPITALS,
    RankedSlot,
    WorkingHours,
    burden_minutes,
    capitals_strip,
    default_time_zone,
    distinct_options,
    fair_rotation,
    find_time_errors,
    find_time_query,
    rank_slots,
    validate_time_zone,
    viewer_time_zone,
)

HOUR = timedelta(hours=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def strip_by_country(starts: datetime, ends: datetime, viewer: str = "UTC") -> dict[str, object]:
    return {entry.capital.country_code: entry for entry in capitals_strip(starts, ends, viewer)}


# Zones ---------------------------------------------------------------------------------------------------------


def test_the_four_capitals_and_their_zones() -> None:
    assert [(c.country_code, c.zone) for c in CAPITALS] == [
        ("US", "America/New_York"),
        ("JP", "Asia/Tokyo"),
        ("AU", "Australia/Sydney"),
        ("IN", "Asia/Kolkata"),
    ]
    assert default_time_zone("AU") == "Australia/Sydney"
    assert default_time_zone(None) == "UTC"
    assert viewer_time_zone("Europe/London", "JP") == "Europe/London"
    assert viewer_time_zone(None, "IN") == "Asia/Kolkata"


def test_canberra_keeps_sydneys_clock_all_year() -> None:
    """Why Australia/Sydney stands for Canberra: tzdata's Australia/Canberra is a link to it."""
    for day in (date(2026, 1, 15), date(2026, 4, 5), date(2026, 7, 1), date(2026, 10, 4)):
        for hour in range(24):
            moment = datetime.combine(day, time(hour), tzinfo=UTC)
            canberra = moment.astimezone(ZoneInfo("Australia/Canberra"))
            sydney = moment.astimezone(ZoneInfo("Australia/Sydney"))
            assert canberra.utcoffset() == sydney.utcoffset()


def test_an_unknown_country_or_zone_is_the_fields_error() -> None:
    with pytest.raises(InvalidInput) as raised:
        default_time_zone("FR")
    assert raised.value.field == "country" and raised.value.status == 422
    for bad in ("Mars/Olympus_Mons", "", "   ", "../../etc/passwd", "/etc/localtime", "Asia/Tokyo\n"):
        with pytest.raises(DomainError) as refused:
            validate_time_zone(bad if bad != "Asia/Tokyo\n" else "Asia/Tokyo\x00")
        assert refused.value.field == "time_zone" and refused.value.status == 422
    with pytest.raises(InvalidInput) as named:
        validate_time_zone("Nowhere/Town", field="viewer_zone")
    assert named.value.field == "viewer_zone"
    assert validate_time_zone(" Australia/Canberra ") == "Australia/Canberra"


# Burden ----------------------------------------------------------------------------------------------------------


def test_burden_is_how_far_the_meeting_reaches_outside_working_hours() -> None:
    tokyo = "Asia/Tokyo"  # UTC+9 all year
    assert burden_minutes(utc(2026, 1, 5, 0), utc(2026, 1, 5, 2), tokyo) == 0  # 09:00-11:00
    assert burden_minutes(utc(2026, 1, 5, 10, 30), utc(2026, 1, 5, 11, 30), tokyo) == 30  # 19:30-20:30
    assert burden_minutes(utc(2026, 1, 5, 12), utc(2026, 1, 5, 13), tokyo) == 120  # 21:00-22:00
    assert burden_minutes(utc(2026, 1, 5, 18), utc(2026, 1, 5, 19), tokyo) == 300  # 03:00-04:00
    assert burden_minutes(utc(2026, 1, 5, 22), utc(2026, 1, 5, 23), tokyo) == 60  # 07:00-08:00
    # A meeting across the whole night reaches its middle: 02:00, six hours from either edge.
    assert burden_minutes(utc(2026, 1, 5, 10), utc(2026, 1, 6, 0), tokyo) == 360
    # Settable working hours.
    assert burden_minutes(utc(2026, 1, 5, 10, 30), utc(2026, 1, 5, 11, 30), tokyo, WorkingHours(time(9), time(21))) == 0


def test_new_delhis_half_hour_offset() -> None:
    delhi = "Asia/Kolkata"  # UTC+05:30: 02:30 UTC is 08:00 in New Delhi
    assert burden_minutes(utc(2026, 6, 1, 2, 30), utc(2026, 6, 1, 3, 30), delhi) == 0
    assert burden_minutes(utc(2026, 6, 1, 2), utc(2026, 6, 1, 3), delhi) == 30  # 07:30
    strip = strip_by_country(utc(2026, 6, 1, 2, 30), utc(2026, 6, 1, 3, 30))
    assert strip["IN"].starts_at.strftime("%H:%M %z") == "08:00 +0530"
    # Ranked from New Delhi's midnight: the first candidate starts at 18:30 UTC the day before.
    slots = rank_slots(date(2026, 6, 1), date(2026, 6, 1), HOUR, zone=delhi)
    assert min(slot.starts_at for slot in slots) == utc(2026, 5, 31, 18, 30)
    assert len(slots) == 48


# DST -------------------------------------------------------------------------------------------------------------


def test_washington_springs_forward_on_the_second_sunday_of_march() -> None:
    # The same 12:00 UTC is 07:00 EST on Saturday and 08:00 EDT on Monday.
    before = strip_by_country(utc(2026, 3, 7, 12), utc(2026, 3, 7, 13))["US"]
    after = strip_by_country(utc(2026, 3, 9, 12), utc(2026, 3, 9, 13))["US"]
    assert before.starts_at.strftime("%H:%M %Z") == "07:00 EST" and before.burden == 60
    assert after.starts_at.strftime("%H:%M %Z") == "08:00 EDT" and after.burden == 0
    # On the Sunday itself the change is at 02:00 local, so 08:00 is already EDT (12:00 UTC).
    assert strip_by_country(utc(2026, 3, 8, 12), utc(2026, 3, 8, 13))["US"].burden == 0
    # Tokyo and New Delhi do not move.
    for country in ("JP", "IN"):
        offsets = {
            strip_by_country(utc(2026, 3, d, 12), utc(2026, 3, d, 13))[country].starts_at.utcoffset() for d in (7, 9)
        }
        assert len(offsets) == 1


def test_washington_falls_back_on_the_first_sunday_of_november() -> None:
    before = strip_by_country(utc(2026, 10, 31, 12), utc(2026, 10, 31, 13))["US"]
    after = strip_by_country(utc(2026, 11, 2, 12), utc(2026, 11, 2, 13))["US"]
    assert before.starts_at.strftime("%H:%M %Z") == "08:00 EDT" and before.burden == 0
    assert after.starts_at.strftime("%H:%M %Z") == "07:00 EST" and after.burden == 60
    # Sunday 1 November: 05:30-06:30 UTC is 01:30 EDT to 01:30 EST: an hour long, though both ends read 01:30.
    sunday = strip_by_country(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30))["US"]
    assert sunday.starts_at.strftime("%H:%M %Z") == "01:30 EDT"
    assert sunday.ends_at.strftime("%H:%M %Z") == "01:30 EST"
    assert sunday.burden == 390  # 01:30 EST is 6 h 30 min from 08:00


def test_canberra_falls_back_on_the_first_sunday_of_april() -> None:
    # 21:00 UTC is 08:00 AEDT on Friday 3 April and 07:00 AEST on Monday 6 April: clocks go back in April in
    # the southern hemisphere, and a fixed +11 offset would call the Monday meeting on time.
    before = strip_by_country(utc(2026, 4, 2, 21), utc(2026, 4, 2, 22))["AU"]
    after = strip_by_country(utc(2026, 4, 5, 21), utc(2026, 4, 5, 22))["AU"]
    assert before.starts_at.strftime("%H:%M %Z") == "08:00 AEDT" and before.burden == 0
    assert after.starts_at.strftime("%H:%M %Z") == "07:00 AEST" and after.burden == 60
    # Sunday 5 April itself: the change is at 03:00 AEDT, so 08:00 that morning is already AEST (22:00 UTC).
    assert burden_minutes(utc(2026, 4, 4, 21), utc(2026, 4, 4, 22), "Australia/Sydney") == 60
    assert burden_minutes(utc(2026, 4, 4, 22), utc(2026, 4, 4, 23), "Australia/Sydney") == 0


def test_canberra_springs_forward_on_the_first_sunday_of_october() -> None:
    before = strip_by_country(utc(2026, 10, 2, 22), utc(2026, 10, 2, 23))["AU"]
    after = strip_by_country(utc(2026, 10, 5, 22), utc(2026, 10, 5, 23))["AU"]
    assert before.starts_at.strftime("%H:%M %Z") == "08:00 AEST" and before.burden == 0
    assert after.starts_at.strftime("%H:%M %Z") == "09:00 AEDT" and after.burden == 0
    # The evening edge moves too: 09:00-10:00 UTC is 19:00-20:00 AEST before, 20:00-21:00 AEDT after.
    assert burden_minutes(utc(2026, 10, 2, 9), utc(2026, 10, 2, 10), "Australia/Sydney") == 0
    assert burden_minutes(utc(2026, 10, 5, 9), utc(2026, 10, 5, 10), "Australia/Sydney") == 60


def test_the_best_slots_move_by_an_hour_across_the_us_change() -> None:
    """A week around 8 March: the same UTC hour scores differently before and after, so it is two options."""
    ranked = rank_slots(date(2026, 3, 5), date(2026, 3, 11), HOUR)
    by_start = {slot.starts_at: slot for slot in ranked}
    assert by_start[utc(2026, 3, 6, 12)].burden_of("US") == 60  # 07:00 EST
    assert by_start[utc(2026, 3, 10, 12)].burden_of("US") == 0  # 08:00 EDT
    assert by_start[utc(2026, 3, 6, 12)].burden_of("JP") == by_start[utc(2026, 3, 10, 12)].burden_of("JP")
    options = distinct_options(ranked, len(ranked))
    twelve = [slot for slot in options if slot.starts_at.time() == time(12)]
    assert len(twelve) == 2, "12:00 UTC before and after the change are different options"
    assert len({(slot.starts_at.time(), slot.burdens) for slot in options}) == len(options)


# The strip -------------------------------------------------------------------------------------------------------


def test_a_meeting_that_crosses_midnight_in_tokyo() -> None:
    """14:00-16:00 UTC in January, seen from Washington: 23:00-01:00 in Tokyo, 01:00-03:00 next day in Canberra."""
    strip = strip_by_country(utc(2026, 1, 14, 14), utc(2026, 1, 14, 16), "America/New_York")
    assert strip["US"].starts_at.strftime("%Y-%m-%d %H:%M") == "2026-01-14 09:00"
    assert strip["JP"].starts_at.strftime("%Y-%m-%d %H:%M") == "2026-01-14 23:00"
    assert strip["JP"].ends_at.strftime("%Y-%m-%d %H:%M") == "2026-01-15 01:00"
    assert strip["JP"].crosses_midnight and not strip["JP"].other_day
    assert strip["AU"].other_day and not strip["AU"].crosses_midnight
    assert strip["IN"].starts_at.strftime("%H:%M") == "19:30" and not strip["IN"].other_day
    assert [strip[c].outside_hours for c in ("US", "JP", "AU", "IN")] == [False, True, True, True]
    assert strip["JP"].burden == 300  # its end, 01:00, is five hours past 20:00
    assert strip["AU"].burden == 360  # 01:00-03:00 passes 02:00, the middle of the night, six hours from both edges


def test_the_strip_refuses_an_empty_meeting_and_an_unknown_viewer_zone() -> None:
    with pytest.raises(InvalidInput) as empty:
        capitals_strip(utc(2026, 1, 1, 9), utc(2026, 1, 1, 9), "UTC")
    assert empty.value.field == "ends_at"
    with pytest.raises(InvalidInput) as zone:
        capitals_strip(utc(2026, 1, 1, 9), utc(2026, 1, 1, 10), "Atlantis/Capital")
    assert zone.value.field == "time_zone"
    with pytest.raises(ValueError, match="zone"):
        capitals_strip(datetime(2026, 1, 1, 9), utc(2026, 1, 1, 10), "UTC")


# Ranking ---------------------------------------------------------------------------------------------------------


def test_slots_are_ranked_by_total_burden_then_the_worst_then_time() -> None:
    ranked = rank_slots(date(2026, 1, 12), date(2026, 1, 13), HOUR)
    assert len(ranked) == 2 * 48
    keys = [(slot.total, slot.worst, slot.starts_at) for slot in ranked]
    assert keys == sorted(keys)
    best = ranked[0]
    # January: Washington UTC-5, Tokyo +9, Canberra +11, New Delhi +05:30. No hour suits all four; the best
    # total is 150 minutes, and among those the one that spreads it best leaves no one more than 90 minutes.
    assert best.total == 150 and best.worst == 90
    assert all(slot.total >= best.total for slot in ranked)
    # Every slot's burdens agree with the strip's.
    strip = capitals_strip(best.starts_at, best.ends_at, "UTC")
    assert tuple(entry.burden for entry in strip) == best.burdens
    assert ranked[-1].worst == 360  # the worst slot puts someone at 02:00, as far from working hours as can be


@pytest.mark.parametrize(
    ("first", "last", "zone"),
    [
        (date(2026, 3, 6), date(2026, 3, 10), "America/New_York"),  # US spring forward
        (date(2026, 4, 3), date(2026, 4, 7), "Australia/Sydney"),  # Australia falls back
        (date(2026, 10, 30), date(2026, 11, 3), "Asia/Kolkata"),  # US falls back, days of New Delhi
    ],
)
def test_ranking_weighs_each_slot_as_a_single_meeting_would_be(first: date, last: date, zone: str) -> None:
    """rank_slots works out each capital's nights once for the range; every slot must still score exactly as
    burden_minutes scores that meeting alone, across the changes, for a meeting longer than a night's edge."""
    hours = WorkingHours(time(9), time(17, 30))
    for slot in rank_slots(first, last, timedelta(minutes=150), hours, zone=zone):
        alone = tuple(burden_minutes(slot.starts_at, slot.ends_at, capital.zone, hours) for capital in CAPITALS)
        assert slot.burdens == alone, slot.starts_at


def test_working_hours_and_step_change_the_candidates() -> None:
    wide = rank_slots(date(2026, 1, 12), date(2026, 1, 12), HOUR, WorkingHours(time(7), time(22)))
    assert wide[0].total < 150
    hourly = rank_slots(date(2026, 1, 12), date(2026, 1, 12), HOUR, step=HOUR)
    assert len(hourly) == 24 and all(slot.starts_at.minute == 0 for slot in hourly)


# Fair rotation ---------------------------------------------------------------------------------------------------


def _slot(day: int, hour: int, burdens: tuple[int, int, int, int]) -> RankedSlot:
    starts = utc(2026, 2, day, hour)
    return RankedSlot(starts, starts + HOUR, starts.date(), burdens)


def test_rotation_spreads_the_night_instead_of_repeating_the_balanced_slot() -> None:
    """Each day offers a slot hurting everyone by 200 minutes, and four slots each hurting one capital by 400.
    Repeating the balanced slot gives every capital 800 over four meetings; rotating the four gives 400 each."""
    slots = []
    for day in range(1, 5):
        slots.append(_slot(day, 0, (200, 200, 200, 200)))
        for index in range(4):
            burdens = [0, 0, 0, 0]
            burdens[index] = 400
            slots.append(_slot(day, 1 + index, (burdens[0], burdens[1], burdens[2], burdens[3])))
    rotation = fair_rotation(slots, 4)
    assert rotation.totals == (400, 400, 400, 400)
    assert {slot.worst_capital.country_code for slot in rotation.meetings if slot.worst_capital} == {
        "US",
        "JP",
        "AU",
        "IN",
    }
    assert len({slot.day for slot in rotation.meetings}) == 4, "one meeting a day"
    assert [slot.starts_at for slot in rotation.meetings] == sorted(slot.starts_at for slot in rotation.meetings)


def test_rotation_across_real_capitals_is_fairer_than_the_best_slot_repeated() -> None:
    ranked = rank_slots(date(2026, 1, 12), date(2026, 1, 25), HOUR)
    repeated = [slot for slot in ranked if slot.burdens == ranked[0].burdens][:6]
    repeated_largest = max(sum(slot.burdens[i] for slot in repeated) for i in range(4))
    rotation = fair_rotation(ranked, 6)
    assert len(rotation.meetings) == 6
    assert len({slot.day for slot in rotation.meetings}) == 6
    assert rotation.largest_total < repeated_largest
    worst_hit = [slot.worst_capital for slot in rotation.meetings if slot.worst_capital]
    assert len({capital.country_code for capital in worst_hit}) >= 2, "no single capital bears every worst hour"
    assert rotation.totals == tuple(sum(slot.burdens[i] for slot in rotation.meetings) for i in range(4))
    assert rotation.total_of("US") == rotation.totals[0]


def test_rotation_with_fewer_days_than_meetings_takes_what_there_is() -> None:
    ranked = rank_slots(date(2026, 1, 12), date(2026, 1, 13), HOUR)
    assert len(fair_rotation(ranked, 5).meetings) == 2
    assert fair_rotation([], 3).meetings == ()
    with pytest.raises(ValueError):
        fair_rotation(ranked, 0)


# The question ----------------------------------------------------------------------------------------------------


def _question(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "day_from": date(2026, 5, 1),
        "day_to": date(2026, 5, 7),
        "length_minutes": 90,
        "hours_from": time(8),
        "hours_to": time(20),
        "meetings": 3,
    }
    return {**values, **changes}


def test_a_good_question_is_kept() -> None:
    query = find_time_query(**_question(), zone="Asia/Tokyo")  # type: ignore[arg-type]
    assert query.length == timedelta(minutes=90) and query.hours == WorkingHours(time(8), time(20))
    assert query.zone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"day_to": date(2026, 4, 30)}, "date_to"),
        ({"day_to": date(2026, 6, 1)}, "date_to"),  # 32 days
        ({"length_minutes": 14}, "length"),
        ({"length_minutes": 481}, "length"),
        ({"hours_to": time(8)}, "hours_to"),
        ({"meetings": 0}, "meetings"),
        ({"meetings": 13, "day_to": date(2026, 5, 31)}, "meetings"),
        ({"meetings": 8}, "meetings"),  # more meetings than days
    ],
)
def test_a_bad_question_names_its_field(changes: dict[str, object], field: str) -> None:
    errors = find_time_errors(**_question(**changes))  # type: ignore[arg-type]
    assert [error.field for error in errors] == [field]
    with pytest.raises(InvalidInput) as raised:
        find_time_query(**_question(**changes), zone="UTC")  # type: ignore[arg-type]
    assert raised.value.field == field and raised.value.status == 422


def test_thirty_one_days_are_allowed_and_every_error_is_listed() -> None:
    assert find_time_errors(**_question(day_to=date(2026, 5, 31))) == []  # type: ignore[arg-type]
    errors = find_time_errors(**_question(day_to=date(2026, 6, 2), length_minutes=5, hours_to=time(7), meetings=99))  # type: ignore[arg-type]
    assert [error.field for error in errors] == ["date_to", "length", "hours_to", "meetings"]
    with pytest.raises(InvalidInput) as zone:
        find_time_query(**_question(), zone="Moon/Base")  # type: ignore[arg-type]
    assert zone.value.field == "time_zone"
