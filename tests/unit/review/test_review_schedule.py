"""When an account's weekly review falls: its weekday and time on the champion's wall clock, due for
the rest of that local day and never later."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.review.schedule import review_due, set_review, week_of
from models import Account

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
UTC_ZONE = ZoneInfo("UTC")


def account(review: str | None = None) -> Account:
    """An account as `account add … review:` leaves it (None: the default, Friday 15:00)."""
    made = Account(review_enabled=True, review_weekday=None, review_time=None)
    if review is not None:
        set_review(made, review)
    return made


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_the_default_review_is_friday_at_15_00_on_the_champions_wall_clock() -> None:
    friday_3pm_london = at(2026, 12, 4, 15)  # London keeps GMT in December
    assert review_due(account(), tz=LONDON, now=at(2026, 12, 4, 14, 59)) is None
    assert review_due(account(), tz=LONDON, now=friday_3pm_london) == friday_3pm_london
    assert review_due(account(), tz=LONDON, now=at(2026, 12, 4, 23, 59)) == friday_3pm_london


def test_a_review_the_clock_reaches_late_is_posted_the_same_local_day_but_never_the_day_after() -> None:
    assert review_due(account(), tz=LONDON, now=at(2026, 12, 5, 0, 0)) is None  # Saturday in London
    assert review_due(account(), tz=LONDON, now=at(2026, 12, 7, 15, 0)) is None  # Monday


def test_the_local_day_is_the_champions_not_utcs() -> None:
    # Friday 15:00 in New York is 20:00 UTC; 02:00 UTC on Saturday is still Friday evening there.
    friday_3pm_new_york = at(2026, 12, 4, 20)
    assert review_due(account(), tz=NEW_YORK, now=at(2026, 12, 4, 16)) is None
    assert review_due(account(), tz=NEW_YORK, now=at(2026, 12, 5, 2)) == friday_3pm_new_york
    assert review_due(account(), tz=NEW_YORK, now=at(2026, 12, 5, 5)) is None  # Saturday there
    # Friday 15:00 in Tokyo is 06:00 UTC the same Friday, and Friday ends there at 15:00 UTC.
    assert review_due(account(), tz=TOKYO, now=at(2026, 12, 4, 7)) == at(2026, 12, 4, 6)
    assert review_due(account(), tz=TOKYO, now=at(2026, 12, 4, 15, 30)) is None


def test_an_unknown_champion_zone_means_utc() -> None:
    assert review_due(account(), tz=UTC_ZONE, now=at(2026, 12, 4, 15, 30)) == at(2026, 12, 4, 15)


def test_the_review_stays_at_15_00_local_across_daylight_saving() -> None:
    # London moves to BST on Sunday 28 March 2027: 15:00 is 15:00 UTC before, 14:00 UTC after.
    assert review_due(account(), tz=LONDON, now=at(2027, 3, 26, 16)) == at(2027, 3, 26, 15)
    assert review_due(account(), tz=LONDON, now=at(2027, 4, 2, 16)) == at(2027, 4, 2, 14)
    assert review_due(account(), tz=LONDON, now=at(2027, 4, 2, 14, 30)) == at(2027, 4, 2, 14)


def test_a_review_time_skipped_by_the_clocks_going_forward_moves_forward_with_them() -> None:
    sunday_0130 = account("6 01:30")  # 01:30 does not exist in London on 28 March 2027
    assert review_due(sunday_0130, tz=LONDON, now=at(2027, 3, 28, 0, 59)) is None
    assert review_due(sunday_0130, tz=LONDON, now=at(2027, 3, 28, 3)) == at(2027, 3, 28, 1, 30)


def test_a_custom_day_and_time() -> None:
    monday_0930 = account("0 09:30")
    assert monday_0930.review_weekday == 0 and monday_0930.review_time == time(9, 30)
    assert review_due(monday_0930, tz=LONDON, now=at(2026, 12, 4, 16)) is None  # a Friday
    assert review_due(monday_0930, tz=LONDON, now=at(2026, 12, 7, 9, 29)) is None
    assert review_due(monday_0930, tz=LONDON, now=at(2026, 12, 7, 12)) == at(2026, 12, 7, 9, 30)


def test_review_off_means_no_review_ever() -> None:
    off = account("off")
    for day in range(7, 14):
        assert review_due(off, tz=LONDON, now=at(2026, 12, day, 23)) is None


def test_one_review_per_local_week_keyed_by_its_monday() -> None:
    assert week_of(at(2026, 12, 4, 15), LONDON) == date(2026, 11, 30)
    # Sunday 23:30 UTC is already Monday in Tokyo: a new week there.
    assert week_of(at(2026, 12, 6, 23, 30), TOKYO) == date(2026, 12, 7)
    assert week_of(at(2026, 12, 6, 23, 30), LONDON) == date(2026, 11, 30)
