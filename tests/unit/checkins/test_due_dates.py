"""Where a `by <date>` lands in the owner's calendar, how `next <weekday>` is read, and when a due date
is judged: real zones, the real holiday calendars, and a frozen clock for "now"."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from freezegun import freeze_time

from bot.checkins.due_dates import day_words, earliest_due_day, judged_at, working_due_date
from bot.checkins.recurrence import parse_due_date
from bot.checkins.schedule import local_instant

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def owner_today(tz: ZoneInfo) -> date:
    return datetime.now(UTC).astimezone(tz).date()


@freeze_time("2026-12-07 15:00:00")  # Monday 10:00 in New York
def test_a_saturday_moves_to_the_friday_before_and_says_why() -> None:
    due = working_due_date(date(2026, 12, 12), earliest=owner_today(NEW_YORK), holiday_country=None)
    assert due.due_on == date(2026, 12, 11)
    assert due.note() == "Sat 12 Dec is a weekend day, so it's due Fri 11 Dec."


@freeze_time("2026-12-07 15:00:00")
def test_christmas_in_the_us_calendar_moves_to_christmas_eve_and_names_the_holiday() -> None:
    due = working_due_date(date(2026, 12, 25), earliest=owner_today(NEW_YORK), holiday_country="us")
    assert due.due_on == date(2026, 12, 24)
    assert due.note() == "Fri 25 Dec is a public holiday (Christmas Day), so it's due Thu 24 Dec."


@freeze_time("2026-12-07 15:00:00")
def test_a_holiday_only_in_another_calendar_stands() -> None:
    due = working_due_date(date(2026, 11, 26), earliest=date(2026, 11, 1), holiday_country="DE")
    assert not due.moved and due.note() is None  # Thanksgiving is a US holiday, not a German one


@freeze_time("2026-12-07 15:00:00")
def test_a_monday_after_a_holiday_weekend_moves_back_past_the_holiday() -> None:
    # Good Friday 2027 is 26 Mar in the German calendar: Sunday 28 Mar falls back to Thursday 25 Mar.
    due = working_due_date(date(2027, 3, 28), earliest=owner_today(NEW_YORK), holiday_country="DE")
    assert due.due_on == date(2027, 3, 25)


@freeze_time("2026-12-12 03:00:00")  # Saturday 12:00 in Tokyo: Friday has passed
def test_a_weekend_day_whose_working_day_before_has_passed_moves_forward_instead() -> None:
    earliest = earliest_due_day(at=time(9, 0), tz=TOKYO, now=datetime.now(UTC))
    due = working_due_date(date(2026, 12, 13), earliest=earliest, holiday_country=None)
    assert due.due_on == date(2026, 12, 14)
    assert due.note() == (
        "Sun 13 Dec is a weekend day and the working day before it has passed, so it's due Mon 14 Dec."
    )


@freeze_time("2026-12-11 01:00:00")  # Friday 10:00 in Tokyo: today's 09:00 check-in time has passed
def test_the_earliest_due_day_is_tomorrow_once_todays_checkin_time_has_passed() -> None:
    now = datetime.now(UTC)
    assert earliest_due_day(at=time(9, 0), tz=TOKYO, now=now) == date(2026, 12, 12)
    assert earliest_due_day(at=time(11, 0), tz=TOKYO, now=now) == date(2026, 12, 11)


def test_a_due_date_is_judged_at_the_end_of_the_next_working_day() -> None:
    # Due Friday 11 Dec, checked in at 09:00 Tokyo that day: judged Monday 14 Dec 18:00 Tokyo.
    judged = judged_at(date(2026, 12, 11), tz=TOKYO, holiday_country=None)
    assert judged == datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    checkin = local_instant(date(2026, 12, 11), time(9, 0), TOKYO)
    assert judged.astimezone(TOKYO).date() > checkin.astimezone(TOKYO).date()


def test_judgement_skips_the_owners_holiday_too() -> None:
    # Due Thursday 24 Dec in New York: the 25th is a US holiday, so it is judged Monday 28 Dec 18:00.
    judged = judged_at(date(2026, 12, 24), tz=NEW_YORK, holiday_country="US")
    assert judged == datetime(2026, 12, 28, 23, 0, tzinfo=UTC)


@freeze_time("2026-12-07 15:00:00")
def test_next_weekday_typed_on_a_monday() -> None:
    today = owner_today(NEW_YORK)
    assert today.weekday() == 0
    assert parse_due_date("next tuesday", today=today) == date(2026, 12, 8)  # tomorrow
    assert parse_due_date("next monday", today=today) == date(2026, 12, 14)  # a week later, never today


def test_dates_are_echoed_with_their_weekday() -> None:
    assert day_words(date(2026, 12, 8)) == "Tue 8 Dec 2026"
