"""When an account's weekly review falls: a weekday and a local time in the champion's zone."""

from __future__ import annotations

import calendar
from datetime import time

from models import Account

# Friday afternoon, so both sides go into the new week confident (the account's `review:` changes it).
DEFAULT_REVIEW_WEEKDAY = 4
DEFAULT_REVIEW_TIME = time(15, 0)


def set_review(account: Account, value: str) -> None:
    """`value` as `grammar.review_value` gives it: "off" or "<weekday> <HH:MM>"."""
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
