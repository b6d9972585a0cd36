"""Reading a proposed new date or schedule, in the same words `commit` accepts.

A commitment due by a date gets a new date; a recurring one a new recurrence. Without `at HH:MM` the
check-ins keep the time of day they had, so "dec 15" moves the day and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from bot.checkins.due_dates import day_words
from bot.checkins.recurrence import (
    DATE_FORMS,
    RECURRENCE_FORMS,
    ScheduleError,
    parse_due_date,
    parse_recurrence,
    parse_time_of_day,
)
from bot.slack.mrkdwn import escape


@dataclass(frozen=True)
class NewSchedule:
    """What a proposal would change the commitment to; `at` None keeps its time of day."""

    at: time | None
    rule: str | None = None
    rule_text: str | None = None
    due_on: date | None = None

    def text(self, at: time) -> str:
        """The plain words `list` and the plan show, as `commit` writes them."""
        if self.rule is not None:
            return f"{self.rule_text} at {at:%H:%M}"
        assert self.due_on is not None
        return f"by {day_words(self.due_on)} at {at:%H:%M}"


def parse_new_schedule(words: str, *, today: date, due_by_date: bool) -> NewSchedule:
    """`by <date>` or `every <recurrence>`, optionally `at HH:MM`; a bare date means `by` that date for a
    commitment due by a date. A `ScheduleError` says what was wrong and what would work."""
    tokens = words.split()
    at: time | None = None
    if len(tokens) >= 2 and tokens[-2].lower() == "at":
        at = parse_time_of_day(tokens[-1])
        tokens = tokens[:-2]
    if not tokens:
        raise ScheduleError(_what(due_by_date))
    keyword = tokens[0].lower()
    if keyword == "every" or keyword.startswith("rrule:"):
        recurrence = parse_recurrence(" ".join(tokens))
        return NewSchedule(at, rule=recurrence.rule, rule_text=recurrence.text)
    if keyword == "by":
        tokens = tokens[1:]
    elif not due_by_date:
        raise ScheduleError(f"“{escape(words)}” is not a schedule. {_what(due_by_date)}")
    if not tokens:
        raise ScheduleError(_what(due_by_date))
    return NewSchedule(at, due_on=parse_due_date(" ".join(tokens), today=today))


def _what(due_by_date: bool) -> str:
    if due_by_date:
        return f"Give the new date: {DATE_FORMS} (optionally `at 14:00`)."
    return f"Give the new schedule: {RECURRENCE_FORMS} (optionally `at 10:00`)."
