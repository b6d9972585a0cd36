"""When an account's weekly review falls: a weekday and a local time in the champion's zone."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.checkins.schedule import local_instant
from models import Account

# Friday afternoon, so both sides go into the new week confident (the account's `review:` changes it).
DEFAULT_REVIEW_WEEKDAY = 4
DEFAULT_REVIEW_TIME = time(15, 0)
# The bound of an account whose review is off: it is looked at again once someone turns it back on.
NEVER = datetime(9999, 1, 1, tzinfo=UTC)


def set_review(account: Account, value: str) -> None:
    """`value` as `grammar.review_value` gives it: "off" or "<weekday> <HH:MM>"."""
    # Whatever the change, the clock works out the next review again (`next_review`).
    account.next_review_at = None
    if value == "off":
        account.review_enabled = False
        return
    day, at = value.split()
    hours, minutes = at.split(":")
    account.review_enabled = True
    account.review_weekday = int(day)
    account.review_time = time(int(hours), int(minutes))


def review_weekday(account: Account) -> int:
    return DEFAULT_REVIEW_WEEKDAY if account.review_weekday is None else account.review_weekday


def review_time(account: Account) -> time:
    return account.review_time or DEFAULT_REVIEW_TIME


def review_words(account: Account) -> str:
    """The review's schedule as people read it: "Fridays at 15:00 (the champion's time)" or "off"."""
    if not account.review_enabled:
        return "off"
    return (
        f"{calendar.day_name[review_weekday(account)]}s at {review_time(account):%H:%M} (the champion's time)"
    )


def review_due(account: Account, *, tz: ZoneInfo, now: datetime) -> datetime | None:
    """The instant (UTC) of the review the clock should be posting at `now`, or None.

    A review falls on its weekday at its time on the champion's wall clock, and stays due for the rest
    of that local day: a clock that was down at 15:00 still posts it at 17:00, but not on Saturday —
    a review posted days late talks about a week that is over. `review:off` means never.
    """
    if not account.review_enabled:
        return None
    today = now.astimezone(tz).date()
    if today.weekday() != review_weekday(account):
        return None
    instant = local_instant(today, review_time(account), tz)
    return instant if instant <= now else None


def next_review(account: Account, *, tz: ZoneInfo, after: datetime) -> datetime:
    """The instant (UTC) of the first review after `after`: what the clock stores as the account's
    bound (`Account.next_review_at`) once the review due now, if any, is dealt with. NEVER when off."""
    if not account.review_enabled:
        return NEVER
    today = after.astimezone(tz).date()
    for days in range(8):  # today's instant may have passed: a week on is the same weekday
        day = today + timedelta(days=days)
        if day.weekday() == review_weekday(account):
            instant = local_instant(day, review_time(account), tz)
            if instant > after:
                return instant
    raise AssertionError("a weekday recurs within eight days")


def champion_zone_changed(session: Session, *, team_id: str, user_id: str) -> None:
    """The reviews of the accounts this person champions fall on their wall clock: when it moves, the
    clock works out each one's next review again."""
    session.execute(
        update(Account)
        .where(Account.team_id == team_id, Account.champion_user_id == user_id)
        .values(next_review_at=None)
    )


def week_of(instant: datetime, tz: ZoneInfo) -> date:
    """The Monday of the review's local week: one review per account and week, even if its day moves."""
    day = instant.astimezone(tz).date()
    return day - timedelta(days=day.weekday())
