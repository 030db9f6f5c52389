"""Times across the four capitals: local times, working-hours burden, ranked slots and a fair rotation.

Pure: zoneinfo and the standard library only, so meetings, calendars and pages share one definition of what
"outside working hours" means, and tests can pin daylight-saving edges without a database.

**Burden** of a meeting in a capital: how far, in minutes, the meeting reaches outside that capital's working
hours: the distance from the furthest point of the meeting to the nearest edge of a working day. A meeting
wholly inside working hours has burden 0; 19:30–20:30 has 30 (it runs half an hour late); 03:00–04:00 has 300
(its start lies five hours before 08:00). Unlike "minutes outside", a meeting at 03:00 weighs more than one at
21:00, which is what people mean by "getting the night". Working days are taken in local wall-clock time and
turned into UTC through zoneinfo, so a daylight-saving change moves them by the right hour on the right day.

**Ranking** of candidate slots: by the *sum* of the four burdens first (the least inconvenience overall), then
by the *largest* single burden (between two slots as bad in total, the one that spares the worst-hit capital),
then by the earlier start. The sum comes first because the max alone would prefer a slot that hurts all four
capitals a little over one that hurts a single capital slightly more.

**Fair rotation** for a series: the meetings (one a day at most) whose burdens, added up per capital over the
series, make the *largest capital total as small as possible*, then the overall total. Repeating the single
best slot would put the night on the same capital every time; minimising the largest total makes the burden
rotate. See `fair_rotation` for how the series is searched.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.core.errors import N_, InvalidInput


@dataclass(frozen=True)
class Capital:
    country_code: str
    city: str  # an N_() name: pages translate it
    zone: str


# Canberra keeps Sydney's clock: "Australia/Canberra" is only a link to "Australia/Sydney" in tzdata.
CAPITALS: tuple[Capital, ...] = (
    Capital("US", N_("Washington"), "America/New_York"),
    Capital("JP", N_("Tokyo"), "Asia/Tokyo"),
    Capital("AU", N_("Canberra"), "Australia/Sydney"),
    Capital("IN", N_("New Delhi"), "Asia/Kolkata"),
)
CAPITAL_BY_COUNTRY = {capital.country_code: capital for capital in CAPITALS}
FALLBACK_TIME_ZONE = "UTC"  # people with no country (the secretariat, admins) see UTC unless they choose


@dataclass(frozen=True)
class WorkingHours:
    """A working day in local wall-clock time; the end is after the start (no night shifts)."""

    start: time = time(8)
    end: time = time(20)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput(N_("the end of working hours must be after their start"), field="hours_to")


DEFAULT_WORKING_HOURS = WorkingHours()
DEFAULT_STEP = timedelta(minutes=30)


def default_time_zone(country_code: str | None) -> str:
    """The zone of a country's capital; UTC for a person without a country."""
    if country_code is None:
        return FALLBACK_TIME_ZONE
    capital = CAPITAL_BY_COUNTRY.get(country_code)
    if capital is None:
        raise InvalidInput(N_("choose one of the four countries"), field="country")
    return capital.zone


def validate_time_zone(name: str, *, field: str = "time_zone") -> str:
    """An IANA zone name zoneinfo can load, stripped; anything else (a typo, a path) is the field's error."""
    name = name.strip()
    try:
        if not name:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(N_("That time zone is unknown. Choose one from the list."), field=field) from None
    return name


def viewer_time_zone(chosen: str | None, country_code: str | None) -> str:
    """The zone a person reads times in: their own choice, else their country's capital, else UTC."""
    return chosen or default_time_zone(country_code)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a meeting time must carry its zone (stored times are UTC)")
    return moment.astimezone(UTC)


def _zone(name: str | tzinfo) -> tzinfo:
    return ZoneInfo(name) if isinstance(name, str) else name


Interval = tuple[datetime, datetime]


