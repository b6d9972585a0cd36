"""The phrases of a command that name a time: schedules (`every …`, `by …`, `at HH:MM`), `since` and
`until` dates, and the digest's day, time and zone. Read against the invoker's own "today"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as date_parser

from bot.checkins.recurrence import (
    WEEKDAYS,
    Recurrence,
    ScheduleError,
    parse_due_date,
    parse_recurrence,
    parse_time_of_day,
)
from bot.commands.tokens import CommandError, clip
from bot.commands.usage import USAGE_DIGEST_SETTINGS
from bot.slack.mrkdwn import escape

DEFAULT_CHECKIN_TIME = time(9, 0)

_UNDERSTOOD = "is not a date I understand. Use 2026-12-01 or dec 1."


@dataclass(frozen=True)
class When:
    """A commitment's schedule: a recurrence or a due date, and the local time of its check-ins."""

    at: time
    recurrence: Recurrence | None = None
    due_on: date | None = None


def time_of_day(token: str, usage: str) -> time:
    try:
        return parse_time_of_day(token)
    except ScheduleError as exc:
        raise CommandError(str(exc), usage) from exc


def commitment_schedule(schedule: list[str], *, usage: str, today: date) -> When:
    """`every <recurrence>`, `RRULE:…` or `by <date>`, optionally followed by `at HH:MM`."""
    at = DEFAULT_CHECKIN_TIME
    if len(schedule) >= 2 and schedule[-2].lower() == "at":
        at = time_of_day(schedule[-1], usage)
        schedule = schedule[:-2]
    if not schedule:
        raise CommandError("Say when: `every <recurrence>` or `by <date>`.", usage)
    keyword = schedule[0].lower()
    phrase = " ".join(schedule[1:])
    try:
        if keyword == "every":
            rule_text = phrase if phrase.lower().startswith("rrule:") else "every " + phrase
            return When(at, recurrence=parse_recurrence(rule_text))
        if keyword.startswith("rrule:"):
            return When(at, recurrence=parse_recurrence(" ".join(schedule)))
        if keyword == "by":
            return When(at, due_on=parse_due_date(phrase, today=today))
    except ScheduleError as exc:
        raise CommandError(str(exc), usage) from exc
    raise CommandError(f"After the action, say `every …` or `by …`, not “{clip(schedule[0])}”.", usage)


def since_date(phrase: str, *, usage: str, today: date) -> date:
    """An ISO date, or a month and day meaning the latest one that has passed."""
    try:
        since = date.fromisoformat(phrase) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", phrase) else None
    except ValueError as exc:
        raise CommandError(f"{phrase} is not a real date. Use 2026-12-01 or dec 1.", usage) from exc
    if since is not None:
        return since
    try:
        return _past_month_day(phrase, today=today)
    except ScheduleError as exc:
        raise CommandError(str(exc), usage) from exc


def _past_month_day(phrase: str, *, today: date) -> date:
    """ "dec 1" in a `since` means the latest Dec 1 that has passed, not the next one."""
    if not re.search(r"[a-z]", phrase.lower()) or len(phrase) > 40:
        raise ScheduleError(f"“{escape(phrase)}” {_UNDERSTOOD}")
    try:
        parsed = date_parser.parse(phrase, default=datetime(today.year, 1, 1))  # noqa: DTZ001 (a calendar date)
    except (ValueError, OverflowError) as exc:
        raise ScheduleError(f"“{escape(phrase)}” {_UNDERSTOOD}") from exc
    since = parsed.date()
    return since.replace(year=since.year - 1) if since > today else since


def until_date(phrase: str, *, usage: str, today: date) -> date:
    try:
        until = parse_due_date(phrase, today=today)
    except ScheduleError as exc:
        raise CommandError(str(exc), usage) from exc
    if until <= today:
        raise CommandError("A pause must last until a later day than today.", usage)
    return until


def weekday(token: str) -> int:
    """0 for Monday, as date.weekday(); the same day names as recurrences accept ("mon", "tues", …)."""
    found = WEEKDAYS.get(token.lower())
    if found is None:
        raise CommandError(f"“{clip(token)}” is not a day of the week.", USAGE_DIGEST_SETTINGS)
    return found[1].weekday


def time_zone(token: str) -> str:
    try:
        ZoneInfo(token)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(
            f"“{clip(token)}” is not a time zone. Use an IANA name such as Europe/London, "
            "America/New_York or UTC.",
            USAGE_DIGEST_SETTINGS,
        ) from None
    return token
