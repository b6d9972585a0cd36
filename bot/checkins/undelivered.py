"""Check-ins Slack would not take: recorded as not delivered (visible in the diary, counted against no
one, never a miss) and the CSM told once what to do."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.answers import load
from bot.checkins.counts import CheckinCounts
from bot.checkins.schedule import zone
from bot.checkins.working_days import end_of_working_day, working_morning_after
from bot.diary import entries as diary
from bot.slack.errors import Failure, classify, plain, why_not_delivered
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, CheckIn, CheckInState, Commitment, Person
from models.db import rows_changed

log = logging.getLogger(__name__)

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
        if now >= deadline and record_failure(
            sessions, checkin_id, error=error, now=now, from_state=CheckInState.DUE
        ):
            counts.failed += 1


def _would_have_closed(checkin: CheckIn) -> datetime:
    """The end of the working day after the one it fell on, in its owner's zone."""
    tz = zone(checkin.commitment.owner.tz)
    holidays = checkin.commitment.account.holiday_country
    return end_of_working_day(
        working_morning_after(checkin.scheduled_at, 1, tz=tz, holiday_country=holidays),
        tz=tz,
        holiday_country=holidays,
    )


def record_failure(
    sessions: sessionmaker[Session],
    checkin_id: int,
    *,
    error: str,
    now: datetime,
    from_state: CheckInState = CheckInState.SENDING,
) -> bool:
    """Keep the failure visible on the row and in the diary, in plain words, never drop it."""
    with sessions.begin() as session:
        moved = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state == from_state)
            .values(state=CheckInState.FAILED, last_error=error[:200], next_attempt_at=None),
        )
        if moved != 1:
            return False
        checkin = load(session, checkin_id)
        assert checkin is not None
        commitment = checkin.commitment
        why = (
            why_not_delivered(error)
            if classify(error) is Failure.PERMANENT
            else "Slack did not take it before it closed"
        )
        diary.record_checkin(
            session,
            checkin,
            kind="checkin_failed",
            text=f"The check-in for “{escape(commitment.action)}” could not be delivered to "
            f"<@{commitment.owner.user_id}>: {why}. It does not count against anyone.",
            at=now,
            dedupe_key=f"checkin:{checkin_id}:failed",
        )
    return True


def tell_csm_undeliverable(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, owner_id: int, error: str, now: datetime
) -> None:
    """The CSM hears once per person and cause, with what to do; a later success clears it."""
    marked = _mark_problem(sessions, owner_id=owner_id, error=error)
    if marked is None:
        return
    user_id, notices = marked
    reason = plain(error)
    for csm, account_name in notices.items():
        try:
            gateway.send_dm(
                csm,
                text=f"I can't deliver check-ins to <@{user_id}> ({escape(account_name)}): {reason}. "
                "Their check-ins are recorded as not delivered and count against no one until this is fixed "
                "— for example invite me to a channel you share with them, or give the commitment a new owner.",
                blocks=[],
            )
        except SlackDeliveryError as exc:
            log.warning(
                "could not tell %s that %s is unreachable: %s %s", csm, user_id, exc.method, exc.error
            )


def _mark_problem(
    sessions: sessionmaker[Session], *, owner_id: int, error: str
) -> tuple[str, dict[str, str]] | None:
    """The person's Slack ID and their accounts' CSMs (CSM → account name), or None when this cause
    is already on record for them, so it is told once."""
    with sessions.begin() as session:
        person = session.get(Person, owner_id)
        if person is None:
            return None
        marked = rows_changed(
            session,
            update(Person)
            .where(Person.id == owner_id)
            .where((Person.delivery_problem.is_(None)) | (Person.delivery_problem != error[:200]))
            .values(delivery_problem=error[:200]),
        )
        if marked != 1:
            return None
        accounts = session.scalars(
            select(Account)
            .join(Commitment, Commitment.account_id == Account.id)
            .where(Commitment.owner_id == owner_id)
        ).unique()
        return person.user_id, {account.csm_user_id: account.name for account in accounts}


def clear_problem(sessions: sessionmaker[Session], *, owner_id: int) -> None:
    """A delivery that worked: the person's problem is over, and a new one will be told again."""
    with sessions.begin() as session:
        session.execute(
            update(Person)
            .where(Person.id == owner_id, Person.delivery_problem.is_not(None))
            .values(delivery_problem=None)
        )
