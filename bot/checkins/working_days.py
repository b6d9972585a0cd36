"""Counting working days in a person's own calendar (Monday to Friday, plus the account's holidays)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.checkins.schedule import is_working_day, local_instant

WORKDAY_START = time(9, 0)


def add_working_days(start: date, days: int, *, holiday_country: str | None) -> date:
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if is_working_day(current, holiday_country=holiday_country):
            added += 1
    return current


def working_morning_after(
    moment: datetime, days: int, *, tz: ZoneInfo, holiday_country: str | None
) -> datetime:
    """09:00 local on the `days`-th working day after `moment`, as aware UTC."""
    day = add_working_days(moment.astimezone(tz).date(), days, holiday_country=holiday_country)
    return local_instant(day, WORKDAY_START, tz)


WORKDAY_END = time(18, 0)


def end_of_working_day(moment: datetime, *, tz: ZoneInfo, holiday_country: str | None) -> datetime:
    """18:00 local on `moment`'s working day; after 18:00, or on a day off, the next working day's."""
    local = moment.astimezone(tz)
    day = local.date()
    if not is_working_day(day, holiday_country=holiday_country) or local.time() >= WORKDAY_END:
        day = add_working_days(day, 1, holiday_country=holiday_country)
    return local_instant(day, WORKDAY_END, tz)
