"""Recording agreed actions, each with one owner on one side and a schedule of check-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot import diary
from bot.command_parser import Commit
from bot.errors import Refusal
from bot.permissions import Actor, manage_refusal, may_manage
from bot.schedule import upcoming, zone
from models import Account, Commitment, CommitmentStatus, Person

UPCOMING_SHOWN = 3


@dataclass(frozen=True)
class CreatedCommitment:
    commitment: Commitment
    next_checkins: list[datetime]  # aware, in the owner's zone


def create_commitment(
    session: Session, command: Commit, *, account: Account, owner: Person, actor: Actor, now: datetime
) -> CreatedCommitment:
    if not may_manage(actor, account):
        raise Refusal(manage_refusal(account))
    tz = zone(owner.tz)
    owner_today = now.astimezone(tz).date()
    if command.due_on is not None and command.due_on < owner_today:
        raise Refusal(
            f"{command.due_on.isoformat()} has already passed in <@{owner.user_id}>'s time zone ({tz.key}). "
            "Give a date from today on."
        )
    if command.recurrence is not None:
        schedule_text = f"{command.recurrence.text} at {command.at:%H:%M}"
    else:
        assert command.due_on is not None
        schedule_text = f"by {command.due_on:%a %d %b %Y} at {command.at:%H:%M}"
    commitment = Commitment(
        team_id=account.team_id,
        enterprise_id=account.enterprise_id,
        account_id=account.id,
        side=command.side,
        owner_id=owner.id,
        action=command.action,
        rrule=command.recurrence.rule if command.recurrence else None,
        due_on=command.due_on,
        starts_on=owner_today,
        local_time=command.at,
        schedule_text=schedule_text,
        status=CommitmentStatus.ACTIVE,
        # Only occurrences after the moment of agreement are check-ins; earlier ones never existed.
        scheduled_through=now,
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(commitment)
    session.flush()
    diary.record(
        session,
        account=account,
        kind="commitment_created",
        text=f"{commitment.label} ({command.side.value} side, owner <@{owner.user_id}>): "
        f"“{commitment.action}”, {schedule_text} ({tz.key}).",
        at=now,
        actor_user_id=actor.user_id,
        side=command.side,
        commitment_id=commitment.id,
    )
    next_checkins = upcoming(
        rule=commitment.rrule,
        due_on=commitment.due_on,
        starts_on=commitment.starts_on,
        at=commitment.local_time,
        tz=tz,
        holiday_country=account.holiday_country,
        after=now,
        count=UPCOMING_SHOWN,
    )
    return CreatedCommitment(commitment, [t.astimezone(tz) for t in next_checkins])
