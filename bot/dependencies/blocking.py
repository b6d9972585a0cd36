"""Whether a commitment is held up right now, and by whom.

A commitment waits on another (`Commitment.waits_on`). The one waited on holds it up while it is *open
and overdue*: not done or cancelled, and either its due date has passed (a `by` commitment is due by the
end of that working day in its owner's zone) or its latest closed check-in was a miss (Not yet, Blocked
or no response). While that holds, the waiting commitment's misses count against the blocking side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.checkins.schedule import local_instant, zone
from bot.checkins.working_days import WORKDAY_END
from bot.slack.mrkdwn import escape
from models import Answer, CheckIn, CheckInState, Commitment, CommitmentStatus, Side

CLOSED = (CheckInState.ANSWERED, CheckInState.NO_RESPONSE)
MISSED_ANSWERS = (Answer.NOT_YET, Answer.BLOCKED)
ENDED = (CommitmentStatus.DONE, CommitmentStatus.CANCELLED)


@dataclass(frozen=True)
class Holdup:
    """The commitment holding another one up, and since when it has been overdue."""

    blocker: Commitment
    since: datetime  # aware UTC

    @property
    def side(self) -> Side:
        return self.blocker.side

    def words(self) -> str:
        """ "#7 (vendor: Ship the calendar import fix, overdue since Tue)", typed text escaped."""
        day = self.since.astimezone(zone(self.blocker.owner.tz))
        return (
            f"{self.blocker.label} ({self.blocker.side.value}: {escape(self.blocker.action)}, "
            f"overdue since {day:%a})"
        )


def overdue_since(session: Session, commitment: Commitment, *, at: datetime) -> datetime | None:
    """When this commitment became open and overdue as of `at`; None when it is not."""
    if commitment.status in ENDED:
        return None
    if commitment.rrule is None and commitment.due_on is not None:
        deadline = local_instant(commitment.due_on, WORKDAY_END, zone(commitment.owner.tz))
        if at >= deadline:
            return deadline
    latest = session.scalar(
        select(CheckIn)
        .where(
            CheckIn.commitment_id == commitment.id,
            CheckIn.state.in_(CLOSED),
            CheckIn.scheduled_at <= at,
        )
        .order_by(CheckIn.scheduled_at.desc())
        .limit(1)
    )
    if latest is not None and (latest.state is CheckInState.NO_RESPONSE or latest.answer in MISSED_ANSWERS):
        return latest.scheduled_at
    return None


def holding_up(session: Session, commitment: Commitment, *, at: datetime) -> Holdup | None:
    """The commitment this one waits on, when that one is open and overdue as of `at`."""
    blocker = commitment.waits_on
    if blocker is None:
        return None
    since = overdue_since(session, blocker, at=at)
    return Holdup(blocker, since) if since is not None else None


def charged_side(session: Session, checkin: CheckIn, *, at: datetime) -> Side | None:
    """The side a miss closing now counts against when it is not its owner's; None for the owner's.

    A Blocked answer naming the other side's commitment wins; otherwise an overdue commitment this one
    waits on, when it belongs to the other side.
    """
    own = checkin.commitment.side
    if checkin.blocked_by_commitment_id is not None:
        named = session.get(Commitment, checkin.blocked_by_commitment_id)
        if named is not None and named.side is not own:
            return named.side
    holdup = holding_up(session, checkin.commitment, at=at)
    if holdup is not None and holdup.side is not own:
        return holdup.side
    return None


def judged_at(checkin: CheckIn) -> datetime:
    """The instant a check-in's waiting is judged at: when it closed, or when it fell due if still open."""
    if checkin.answered_at is not None:
        return checkin.answered_at
    if checkin.state is CheckInState.NO_RESPONSE and checkin.closes_at is not None:
        return checkin.closes_at
    return checkin.scheduled_at


def waiting_line(session: Session, checkin: CheckIn) -> str | None:
    """What a check-in says of the commitment it waits on, while that one holds it up."""
    holdup = holding_up(session, checkin.commitment, at=judged_at(checkin))
    if holdup is None:
        return None
    line = f"This is waiting on {holdup.words()}"
    if holdup.side is not checkin.commitment.side:
        line += f" — a miss meanwhile counts against the {holdup.side.value} side, not yours"
    return line + "."


def held_up(session: Session, blocker: Commitment) -> list[Commitment]:
    """The open commitments waiting on this one."""
    return list(
        session.scalars(
            select(Commitment)
            .where(Commitment.waits_on_id == blocker.id, Commitment.status.not_in(ENDED))
            .order_by(Commitment.id)
        )
    )


def holding_up_words(session: Session, blocker: Commitment) -> str | None:
    """ "Holding up: #12 “Test the import” (customer, <@U0CHAMP>)" for an escalation of `blocker`."""
    waiting = held_up(session, blocker)
    if not waiting:
        return None
    return "Holding up: " + ", ".join(
        f"{c.label} “{escape(c.action)}” ({c.side.value}, <@{c.owner.user_id}>)" for c in waiting
    )
