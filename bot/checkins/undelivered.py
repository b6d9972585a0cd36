"""Check-ins that can be delivered nowhere: recorded as not delivered ("undeliverable": visible in the
diary, counted against no one, never a miss) and the account's CSM told once per person and cause, in
plain words with the fix. The shared diary says why in words; only the CSM's DM names Slack's code."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.answers import load
from bot.checkins.counts import CheckinCounts
from bot.checkins.schedule import zone
from bot.checkins.working_days import end_of_working_day, working_morning_after
from bot.diary import entries as diary
from bot.people.away import holiday_country_of
from bot.slack.errors import CANNOT_DM_ERRORS, NOT_IN_SHARED_CHANNEL, Failure, classify, plain
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import command_word, escape
from models import Account, CheckIn, CheckInState, Person
from models.db import rows_changed

log = logging.getLogger(__name__)

# The person's Slack account is gone: nowhere can reach them.
GONE_ERRORS = frozenset({"user_disabled", "account_inactive"})
MAX_PROBLEM = 200


@dataclass(frozen=True)
class Cause:
    """Why one person's check-in on an account went nowhere: where it was going and what Slack said."""

    place: str  # "dm" | "channel"
    error: str
    channel_id: str | None = None

    @property
    def key(self) -> str:
        """Kept on the person (`Person.delivery_problem`) so the CSM is told once per person and cause."""
        return f"{self.place}:{self.channel_id or ''}:{self.error}"

    @property
    def person_gone(self) -> bool:
        # A DM to a deactivated person is refused as if their conversation were archived.
        return self.error in GONE_ERRORS or (self.place == "dm" and self.error == "is_archived")

    def words(self) -> str:
        """For everyone, the shared diary included: never a code."""
        if self.person_gone:
            return "their Slack account is deactivated"
        if self.place == "dm" and self.error in CANNOT_DM_ERRORS:
            return "Slack won't let the bot send them direct messages"
        if classify(self.error) is not Failure.PERMANENT and self.error != NOT_IN_SHARED_CHANNEL:
            return "Slack did not take it before it closed"
        if self.place == "channel" and self.error in ("is_archived", "not_in_channel", "channel_not_found"):
            return f"{plain(self.error).replace('the channel', 'the shared channel')}"
        return plain(self.error)


def cause_of(key: str) -> Cause | None:
    place, _, rest = key.partition(":")
    channel_id, _, error = rest.partition(":")
    if place not in ("dm", "channel") or not error:
        return None
    return Cause(place=place, error=error, channel_id=channel_id or None)


def fix_for(cause: Cause, *, user_id: str, account: Account) -> str:
    """What the CSM can do about it, with the command to type."""
    name = escape(account.name)
    channel = f"<#{cause.channel_id or account.shared_channel_id}>"
    champion = user_id == account.champion_user_id
    whom = "@new-champion" if champion else "@new-owner"
    hand_over = f"hand over with `/accountability handover <@{user_id}> {whom} {command_word(account.name)}`"
    if cause.person_gone:
        return hand_over
    if cause.place == "dm" and cause.error in CANNOT_DM_ERRORS:
        return (
            "ask them to allow direct messages from apps, or have their check-ins posted in the shared "
            f"channel with `/accountability person <@{user_id}> checkins:channel`"
        )
    if cause.error == "not_in_channel":
        return f"invite me to {channel} (`/invite` in the channel)"
    if cause.error == "is_archived":
        return (
            f"unarchive {channel}, or name a new shared channel with "
            f"`/accountability account edit {name} channel:#…`"
        )
    if cause.error == "channel_not_found":
        return (
            f"invite me to {channel} if it is private, or name a new shared channel with "
            f"`/accountability account edit {name} channel:#…`"
        )
    if cause.error == NOT_IN_SHARED_CHANNEL:
        return (
            f"<@{user_id}> has left {channel}: {hand_over}, ask them to rejoin, or send their check-ins "
            f"by DM with `/accountability person <@{user_id}> checkins:dm`"
        )
    return "this one is on our side; the check-ins are kept, and it is logged for the team that runs the bot"


# No check-in closes sooner than this after it falls: cheaper than computing each one's closing time.
EARLIEST_CLOSE = timedelta(hours=9)


def close_undeliverable(sessions: sessionmaker[Session], *, now: datetime, counts: CheckinCounts) -> None:
    """A check-in still undelivered when it would have closed unanswered is recorded as not
    delivered: visible in the diary, counted against no one (it is not a miss)."""
    with sessions() as session:
        candidates = list(
            session.scalars(
                select(CheckIn.id).where(
                    CheckIn.state == CheckInState.DUE,
                    CheckIn.send_attempts > 0,
                    CheckIn.scheduled_at <= now - EARLIEST_CLOSE,
                )
            )
        )
    for checkin_id in candidates:
        with sessions() as session:
            checkin = load(session, checkin_id)
            if checkin is None:
                continue
            deadline = _would_have_closed(checkin)
            error = checkin.last_error or "unreachable"
            place = checkin.place or "dm"
        if now >= deadline and record_failure(
            sessions, checkin_id, cause=Cause(place=place, error=error), now=now, from_state=CheckInState.DUE
        ):
            counts.failed += 1


def _would_have_closed(checkin: CheckIn) -> datetime:
    """The end of the working day after the one it fell on, in its owner's zone."""
    tz = zone(checkin.commitment.owner.tz)
    holidays = holiday_country_of(checkin.commitment.owner, checkin.commitment.account)
    return end_of_working_day(
        working_morning_after(checkin.scheduled_at, 1, tz=tz, holiday_country=holidays),
        tz=tz,
        holiday_country=holidays,
    )


