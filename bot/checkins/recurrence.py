"""Turning the words people type ("every monday", "by next friday at 14:00") into schedules.

The rules themselves are RFC 5545 RRULEs handled by python-dateutil; this module only maps the
product's phrases onto them and onto dates, so `rrulestr` remains the single source of truth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from dateutil import parser as date_parser
from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta, weekday
from dateutil.rrule import rrulestr

from bot.slack.mrkdwn import escape

WEEKDAYS: dict[str, tuple[str, weekday]] = {}
for _names, _code, _wd in (
    (("monday", "mon", "mondays"), "MO", MO),
    (("tuesday", "tue", "tues", "tuesdays"), "TU", TU),
    (("wednesday", "wed", "wednesdays"), "WE", WE),
    (("thursday", "thu", "thur", "thurs", "thursdays"), "TH", TH),
    (("friday", "fri", "fridays"), "FR", FR),
    (("saturday", "sat", "saturdays"), "SA", SA),
    (("sunday", "sun", "sundays"), "SU", SU),
):
    for _name in _names:
        WEEKDAYS[_name] = (_code, _wd)

WORKING_DAYS = "MO,TU,WE,TH,FR"
MAX_INTERVAL = 52

RECURRENCE_FORMS = (
    "every day | every weekday | every monday | every monday, thursday | every 2 weeks on friday | "
    "every month on the 1st | RRULE:FREQ=WEEKLY;BYDAY=MO"
)
DATE_FORMS = "2026-12-15 | dec 15 | tomorrow | next friday | in 3 days"


class ScheduleError(ValueError):
    """A phrase that names no schedule; the message says what was wrong and what would work."""


@dataclass(frozen=True)
class Recurrence:
    rule: str  # an RRULE without DTSTART, e.g. "FREQ=WEEKLY;BYDAY=MO"
    text: str  # how it is shown back to people


def parse_recurrence(phrase: str) -> Recurrence:
    words = phrase.strip()
    lowered = words.lower()
    if lowered.startswith("rrule:"):
        return _raw_rule(words[len("rrule:") :])
    if not lowered.startswith("every "):
        raise ScheduleError(f"“{escape(words)}” is not a recurrence. Use one of: {RECURRENCE_FORMS}")
    rest = lowered[len("every ") :].strip()
    if rest in ("day", "weekday", "working day", "workday"):
        return Recurrence(f"FREQ=WEEKLY;BYDAY={WORKING_DAYS}", "every working day")
    if rest == "week":
        return Recurrence("FREQ=WEEKLY;BYDAY=MO", "every Monday")
    monthly = re.fullmatch(r"(?:(\d+) )?months? on the (\d{1,2})(?:st|nd|rd|th)?", rest)
    if monthly:
        interval = _interval(monthly.group(1))
        day = int(monthly.group(2))
        if not 1 <= day <= 31:
            raise ScheduleError(f"There is no day {day} in a month. Use a day from 1 to 31.")
        prefix = "" if interval == 1 else f";INTERVAL={interval}"
        every = "every month" if interval == 1 else f"every {interval} months"
        return Recurrence(f"FREQ=MONTHLY{prefix};BYMONTHDAY={day}", f"{every} on day {day}")
    weekly = re.fullmatch(r"(?:(\d+) )?weeks? on (.+)", rest)
    interval, days_phrase = (_interval(weekly.group(1)), weekly.group(2)) if weekly else (1, rest)
    codes = _weekday_codes(days_phrase)
    prefix = "" if interval == 1 else f";INTERVAL={interval}"
    names = ", ".join(_day_name(code) for code in codes)
    every = "every" if interval == 1 else f"every {interval} weeks on"
    return Recurrence(f"FREQ=WEEKLY{prefix};BYDAY={','.join(codes)}", f"{every} {names}")


def _raw_rule(body: str) -> Recurrence:
    body = body.strip().upper()
    try:
        rrulestr(body, dtstart=datetime(2026, 1, 1))  # noqa: DTZ001  (validation only; zone added later)
    except (ValueError, TypeError) as exc:
        raise ScheduleError(f"RRULE:{escape(body)} is not a valid RFC 5545 rule ({exc}).") from exc
    if "DTSTART" in body or "COUNT=0" in body:
        raise ScheduleError("Give the RRULE without DTSTART; the check-in time comes from `at HH:MM`.")
    if not body.startswith("FREQ=") and ";FREQ=" not in body:
        raise ScheduleError("An RRULE needs FREQ, e.g. RRULE:FREQ=WEEKLY;BYDAY=MO")
    if any(f"FREQ={f}" in body for f in ("SECONDLY", "MINUTELY", "HOURLY")):
        raise ScheduleError("Check-ins can be at most daily: use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.")
    return Recurrence(body, f"RRULE:{body}")


def _interval(group: str | None) -> int:
    if group is None:
        return 1
    value = int(group)
    if not 1 <= value <= MAX_INTERVAL:
        raise ScheduleError(f"An interval of {value} is out of range: use 1 to {MAX_INTERVAL}.")
    return value


def _weekday_codes(phrase: str) -> list[str]:
    parts = [p for p in re.split(r"\s*(?:,|\band\b|&)\s*", phrase.strip()) if p]
    codes: list[str] = []
    for part in parts:
        if part not in WEEKDAYS:
            raise ScheduleError(f"“{escape(part)}” is not a day of the week. Use one of: {RECURRENCE_FORMS}")
        code = WEEKDAYS[part][0]
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ScheduleError(f"Name at least one day. Use one of: {RECURRENCE_FORMS}")
    order = [*WORKING_DAYS.split(","), "SA", "SU"]
    return sorted(codes, key=order.index)


def _day_name(code: str) -> str:
    return {
        "MO": "Monday",
        "TU": "Tuesday",
        "WE": "Wednesday",
        "TH": "Thursday",
        "FR": "Friday",
        "SA": "Saturday",
        "SU": "Sunday",
    }[code]


def parse_due_date(phrase: str, *, today: date) -> date:
    """A due date in the owner's calendar; a date without a year means its next occurrence."""
    words = phrase.strip().lower()
    if not words:
        raise ScheduleError(f"A due date is missing. Use one of: {DATE_FORMS}")
    if words == "today":
        return today
    if words == "tomorrow":
        return today + relativedelta(days=1)
    relative = re.fullmatch(r"in (\d+) (day|days|week|weeks)", words)
    if relative:
        amount = int(relative.group(1))
        if amount > 3650:
            raise ScheduleError(f"“{escape(phrase)}” is too far ahead.")
        if relative.group(2).startswith("day"):
            return today + relativedelta(days=amount)
        return today + relativedelta(weeks=amount)
    # "next friday" (and "friday", "this friday") is the first Friday after today, never today: typed on
    # a Monday, "next tuesday" is tomorrow and "next monday" the Monday a week later. The reply echoes
    # the date with its weekday, so a reader who meant another Friday sees it at once.
    next_day = re.fullmatch(r"(?:next |this )?(\w+)", words)
    if next_day and next_day.group(1) in WEEKDAYS:
        return today + relativedelta(days=1, weekday=WEEKDAYS[next_day.group(1)][1](+1))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", words):
        try:
            due = date.fromisoformat(words)
        except ValueError as exc:
            raise ScheduleError(f"{escape(phrase)} is not a real date. Use one of: {DATE_FORMS}") from exc
        if due < today:
            raise ScheduleError(
                f"{escape(phrase)} is in the past. Give a date from today on ({today.isoformat()})."
            )
        return due
    return _month_day(phrase, today=today)