def _nights(since: datetime, until: datetime, zone: tzinfo, hours: WorkingHours) -> list[Interval]:
    """The nights (the time between two working days) around `since`..`until`, as UTC intervals in time order:
    from the end of the local day before `since` to the start of the local day after `until`."""
    first = since.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date() + timedelta(days=1)
    windows = []
    day = first
    while day <= last:
        windows.append(
            (
                datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC),
                datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC),
            )
        )
        day += timedelta(days=1)
    return [(day_ends, next_day_starts) for (_, day_ends), (next_day_starts, _) in pairwise(windows)]


def _furthest_outside(start: datetime, end: datetime, nights: Sequence[Interval], first: int = 0) -> int:
    """Minutes from the meeting's point deepest into a night to that night's nearest edge; `nights[first:]` are
    those that may overlap the meeting (every earlier one ends before it starts)."""
    furthest = timedelta(0)
    for night_starts, night_ends in nights[first:]:
        if night_starts >= end:
            break
        inside_from, inside_to = max(start, night_starts), min(end, night_ends)
        if inside_from >= inside_to:
            continue
        middle = night_starts + (night_ends - night_starts) / 2  # the point of the night furthest from both edges
        deepest = min(max(middle, inside_from), inside_to)
        furthest = max(furthest, min(deepest - night_starts, night_ends - deepest))
    return int(furthest.total_seconds() // 60)


def burden_minutes(
    starts_at: datetime, ends_at: datetime, zone: str | tzinfo, hours: WorkingHours = DEFAULT_WORKING_HOURS
) -> int:
    """How far (minutes) the meeting reaches outside the working hours of `zone`: 0 when it lies inside them."""
    start, end = _utc(starts_at), _utc(ends_at)
    return _furthest_outside(start, end, _nights(start, end, _zone(zone), hours))


# The strip of the four capitals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapitalTime:
    capital: Capital
    starts_at: datetime  # local, aware
    ends_at: datetime
    other_day: bool  # the local date differs from the viewer's local date of the start
    crosses_midnight: bool  # the meeting ends on a later local date than it starts
    burden: int  # minutes outside working hours (see the module's docstring)

    @property
    def outside_hours(self) -> bool:
        return self.burden > 0


def capitals_strip(
    starts_at_utc: datetime,
    ends_at_utc: datetime,
    viewer_zone: str,
    hours: WorkingHours = DEFAULT_WORKING_HOURS,
) -> tuple[CapitalTime, ...]:
    """The meeting in each capital's local time, with the date when it is not the viewer's."""
    start, end = _utc(starts_at_utc), _utc(ends_at_utc)
    if end <= start:
        raise InvalidInput(N_("the end must be after the start"), field="ends_at")
    viewer_day = start.astimezone(_zone(validate_time_zone(viewer_zone))).date()
    strip = []
    for capital in CAPITALS:
        zone = ZoneInfo(capital.zone)
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        strip.append(
            CapitalTime(
                capital=capital,
                starts_at=local_start,
                ends_at=local_end,
                other_day=local_start.date() != viewer_day,
                # A meeting ending at 00:00 sharp ends on its start day.
                crosses_midnight=(local_end - timedelta(microseconds=1)).date() != local_start.date(),
                burden=burden_minutes(start, end, zone, hours),
            )
        )
    return tuple(strip)


# Ranking candidate slots ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedSlot:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    day: date  # the start's date in the zone the search was made in (one meeting a day in a series)
    burdens: tuple[int, ...]  # minutes, in the order of CAPITALS

    @property
    def total(self) -> int:
        return sum(self.burdens)

    @property
    def worst(self) -> int:
        return max(self.burdens)

    @property
    def worst_capital(self) -> Capital | None:
        """The capital bearing the largest burden (the first of equals), or None when no one works late."""
        if self.worst == 0:
            return None
        return CAPITALS[self.burdens.index(self.worst)]

    def burden_of(self, country_code: str) -> int:
        return self.burdens[CAPITALS.index(CAPITAL_BY_COUNTRY[country_code])]

    def rank_key(self) -> tuple[int, int, datetime]:
        return (self.total, self.worst, self.starts_at)


def rank_slots(
    day_from: date,
    day_to: date,
    length: timedelta,
    working_hours: WorkingHours = DEFAULT_WORKING_HOURS,
    step: timedelta = DEFAULT_STEP,
    zone: str = FALLBACK_TIME_ZONE,
) -> list[RankedSlot]:
    """Every start from 00:00 of `day_from` to the end of `day_to` (local days of `zone`), `step` apart, best
    first: by total burden, then the largest single burden, then the earlier start (module docstring)."""
    if length <= timedelta(0) or step <= timedelta(0):
        raise ValueError("length and step must be positive")
    local = ZoneInfo(zone)
    start = datetime.combine(day_from, time(0), tzinfo=local).astimezone(UTC)
    stop = datetime.combine(day_to + timedelta(days=1), time(0), tzinfo=local).astimezone(UTC)
    # Each capital's nights over the whole range, worked out once; each slot looks only at those near it.
    nights = [_nights(start, stop + length, ZoneInfo(capital.zone), working_hours) for capital in CAPITALS]
    night_ends = [[ends for _, ends in capital_nights] for capital_nights in nights]
    slots = []
    moment = start
    while moment < stop:
        ends = moment + length
        burdens = tuple(
            _furthest_outside(moment, ends, capital_nights, bisect_right(ends_of, moment))
            for capital_nights, ends_of in zip(nights, night_ends, strict=True)
        )
        slots.append(RankedSlot(moment, ends, moment.astimezone(local).date(), burdens))
        moment += step
    return sorted(slots, key=RankedSlot.rank_key)


def distinct_options(ranked: Iterable[RankedSlot], limit: int) -> list[RankedSlot]:
    """The best slots, one for each time of day (UTC) and burden profile: the same hour on the next day is
    not another option, but the same hour after a daylight-saving change is, since it lands elsewhere."""
    seen: set[tuple[time, tuple[int, ...]]] = set()
    found = []
    for slot in ranked:
        key = (slot.starts_at.timetz(), slot.burdens)
        if key in seen:
            continue
        seen.add(key)
        found.append(slot)
        if len(found) == limit:
            break
    return found


# Fair rotation across a series ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FairRotation:
    meetings: tuple[RankedSlot, ...]  # in time order
    totals: tuple[int, ...]  # burden added up per capital, in the order of CAPITALS

    @property
    def largest_total(self) -> int:
        return max(self.totals, default=0)

    def total_of(self, country_code: str) -> int:
        return self.totals[CAPITALS.index(CAPITAL_BY_COUNTRY[country_code])]


Series = tuple[RankedSlot, ...]


def _totals(series: Sequence[RankedSlot]) -> tuple[int, ...]:
    return tuple(sum(slot.burdens[index] for slot in series) for index in range(len(CAPITALS)))


def _unfairness(series: Sequence[RankedSlot]) -> tuple[int, int, tuple[int, ...]]:
    """Smaller is fairer: the largest capital total, then the overall total, then the totals from the largest
    down (so moving burden off one of two equally burdened capitals counts as progress, not as a tie)."""
    totals = _totals(series)
    return (max(totals), sum(totals), tuple(sorted(totals, reverse=True)))


class _Candidates:
    """The slots grouped by burden profile, each group in time order, to pick "the earliest slot like this one
    on a day the series does not use yet" quickly."""

    def __init__(self, slots: Iterable[RankedSlot]) -> None:
        groups: dict[tuple[int, ...], list[RankedSlot]] = {}
        for slot in sorted(slots, key=lambda s: s.starts_at):
            groups.setdefault(slot.burdens, []).append(slot)
        # Best profiles first, so ties in the search keep the better-ranked slot.
        self.groups = sorted(groups.values(), key=lambda group: group[0].rank_key())

    def earliest(self, group: list[RankedSlot], used_days: set[date]) -> RankedSlot | None:
        return next((slot for slot in group if slot.day not in used_days), None)

    def best_each_day(self, count: int) -> Series:
        """The baseline: the best-ranked slot, repeated on as many days as needed."""
        series: list[RankedSlot] = []
        days: set[date] = set()
        for group in self.groups:
            for slot in group:
                if len(series) == count:
                    return tuple(series)
                if slot.day not in days:
                    series.append(slot)
                    days.add(slot.day)
        return tuple(series)

    def greedy(self, count: int) -> Series:
        """Meeting by meeting, the slot that keeps the largest running total smallest."""
        series: list[RankedSlot] = []
        days: set[date] = set()
        for _ in range(count):
            choices = [slot for group in self.groups if (slot := self.earliest(group, days)) is not None]
            if not choices:
                break
            chosen = min(choices, key=lambda slot: _unfairness([*series, slot]))
            series.append(chosen)
            days.add(chosen.day)
        return tuple(series)

    def improve(self, series: Series, max_rounds: int = 200) -> Series:
        """Local search: replace one meeting by another slot while that makes the series fairer."""
        current = list(series)
        for _ in range(max_rounds):
            better = self._one_better(current)
            if better is None:
                break
            current = better
        return tuple(current)

    def _one_better(self, series: list[RankedSlot]) -> list[RankedSlot] | None:
        score = _unfairness(series)
        for index, replaced in enumerate(series):
            days = {slot.day for slot in series} - {replaced.day}
            for group in self.groups:
                slot = self.earliest(group, days)
                if slot is None or slot.burdens == replaced.burdens:
                    continue
                trial = [*series[:index], slot, *series[index + 1 :]]
                if _unfairness(trial) < score:
                    return trial
        return None


def fair_rotation(slots: Iterable[RankedSlot], count: int) -> FairRotation:
    """`count` meetings, at most one a day, whose per-capital burden totals have the smallest maximum (then the
    smallest sum): so the night rotates instead of falling on one capital every time.

    An exact search over every series is out of reach (hundreds of slots, up to a dozen meetings), so two
    starting series are improved by local search (swap one meeting while that lowers the score) and the better
    result is kept: the best slot repeated every day (whose fault is exactly the unfairness we remove), and a
    greedy series built meeting by meeting. Both starts matter: the greedy one alone can lock itself into a
    slot that hurts everyone a little, which no single swap leaves."""
    if count < 1:
        raise ValueError("a series has at least one meeting")
    candidates = _Candidates(slots)
    starts = [candidates.best_each_day(count), candidates.greedy(count)]
    improved = [candidates.improve(series) for series in starts if series]
    if not improved:
        return FairRotation((), tuple(0 for _ in CAPITALS))
    best = min(improved, key=lambda series: (*_unfairness(series), [slot.starts_at for slot in series]))
    ordered = tuple(sorted(best, key=lambda slot: slot.starts_at))
    return FairRotation(ordered, _totals(ordered))


# The find-a-time question, validated ----------------------------------------------------------------------------

MAX_RANGE_DAYS = 31
MIN_LENGTH_MINUTES, MAX_LENGTH_MINUTES = 15, 480
MAX_SERIES = 12
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)  # beyond them, zone rules are guesswork