def record_failure(
    sessions: sessionmaker[Session],
    checkin_id: int,
    *,
    cause: Cause,
    now: datetime,
    from_state: CheckInState = CheckInState.SENDING,
) -> bool:
    """Keep the failure visible on the row and in the diary, in plain words, never drop it. The row
    keeps Slack's code for the operators; the diary, which the customer reads, never does."""
    with sessions.begin() as session:
        moved = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state == from_state)
            .values(
                state=CheckInState.FAILED,
                last_error=cause.error[:200],
                place=cause.place,
                next_attempt_at=None,
            ),
        )
        if moved != 1:
            return False
        checkin = load(session, checkin_id)
        assert checkin is not None
        commitment = checkin.commitment
        diary.record_checkin(
            session,
            checkin,
            kind="checkin_failed",
            text=f"The check-in for “{escape(commitment.action)}” could not be delivered to "
            f"<@{commitment.owner.user_id}>: {cause.words()}. It does not count against anyone.",
            at=now,
            dedupe_key=f"checkin:{checkin_id}:failed",
        )
    return True


def tell_csm_undeliverable(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    owner_id: int,
    account_ids: list[int],
    cause: Cause,
    now: datetime,
) -> None:
    """Each concerned account's CSM hears once per person and cause, with the fix; a later delivery
    to the same place clears it, so a new failure is told again."""
    marked = _mark_problem(sessions, owner_id=owner_id, cause=cause, account_ids=account_ids)
    if marked is None:
        return
    user_id, accounts = marked
    for account in accounts:
        text = (
            f"I can't deliver check-ins to <@{user_id}> on {escape(account.name)}: {cause.words()} "
            f"({cause.error}). To fix it, {fix_for(cause, user_id=user_id, account=account)}. Until then "
            "their check-ins are recorded as not delivered and count against no one."
        )
        try:
            gateway.send_dm(account.csm_user_id, text=text, blocks=[])
        except SlackDeliveryError as exc:
            log.warning(
                "could not tell %s that %s is unreachable: %s %s",
                account.csm_user_id,
                user_id,
                exc.method,
                exc.error,
            )


def tell_csm_fallback(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, owner_user_id: str, account_ids: list[int]
) -> None:
    """Under `auto` nothing is lost when a DM is refused, but the CSM should know why this person's
    check-ins now appear in the shared channel, and how to make it their setting for good."""
    with sessions() as session:
        accounts = list(session.scalars(select(Account).where(Account.id.in_(account_ids))))
    for account in accounts:
        text = (
            f"Slack won't let me send direct messages to <@{owner_user_id}> (their organisation's "
            f"settings), so their check-ins on {escape(account.name)} now go to <#{account.shared_channel_id}>, "
            "mentioning them; only they can answer there. I'll try a DM again each week. "
            f"`/accountability person <@{owner_user_id}> checkins:channel` makes the channel their setting."
        )
        try:
            gateway.send_dm(account.csm_user_id, text=text, blocks=[])
        except SlackDeliveryError as exc:
            log.warning(
                "could not tell %s that %s's check-ins moved to the channel: %s %s",
                account.csm_user_id,
                owner_user_id,
                exc.method,
                exc.error,
            )


def problems_of(person: Person) -> list[Cause]:
    causes = (cause_of(key) for key in (person.delivery_problem or "").split())
    return [cause for cause in causes if cause is not None]


def _mark_problem(
    sessions: sessionmaker[Session], *, owner_id: int, cause: Cause, account_ids: list[int]
) -> tuple[str, list[Account]] | None:
    """The person's Slack ID and the accounts whose CSM to tell, or None when this cause is already on
    record for them. The compare-and-set on the column makes two clocks tell it once."""
    with sessions.begin() as session:
        person = session.get(Person, owner_id)
        if person is None:
            return None
        before = person.delivery_problem
        keys = (before or "").split()
        if cause.key in keys:
            return None
        keys.append(cause.key)
        while len(" ".join(keys)) > MAX_PROBLEM and len(keys) > 1:
            keys.pop(0)
        same = Person.delivery_problem.is_(None) if before is None else Person.delivery_problem == before
        marked = rows_changed(
            session,
            update(Person)
            .where(Person.id == owner_id, same)
            .values(delivery_problem=" ".join(keys)[:MAX_PROBLEM]),
        )
        if marked != 1:
            return None
        accounts = list(
            session.scalars(select(Account).where(Account.id.in_(account_ids)).order_by(Account.id))
        )
        session.expunge_all()
        return person.user_id, accounts


def clear_problem(
    sessions: sessionmaker[Session], *, owner_id: int, place: str, channel_id: str | None = None
) -> None:
    """A delivery that worked: the problems of that place are over, and a new one will be told again."""
    prefix = f"{place}:{channel_id or ''}:" if place == "channel" else "dm:"
    with sessions() as session:
        before = session.scalar(select(Person.delivery_problem).where(Person.id == owner_id))
    if not before:
        return
    kept = " ".join(key for key in before.split() if not key.startswith(prefix)) or None
    if kept == before:
        return
    with sessions.begin() as session:
        session.execute(
            update(Person)
            .where(Person.id == owner_id, Person.delivery_problem == before)
            .values(delivery_problem=kept)
        )
