"""When check-ins fall: rules expanded in the owner's own time zone, moved off weekends and holidays.

Expansion runs on naive local wall-clock datetimes (the way dateutil expects), and each occurrence is
then placed in the owner's `zoneinfo` zone, so 09:00 stays 09:00 local across DST changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TypedDict, Unpack
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_calendars
from dateutil.rrule import rrulestr
from dateutil.tz import resolve_imaginary

DEFAULT_TZ = "UTC"
# Moving an occurrence past a weekend plus a long holiday run never needs more than this.
MAX_SHIFT_DAYS = 14


class Recurrence(TypedDict):
    """What decides when a commitment's check-ins fall, passed on as keywords."""

    rule: str | None
    due_on: date | None
    starts_on: date
    at: time
    tz: ZoneInfo
    holiday_country: str | None


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


@lru_cache(maxsize=64)
def _calendar(country: str) -> holiday_calendars.HolidayBase:
    return holiday_calendars.country_holidays(country)


def known_holiday_country(country: str) -> bool:
    try:
        _calendar(country.upper())
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date, *, holiday_country: str | None) -> bool:
    if day.weekday() >= 5:
        return False
    return not (holiday_country and day in _calendar(holiday_country.upper()))


def holiday_name(day: date, *, holiday_country: str | None) -> str | None:
    """The public holiday's name in that calendar ("Christmas Day"), None on any other day."""
    if not holiday_country:
        return None
    name = _calendar(holiday_country.upper()).get(day)
    return str(name) if name else None


def next_working_day(day: date, *, holiday_country: str | None) -> date:
    """The day itself when it is a working day, otherwise the first one after it."""
    for offset in range(MAX_SHIFT_DAYS + 1):
        candidate = day + timedelta(days=offset)
        if is_working_day(candidate, holiday_country=holiday_country):
            return candidate
    return day


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day at` on the owner's wall clock, in UTC; a time skipped by a DST jump moves forward with it."""
    local = resolve_imaginary(datetime.combine(day, at, tzinfo=tz))
    return local.astimezone(UTC)


def occurrences(*, after: datetime, until: datetime, **recurrence: Unpack[Recurrence]) -> list[datetime]:
    """Check-in instants (aware UTC) in the half-open window (after, until], earliest first."""
    if until <= after:
        return []
    rule, due_on, starts_on = recurrence["rule"], recurrence["due_on"], recurrence["starts_on"]
    at, tz, holiday_country = recurrence["at"], recurrence["tz"], recurrence["holiday_country"]
    if rule is None:
        days: Iterable[date] = [due_on] if due_on is not None else []
    else:
        window_start = max(after.astimezone(tz).date() - timedelta(days=MAX_SHIFT_DAYS), starts_on)
        window_end = until.astimezone(tz).date()
        dtstart = datetime.combine(starts_on, at)
        expanded = rrulestr(rule, dtstart=dtstart).between(
            datetime.combine(window_start, time.min), datetime.combine(window_end, time.max), inc=True
        )
        days = [moment.date() for moment in expanded]
    instants = {local_instant(next_working_day(day, holiday_country=holiday_country), at, tz) for day in days}
    return sorted(t for t in instants if after < t <= until)


def upcoming(*, after: datetime, count: int, **recurrence: Unpack[Recurrence]) -> list[datetime]:
    """The next `count` check-ins after `after`, for showing a CSM what a new commitment will do."""
    found: list[datetime] = []
    horizon = after
    for _ in range(30):
        window_end = horizon + timedelta(days=120)
        found += occurrences(**recurrence, after=horizon, until=window_end)
        if len(found) >= count or recurrence["rule"] is None:
            break
        horizon = window_end
    return found[:count]