@dataclass(frozen=True)
class FindTimeQuery:
    day_from: date
    day_to: date
    length_minutes: int
    hours: WorkingHours
    meetings: int
    zone: str  # the zone the dates are days of (the viewer's)

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.length_minutes)


def find_time_query(
    *,
    day_from: date,
    day_to: date,
    length_minutes: int,
    hours_from: time,
    hours_to: time,
    meetings: int,
    zone: str,
) -> FindTimeQuery:
    """The question asked on the find-a-time page and API, or the first thing wrong with it (field named)."""
    errors = find_time_errors(
        day_from=day_from,
        day_to=day_to,
        length_minutes=length_minutes,
        hours_from=hours_from,
        hours_to=hours_to,
        meetings=meetings,
    )
    if errors:
        raise errors[0]
    return FindTimeQuery(
        day_from, day_to, length_minutes, WorkingHours(hours_from, hours_to), meetings, validate_time_zone(zone)
    )


def find_time_errors(
    *, day_from: date, day_to: date, length_minutes: int, hours_from: time, hours_to: time, meetings: int
) -> list[InvalidInput]:
    """Every rule the question breaks, in the order of the form's fields."""
    errors = []
    span = (day_to - day_from).days + 1
    for day, name in ((day_from, "date_from"), (day_to, "date_to")):
        if not FIRST_DAY <= day <= LAST_DAY:
            errors.append(
                InvalidInput(
                    N_("choose a day from %(first)s to %(last)s"),
                    field=name,
                    first=FIRST_DAY.isoformat(),
                    last=LAST_DAY.isoformat(),
                )
            )
    days = None if errors else span  # a range between days out of bounds is not judged
    if days is not None and days < 1:
        errors.append(InvalidInput(N_("the last day must not be before the first"), field="date_to"))
    elif days is not None and days > MAX_RANGE_DAYS:
        errors.append(InvalidInput(N_("choose at most %(days)d days"), field="date_to", days=MAX_RANGE_DAYS))
    if not MIN_LENGTH_MINUTES <= length_minutes <= MAX_LENGTH_MINUTES:
        errors.append(
            InvalidInput(
                N_("a meeting lasts from %(low)d to %(high)d minutes"),
                field="length",
                low=MIN_LENGTH_MINUTES,
                high=MAX_LENGTH_MINUTES,
            )
        )
    if hours_from.tzinfo is not None or hours_to.tzinfo is not None:
        field = "hours_from" if hours_from.tzinfo is not None else "hours_to"
        errors.append(InvalidInput(N_("working hours are local times: leave out the zone"), field=field))
    elif hours_to <= hours_from:
        errors.append(InvalidInput(N_("the end of working hours must be after their start"), field="hours_to"))
    if not 1 <= meetings <= MAX_SERIES:
        errors.append(InvalidInput(N_("a series has from 1 to %(most)d meetings"), field="meetings", most=MAX_SERIES))
    elif days is not None and 1 <= days < meetings:
        errors.append(
            InvalidInput(N_("at most one meeting a day: choose %(days)d or fewer"), field="meetings", days=days)
        )
    return errors


