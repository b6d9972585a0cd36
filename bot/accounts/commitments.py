"""Recording agreed actions, each with one owner on one side and a schedule of check-ins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.accounts.permissions import Actor, manage_refusal, may_manage
from bot.accounts.plan_version import plan_changed
from bot.accounts.registry import find_account
from bot.checkins.recurrence import Recurrence
from bot.checkins.schedule import upcoming, zone
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.slack.mrkdwn import escape
from models import Account, CheckIn, CheckInState, Commitment, CommitmentStatus, Person, Side

UPCOMING_SHOWN = 3


@dataclass(frozen=True)
class Commit:
    account: str
    side: Side
    owner_user_id: str
    action: str
    at: time
    recurrence: Recurrence | None = None
    due_on: date | None = None


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
        # The vendor holds itself to its word at once; the customer's part waits for "I agree".
        agreed_at=now if command.side is Side.VENDOR else None,
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(commitment)
    if command.side is Side.CUSTOMER:
        plan_changed(session, account)
    session.flush()
    diary.record(
        session,
        account=account,
        kind="commitment_created",
        text=f"{commitment.label} ({command.side.value} side, owner <@{owner.user_id}>): "
        f"“{escape(commitment.action)}”, {escape(schedule_text)} ({tz.key}).",
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


def _withdraw_open_checkins(session: Session, commitment: Commitment) -> None:
    """A check-in still waiting when its commitment is paused or ends is withdrawn, not left to close as
    a miss: paused time counts for no one."""
    session.execute(
        update(CheckIn)
        .where(
            CheckIn.commitment_id == commitment.id, CheckIn.state.in_((CheckInState.DUE, CheckInState.SENT))
        )
        .values(state=CheckInState.SKIPPED, remind_at=None, closes_at=None)
    )


def _managed_commitment(session: Session, commitment_id: int, *, team_id: str, actor: Actor) -> Commitment:
    commitment = session.get(Commitment, commitment_id)
    if commitment is None or commitment.team_id != team_id:
        raise Refusal(f"There is no commitment #{commitment_id}. `/accountability list` shows the numbers.")
    if not may_manage(actor, commitment.account):
        raise Refusal(manage_refusal(commitment.account))
    return commitment


def _targets(
    session: Session, *, commitment_id: int | None, account_name: str | None, team_id: str, actor: Actor
) -> tuple[str, list[Commitment]]:
    """The commitments a pause or resume applies to, and how to name them in the answer."""
    if commitment_id is not None:
        commitment = _managed_commitment(session, commitment_id, team_id=team_id, actor=actor)
        return commitment.label, [commitment]
    assert account_name is not None
    account = find_account(session, team_id=team_id, name=account_name)
    if not may_manage(actor, account):
        raise Refusal(manage_refusal(account))
    return f"every commitment of {escape(account.name)}", list(account.commitments)


def pause(
    session: Session,
    *,
    commitment_id: int | None,
    account_name: str | None,
    until: date | None,
    team_id: str,
    actor: Actor,
    now: datetime,
) -> str:
    what, commitments = _targets(
        session, commitment_id=commitment_id, account_name=account_name, team_id=team_id, actor=actor
    )
    paused = [c for c in commitments if c.status is CommitmentStatus.ACTIVE]
    if not paused:
        return f"Nothing to pause: {what} is not active."
    for commitment in paused:
        tz = zone(commitment.owner.tz)
        commitment.status = CommitmentStatus.PAUSED
        _withdraw_open_checkins(session, commitment)
        # The pause ends at the start of that day in the owner's own zone.
        commitment.paused_until = (
            datetime.combine(until, time.min, tzinfo=tz).astimezone(UTC) if until else None
        )
        diary.record(
            session,
            account=commitment.account,
            kind="commitment_paused",
            text=f"{commitment.label} “{escape(commitment.action)}” paused"
            + (f" until {until:%a %d %b %Y}." if until else " until resumed.")
            + " No check-ins or escalations meanwhile.",
            at=now,
            actor_user_id=actor.user_id,
            side=commitment.side,
            commitment_id=commitment.id,
        )
    labels = ", ".join(c.label for c in paused)
    return f"Paused {labels}" + (f" until {until:%a %d %b %Y}." if until else " until you resume it.")


def resume(
    session: Session,
    *,
    commitment_id: int | None,
    account_name: str | None,
    team_id: str,
    actor: Actor,
    now: datetime,
) -> str:
    what, commitments = _targets(
        session, commitment_id=commitment_id, account_name=account_name, team_id=team_id, actor=actor
    )
    resumed = [c for c in commitments if c.status is CommitmentStatus.PAUSED]
    if not resumed:
        return f"Nothing to resume: {what} is not paused."
    for commitment in resumed:
        resume_commitment(session, commitment, at=now, actor_user_id=actor.user_id)
    return f"Resumed {', '.join(c.label for c in resumed)}. Check-ins start again from now; the paused weeks don't count."


def resume_commitment(
    session: Session, commitment: Commitment, *, at: datetime, actor_user_id: str | None
) -> None:
    """Occurrences that fell during the pause never existed: scheduling picks up from `at`."""
    commitment.status = CommitmentStatus.ACTIVE
    commitment.paused_until = None
    if commitment.scheduled_through is None or commitment.scheduled_through < at:
        commitment.scheduled_through = at
    diary.record(
        session,
        account=commitment.account,
        kind="commitment_resumed",
        text=f"{commitment.label} “{escape(commitment.action)}” resumed"
        + ("." if actor_user_id else " at the end of its pause."),
        at=at,
        actor_user_id=actor_user_id,
        side=commitment.side,
        commitment_id=commitment.id,
    )


def close(
    session: Session,
    *,
    commitment_id: int,
    status: CommitmentStatus,
    note: str | None,
    team_id: str,
    actor: Actor,
    now: datetime,
) -> str:
    """Mark done or cancel: check-ins stop for good, and the customer's plan gets a new version."""
    commitment = _managed_commitment(session, commitment_id, team_id=team_id, actor=actor)
    if commitment.status in (CommitmentStatus.DONE, CommitmentStatus.CANCELLED):
        return f"{commitment.label} is already {commitment.status.value}; nothing was changed."
    commitment.status = status
    _withdraw_open_checkins(session, commitment)
    commitment.paused_until = None
    if commitment.side is Side.CUSTOMER:
        plan_changed(session, commitment.account)
    verb = "completed" if status is CommitmentStatus.DONE else "cancelled"
    diary.record(
        session,
        account=commitment.account,
        kind=f"commitment_{status.value}",
        text=f"{commitment.label} “{escape(commitment.action)}” {verb}."
        + (f" {escape(note)}" if note else ""),
        at=now,
        actor_user_id=actor.user_id,
        side=commitment.side,
        commitment_id=commitment.id,
    )
    return f"{commitment.label} “{escape(commitment.action)}” is {verb}; its check-ins have stopped."
