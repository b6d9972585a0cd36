"""Replies in the thread of a check-in posted in an account's shared channel.

The owner's reply is a note on that check-in, under the same rules as a note typed in the DM. A vendor
owner's `private:` note typed there has already been read by the customer's side of the channel; it is
still kept out of the shared diary, and the owner is told privately to DM such notes next time.
Anyone else's reply is their conversation: nothing is recorded, and they are told so once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.answers import with_commitment
from bot.checkins.notes import note_on, noted_reply
from bot.slack.deliveries import first_delivery
from bot.slack.events import message_key
from bot.slack.mrkdwn import escape
from models import Account, CheckIn, Commitment

PRIVATE_IN_CHANNEL = (
    "That note is visible to everyone in this shared channel, the customer included. I kept it private "
    "to the vendor's team in the diary — next time, DM me private notes."
)


@dataclass(frozen=True)
class ThreadReply:
    """What to tell the person who replied, only to them; None: nothing to say (a redelivery)."""

    ephemeral: str | None


def note_in_checkin_thread(
    sessions: sessionmaker[Session],
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    user_id: str,
    text: str,
    message_ts: str,
    now: datetime,
) -> ThreadReply | None:
    """None when `thread_ts` is not a check-in posted in an account's shared channel."""
    with sessions.begin() as session:
        checkins = _posted_in(session, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts)
        if not checkins:
            return None
        # One post holds one person's check-ins due together; the latest is the one a note is about.
        owned = [c for c in checkins if c.commitment.owner.user_id == user_id]
        if owned:
            noted = note_on(
                session,
                owned[-1],
                user_id=user_id,
                text=text,
                dedupe_key=f"{message_key(channel_id=channel_id, message_ts=message_ts)}:note",
                now=now,
            )
            if noted is None:
                return ThreadReply(None)  # a redelivery: recorded once, said once
            return ThreadReply(PRIVATE_IN_CHANNEL if noted.private else noted_reply(noted))
        owner, action = checkins[-1].commitment.owner.user_id, checkins[-1].commitment.action
    # Said once per person and thread: a colleague talking with the owner there is not nagged.
    if not first_delivery(
        sessions, event_id=f"hint:{channel_id}:{thread_ts}:{user_id}", team_id=team_id, now=now
    ):
        return ThreadReply(None)
    return ThreadReply(
        f"This thread is <@{owner}>'s check-in for “{escape(action)}”: only they can add notes to it, "
        "so replies from others here aren't recorded in the diary."
    )


def _posted_in(session: Session, *, team_id: str, channel_id: str, thread_ts: str) -> list[CheckIn]:
    return list(
        session.scalars(
            select(CheckIn)
            .join(CheckIn.commitment)
            .join(Commitment.account)
            .where(
                CheckIn.place == "channel",
                CheckIn.channel_id == channel_id,
                CheckIn.message_ts == thread_ts,
                Account.shared_channel_id == channel_id,
                Account.team_id == team_id,
            )
            .options(*with_commitment())
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        )
    )