# The answer ------------------------------------------------------------------------------------------------------

BEST_OPTIONS = 10


@dataclass(frozen=True)
class SlotTimes:
    """A slot with its local time in each capital, as the viewer reads it."""

    slot: RankedSlot
    capitals: tuple[CapitalTime, ...]
    viewer_zone: str = FALLBACK_TIME_ZONE

    @property
    def viewer_starts_at(self) -> datetime:
        return self.slot.starts_at.astimezone(ZoneInfo(self.viewer_zone))

    @property
    def viewer_ends_at(self) -> datetime:
        return self.slot.ends_at.astimezone(ZoneInfo(self.viewer_zone))


@dataclass(frozen=True)
class FindTimeResult:
    query: FindTimeQuery
    candidates: int  # how many starts were weighed
    options: tuple[SlotTimes, ...]  # the best distinct slots, best first
    rotation: tuple[SlotTimes, ...]  # the fair series, in time order
    totals: tuple[tuple[Capital, int], ...]  # the series' burden per capital
    largest_total: int


def find_time(query: FindTimeQuery, best: int = BEST_OPTIONS) -> FindTimeResult:
    """The find-a-time page's answer: the best slots in the range, and the fairest series of meetings."""
    ranked = rank_slots(query.day_from, query.day_to, query.length, query.hours, zone=query.zone)
    rotation = fair_rotation(ranked, query.meetings)

    def with_times(slot: RankedSlot) -> SlotTimes:
        return SlotTimes(slot, capitals_strip(slot.starts_at, slot.ends_at, query.zone, query.hours), query.zone)

    return FindTimeResult(
        query=query,
        candidates=len(ranked),
        options=tuple(with_times(slot) for slot in distinct_options(ranked, best)),
        rotation=tuple(with_times(slot) for slot in rotation.meetings),
        totals=tuple(zip(CAPITALS, rotation.totals, strict=True)),
        largest_total=rotation.largest_total,
    )
