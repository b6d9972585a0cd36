"""A check-in's way from due to sent: each move a guarded UPDATE on its state, so two clock passes
(sequential or concurrent) move it once.

On PostgreSQL the due work is shared out between clock processes: a clock claims a batch of people
(`SELECT … FOR UPDATE SKIP LOCKED` on their rows) and all their due check-ins with them, so a person's
check-ins due together still go out as one message, and a second clock takes the next batch instead of
waiting. SQLite has no SKIP LOCKED and one writer at a time: there check-ins are claimed one by one, as a
single clock process does. Either way a claim carries the clock's name and a lease (`bot.clock_run`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.answers import load
from bot.checkins.reminders import after_sending
from bot.clock_run import ClockRun
from bot.slack.gateway import PostedMessage
from models import CheckIn, CheckInState, Commitment, Person
from models.db import rows_changed

RETRY_FLOOR = timedelta(minutes=1)
RETRY_CEILING = timedelta(hours=1)
# People per claimed batch: small enough that a killed clock strands little until its lease runs
# out, large enough that claiming costs little next to sending.
CLAIM_BATCH = 25
# Looks for due people after a batch another clock emptied between snapshot and lock; each look takes a
# fresh snapshot, so the emptied people are not found again.
RACED_BATCH_TRIES = 20
# A claim made before leases existed is abandoned this long after it was made.
ABANDONED_CLAIM = timedelta(minutes=10)


def _claimed_values(clock: ClockRun, *, now: datetime) -> dict[str, Any]:
    return {
        "state": CheckInState.SENDING,
        "claimed_at": now,
        "claimed_by": clock.clock_id,
        "claim_expires_at": clock.lease_until(),
        "send_attempts": CheckIn.send_attempts + 1,
        # Where it goes is decided by this send; a channel post notes it (`heading_to_channel`).
        "place": None,
        "channel_id": None,
    }


def _due(now: datetime) -> tuple[Any, ...]:
    return (
        CheckIn.state == CheckInState.DUE,
        CheckIn.scheduled_at <= now,
        or_(CheckIn.next_attempt_at.is_(None), CheckIn.next_attempt_at <= now),
    )


def claim(sessions: sessionmaker[Session], checkin_id: int, *, now: datetime, clock: ClockRun) -> bool:
    with sessions.begin() as session:
        claimed = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state == CheckInState.DUE)
            .values(**_claimed_values(clock, now=now)),
        )
    return claimed == 1


def shares_work(sessions: sessionmaker[Session]) -> bool:
    """Whether clock processes can split the due work between them (PostgreSQL's SKIP LOCKED)."""
    return bool(sessions.kw["bind"].dialect.name == "postgresql")


def claim_batch(
    sessions: sessionmaker[Session], *, now: datetime, clock: ClockRun, size: int = CLAIM_BATCH
) -> list[int]:
    """The due check-ins of up to `size` people no other clock is claiming right now, claimed for this
    clock; empty only when no one's check-ins are left to claim. Check-ins this pass already claimed
    once (`claimed_at` is its instant) wait for the next pass, so a send deferred with no wait cannot
    keep a pass going round."""
    for _attempt in range(RACED_BATCH_TRIES):
        owners, claimed = _claim_once(sessions, now=now, clock=clock, size=size)
        if claimed or not owners:
            return claimed
        # Raced: another clock claimed these people's check-ins after this query's snapshot was taken
        # and before its locks were (under READ COMMITTED, SKIP LOCKED re-checks only the locked people
        # rows, not the subquery that found them due). A fresh look finds the people still due.
    return []


def _claim_once(
    sessions: sessionmaker[Session], *, now: datetime, clock: ClockRun, size: int
) -> tuple[list[int], list[int]]:
    """(the people locked, the check-ins claimed with them)."""
    due = (*_due(now), or_(CheckIn.claimed_at.is_(None), CheckIn.claimed_at < now))
    with sessions.begin() as session:
        owners = list(
            session.scalars(
                select(Person.id)
                .where(
                    Person.id.in_(
                        select(Commitment.owner_id)
                        .join(CheckIn, CheckIn.commitment_id == Commitment.id)
                        .where(*due)
                    )
                )
                .order_by(Person.id)
                .limit(size)
                .with_for_update(skip_locked=True)
            )
        )
        if not owners:
            return [], []
        theirs = select(Commitment.id).where(Commitment.owner_id.in_(owners))
        claimed = list(
            session.scalars(
                update(CheckIn)
                .where(*due, CheckIn.commitment_id.in_(theirs))
                .values(**_claimed_values(clock, now=now))
                .returning(CheckIn.id)
                .execution_options(synchronize_session=False)
            )
        )
    return owners, claimed


def lease_expired(now: datetime) -> Any:
    return or_(
        CheckIn.claim_expires_at < now,
        and_(CheckIn.claim_expires_at.is_(None), CheckIn.claimed_at < now - ABANDONED_CLAIM),
    )


def take_over(
    sessions: sessionmaker[Session], checkin_ids: list[int], *, now: datetime, clock: ClockRun
) -> list[int]:
    """Claims whose lease ran out move to this clock, one winner per check-in, before it reads Slack's
    history to settle them: two clocks never settle the same claim."""
    if not checkin_ids:
        return []
    with sessions.begin() as session:
        return list(
            session.scalars(
                update(CheckIn)
                .where(CheckIn.id.in_(checkin_ids), CheckIn.state == CheckInState.SENDING, lease_expired(now))
                .values(claimed_by=clock.clock_id, claim_expires_at=clock.lease_until())
                .returning(CheckIn.id)
                .execution_options(synchronize_session=False)
            )
        )


def let_go(sessions: sessionmaker[Session], checkin_ids: list[int], *, now: datetime) -> None:
    """This pass can't tell whether these went out (Slack's answer and its history both failed) and
    is done with them: their lease ends now, so the next pass of any clock settles them from the
    history rather than a check-in waiting out the whole lease."""
    if not checkin_ids:
        return
    with sessions.begin() as session:
        session.execute(
            update(CheckIn)
            .where(CheckIn.id.in_(checkin_ids), CheckIn.state == CheckInState.SENDING)
            .values(claim_expires_at=now)
        )


def retry_wait(attempts: int) -> timedelta:
    """Back-off between passes: 1, 2, 4 … minutes, at most an hour apart."""
    seconds = RETRY_FLOOR.total_seconds() * 2 ** min(max(0, attempts - 1), 12)
    return timedelta(seconds=min(RETRY_CEILING.total_seconds(), seconds))


def defer(
    sessions: sessionmaker[Session], checkin_ids: list[int], *, error: str, now: datetime, wait: int | None
) -> None:
    """Back to due, for a later pass: `wait` seconds if Slack said so, otherwise the back-off."""
    with sessions.begin() as session:
        for checkin_id in checkin_ids:
            checkin = session.get(CheckIn, checkin_id)
            if checkin is None or checkin.state is not CheckInState.SENDING:
                continue
            delay = timedelta(seconds=wait) if wait is not None else retry_wait(checkin.send_attempts)
            checkin.state = CheckInState.DUE
            checkin.next_attempt_at = now + delay
            if error:
                checkin.last_error = error[:200]


def record_sent(
    sessions: sessionmaker[Session],
    checkin_ids: list[int],
    *,
    channel: str,
    ts: str,
    now: datetime,
    follow_up: dict[int, dict[str, datetime | None]],
    place: str = "dm",
) -> None:
    with sessions.begin() as session:
        for checkin_id in checkin_ids:
            session.execute(
                update(CheckIn)
                .where(CheckIn.id == checkin_id, CheckIn.state == CheckInState.SENDING)
                .values(
                    state=CheckInState.SENT,
                    sent_at=now,
                    channel_id=channel,
                    message_ts=ts,
                    place=place,
                    next_attempt_at=None,
                    **follow_up[checkin_id],
                )
            )


def heading_to_channel(sessions: sessionmaker[Session], checkin_ids: list[int], *, channel: str) -> None:
    """Noted on the claim before the channel post, so a pass that dies mid-post is settled from the
    channel's history rather than the DM's."""
    with sessions.begin() as session:
        session.execute(
            update(CheckIn)
            .where(CheckIn.id.in_(checkin_ids), CheckIn.state == CheckInState.SENDING)
            .values(place="channel", channel_id=channel)
        )


def record_found(
    sessions: sessionmaker[Session],
    checkin_id: int,
    *,
    message: PostedMessage,
    now: datetime,
    place: str = "dm",
) -> bool:
    """A claimed check-in found in the bot's history (its DM, or the shared channel) went out:
    recorded as sent with that message, so it can be answered. False when the check-in is gone."""
    with sessions() as session:
        row = load(session, checkin_id)
        if row is None:
            return False
        follow_up = {checkin_id: after_sending(row, sent_at=now)}
    record_sent(
        sessions,
        [checkin_id],
        channel=message.channel,
        ts=message.ts,
        now=now,
        follow_up=follow_up,
        place=place,
    )
    return True
