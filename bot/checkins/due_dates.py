"""Due dates in the owner's own calendar: where a `by <date>` lands, and when it is judged.

A date typed for `by` can fall on the owner's weekend or on one of their public holidays (their own
calendar, else their account's). Nobody can be expected to deliver on a day off, and a check-in is never
sent on one, so the date moves to the *previous* working day — the deadline comes earlier, never later —
and the reply says so. When that working day has already passed (someone typing `by sunday` on a
Saturday), the next working day is the only one left, and the reply says that instead.

Judgement waits a whole working day after the due date's check-in. The check-in goes out on the due
date at its time (09:00 by default); if the deadline were judged at the end of that same day, the owner
would have hours, not a day, between being asked and being escalated. So a due date is judged at the end
of the first working day *after* it (18:00 in the owner's zone): the same moment an unanswered check-in
closes as no response after its reminder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.checkins.schedule import (
    MAX_SHIFT_DAYS,
    holiday_name,
    is_working_day,
    local_instant,
    next_working_day,
)
from bot.checkins.working_days import WORKDAY_END, add_working_days


def day_words(day: date) -> str:
    """How a date is echoed back to people: with its weekday, so a misread date shows ("Tue 8 Dec 2026")."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def _short(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


@dataclass(frozen=True)
class DueDate:
    """The date asked for and the working day it became; they differ when the asked one is a day off."""

    asked: date
    due_on: date
    why: str | None = None  # "a weekend day", "a public holiday (Christmas Day)"

    @property
    def moved(self) -> bool:
        return self.asked != self.due_on

    def note(self) -> str | None:
        """ "Sat 12 Dec is a weekend day, so it's due Fri 11 Dec." — None when the date stands."""
        if not self.moved:
            return None
        if self.due_on > self.asked:
            return (
                f"{_short(self.asked)} is {self.why} and the working day before it has passed, "
                f"so it's due {_short(self.due_on)}."
            )
        return f"{_short(self.asked)} is {self.why}, so it's due {_short(self.due_on)}."


def _day_off_reason(day: date, *, holiday_country: str | None) -> str:
    if day.weekday() >= 5:
        return "a weekend day"
    name = holiday_name(day, holiday_country=holiday_country)
    return f"a public holiday ({name})" if name else "a public holiday"


def working_due_date(asked: date, *, earliest: date, holiday_country: str | None) -> DueDate:
    """The working day a due date lands on in the owner's calendar: the asked day itself, else the
    working day before it, else (when that is before `earliest`, the first day whose check-in is still
    ahead) the first working day after it."""
    if is_working_day(asked, holiday_country=holiday_country):
        return DueDate(asked, asked)
    why = _day_off_reason(asked, holiday_country=holiday_country)
    for offset in range(1, MAX_SHIFT_DAYS + 1):
        earlier = asked - timedelta(days=offset)
        if earlier < earliest:
            break
        if is_working_day(earlier, holiday_country=holiday_country):
            return DueDate(asked, earlier, why)
    return DueDate(asked, next_working_day(asked, holiday_country=holiday_country), why)


def earliest_due_day(*, at: time, tz: ZoneInfo, now: datetime) -> date:
    """The first day a due date can still be asked about: today in the owner's zone while today's
    check-in time is ahead, tomorrow once it has passed."""
    today = now.astimezone(tz).date()
    return today if local_instant(today, at, tz) > now else today + timedelta(days=1)


def judged_at(due_on: date, *, tz: ZoneInfo, holiday_country: str | None) -> datetime:
    """When a due date is judged (aware UTC): 18:00 local on the first working day after it, a whole
    working day after the due date's own check-in."""
    return local_instant(add_working_days(due_on, 1, holiday_country=holiday_country), WORKDAY_END, tz)
