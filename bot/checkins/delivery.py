"""Where a person's check-in on an account is delivered: their direct messages with the bot, or the
account's shared channel, mentioning them.

The person's own choice (`/accountability person @x checkins:…`) wins over the account's
(`account add|edit … checkins:…`). `auto` sends a DM, and for someone a DM can't reach (another
organisation's Slack Connect policy, a "post only" guest, DMs from apps turned off) uses the shared
channel instead, trying the DM again once a week: a DM that works ends the fallback.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.slack.mrkdwn import escape
from models import Account, Person
from models.db import rows_changed

DM = "dm"
CHANNEL = "channel"
AUTO = "auto"
SETTINGS = (DM, CHANNEL, AUTO)
# Someone whose DMs were refused gets their check-ins in the shared channel; a DM is tried again then.
DM_RETRY = timedelta(days=7)

SETTING_WORDS = {
    DM: "direct messages only",
    CHANNEL: "the account's shared channel, mentioning them",
    AUTO: "a direct message, or the shared channel when a DM can't reach them",
}


def setting_of(person: Person, account: Account) -> str:
    """The person's override, else the account's setting."""
    chosen = person.checkin_delivery or account.checkin_delivery
    return chosen if chosen in SETTINGS else AUTO


def place_of(setting: str, *, dm_retry_at: datetime | None, now: datetime) -> str:
    """`dm` or `channel` for a check-in sent now under this setting."""
    if setting == CHANNEL:
        return CHANNEL
    if setting == AUTO and dm_retry_at is not None and dm_retry_at > now:
        return CHANNEL
    return DM


def place_for(person: Person, account: Account, *, now: datetime) -> str:
    return place_of(setting_of(person, account), dm_retry_at=person.dm_retry_at, now=now)


def dm_refused(sessions: sessionmaker[Session], *, person_id: int, now: datetime) -> bool:
    """Their check-ins go to the shared channel (where `auto`) until a DM is tried again a week later.

    True when this starts the fallback (the CSM should hear of it), False for a weekly retry that was
    refused again: the first guarded UPDATE only matches a person not already falling back.
    """
    with sessions.begin() as session:
        started = rows_changed(
            session,
            update(Person)
            .where(Person.id == person_id, Person.dm_retry_at.is_(None))
            .values(dm_retry_at=now + DM_RETRY),
        )
        if started == 1:
            return True
        session.execute(update(Person).where(Person.id == person_id).values(dm_retry_at=now + DM_RETRY))
        return False


def dm_worked(sessions: sessionmaker[Session], *, person_id: int) -> None:
    """A DM reached them: the fallback to the channel, if any, is over."""
    with sessions.begin() as session:
        session.execute(
            update(Person)
            .where(Person.id == person_id, Person.dm_retry_at.is_not(None))
            .values(dm_retry_at=None)
        )


def describe(person: Person, accounts: list[Account], *, now: datetime) -> list[str]:
    """One line per account: where this person's check-ins on it go now, and why."""
    lines = []
    for account in accounts:
        setting = setting_of(person, account)
        own = "their own choice" if person.checkin_delivery else "the account's setting"
        line = f"{escape(account.name)}: `{setting}` ({own}) — {SETTING_WORDS[setting]}"
        if place_of(setting, dm_retry_at=person.dm_retry_at, now=now) == CHANNEL and setting == AUTO:
            line += "; DMs were refused, so the shared channel is used until a DM is tried again"
        lines.append(line)
    return lines