def _month_day(phrase: str, *, today: date) -> date:
    if not re.search(r"[a-z]", phrase.lower()) or len(phrase) > 40:
        raise ScheduleError(f"“{escape(phrase)}” is not a date I understand. Use one of: {DATE_FORMS}")
    default = datetime(today.year, today.month, 1)  # noqa: DTZ001  (a calendar date, no instant)
    try:
        parsed, leftover = date_parser.parse(phrase, default=default, fuzzy_with_tokens=True)
    except (ValueError, OverflowError) as exc:
        raise ScheduleError(
            f"“{escape(phrase)}” is not a date I understand. Use one of: {DATE_FORMS}"
        ) from exc
    if any(token.strip() for token in leftover):
        raise ScheduleError(f"“{escape(phrase)}” is not a date I understand. Use one of: {DATE_FORMS}")
    due = parsed.date()
    has_year = bool(re.search(r"\b\d{4}\b", phrase))
    if due < today:
        if has_year:
            raise ScheduleError(
                f"{escape(phrase)} is in the past. Give a date from today on ({today.isoformat()})."
            )
        due = due.replace(year=due.year + 1)
    return due


def parse_time_of_day(phrase: str) -> time:
    words = phrase.strip().lower().replace(".", ":")
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", words)
    if not match:
        raise ScheduleError(
            f"“{escape(phrase)}” is not a time of day. Use HH:MM, for example 09:30 or 14:00."
        )
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3):
        if not 1 <= hour <= 12:
            raise ScheduleError(
                f"“{escape(phrase)}” is not a time of day. Use HH:MM, for example 09:30 or 14:00."
            )
        hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ScheduleError(
            f"“{escape(phrase)}” is not a time of day. Use HH:MM, for example 09:30 or 14:00."
        )
    return time(hour, minute)
