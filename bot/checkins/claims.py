"""A check-in's way from due to sent: each move a guarded UPDATE on its state, so two clock passes
(sequential or concurrent) move it once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.answers import load
from bot.checkins.reminders import after_sending
from bot.slack.gateway import PostedMessage
from models import CheckIn, CheckInState
from models.db import rows_changed

RETRY_FLOOR = timedelta(minutes=1)
RETRY_CEILING = timedelta(hours=1)


def claim(sessions: sessionmaker[Session], checkin_id: int, *, now: datetime) -> bool:
    with sessions.begin() as session:
        claimed = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state == CheckInState.DUE)
            .values(
                state=CheckInState.SENDING,
                claimed_at=now,
                send_attempts=CheckIn.send_attempts + 1,
                # Where it goes is decided by this send; a channel post notes it (`heading_to_channel`).
                place=None,
                channel_id=None,
            ),
        )
    return claimed == 1


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
