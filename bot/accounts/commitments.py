"""Recording agreed actions, each with one owner on one side and a schedule of check-ins."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.accounts.access import Actor, manage_refusal, may_manage
from bot.accounts.plan_version import plan_changed
from bot.accounts.registry import find_account
from bot.checkins.due_dates import DueDate, day_words, earliest_due_day, working_due_date
from bot.checkins.recurrence import Recurrence
from bot.checkins.schedule import upcoming, zone
from bot.dependencies.links import link
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.escalation.episodes import resolve_for_done
from bot.people.away import holiday_country_of
from bot.slack.mrkdwn import escape
from models import Account, Answer, CheckIn, CheckInState, Commitment, CommitmentStatus, Person, Side

UPCOMING_SHOWN = 3


MAX_ACTION = 300


@dataclass(frozen=True)
class Commit:
    account: str
    side: Side
    owner_user_id: str
    action: str
    at: time
    recurrence: Recurrence | None = None
    due_on: date | None = None
    # `after #7`: the commitment this one waits on (same account, possibly the other side's).
    after: int | None = None


@dataclass(frozen=True)
class CreatedCommitment:
    commitment: Commitment
    next_checkins: list[datetime]  # aware, in the owner's zone
    due: DueDate | None = None  # the date asked for and the working day it became


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
    holiday_country = holiday_country_of(owner, account)
    due: DueDate | None = None
    if command.due_on is not None:
        # A due date on the owner's day off moves to their working day before it (bot/checkins/due_dates.py).
        due = working_due_date(
            command.due_on,
            earliest=earliest_due_day(at=command.at, tz=tz, now=now),
            holiday_country=holiday_country,
        )
        command = replace(command, due_on=due.due_on)
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
        schedule_text=_schedule_text(command),
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
    diary.record_about(
        session,
        commitment,
        kind="commitment_created",
        text=f"{commitment.label} ({command.side.value} side, owner <@{owner.user_id}>): "
        f"“{escape(commitment.action)}”, {escape(commitment.schedule_text)} ({tz.key}).",
        at=now,
        actor_user_id=actor.user_id,
    )
    if command.after is not None:
        blocker = session.get(Commitment, command.after)
        if blocker is None or blocker.team_id != account.team_id:
            raise Refusal(
                f"There is no commitment #{command.after}. `/accountability list` shows the numbers."
            )
        link(session, commitment, blocker, actor_user_id=actor.user_id, at=now)
    next_checkins = upcoming_checkins(
        commitment, holiday_country=holiday_country, after=now, count=UPCOMING_SHOWN
    )
    return CreatedCommitment(commitment, next_checkins, due)


def _schedule_text(command: Commit) -> str:
    if command.recurrence is not None:
        return f"{command.recurrence.text} at {command.at:%H:%M}"
    assert command.due_on is not None
    return f"by {day_words(command.due_on)} at {command.at:%H:%M}"


def upcoming_checkins(
    commitment: Commitment, *, holiday_country: str | None, after: datetime, count: int
) -> list[datetime]:
    """What a CSM is shown of a commitment's next check-ins, in its owner's zone."""
    tz = zone(commitment.owner.tz)
    found = upcoming(
        rule=commitment.rrule,
        due_on=commitment.due_on,
        starts_on=commitment.starts_on,
        at=commitment.local_time,
        tz=tz,
        holiday_country=holiday_country,
        after=after,
        count=count,
    )
    return [t.astimezone(tz) for t in found]


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


# What a pause finds among the commitments it names, and a resume; and how to say there are none.
_FINDS = {
    "pause": (CommitmentStatus.ACTIVE, "is not active"),
    "resume": (CommitmentStatus.PAUSED, "is not paused"),
}


def _targets(
    session: Session,
    verb: str,
    *,
    commitment_id: int | None,
    account_name: str | None,
    team_id: str,
    actor: Actor,
) -> list[Commitment]:
    """The commitments a pause or resume applies to: of those it names (one, or every one of an
    account), the ones in the state it changes; refused when there are none."""
    if commitment_id is not None:
        commitment = _managed_commitment(session, commitment_id, team_id=team_id, actor=actor)
        what, commitments = commitment.label, [commitment]
    else:
        assert account_name is not None
        account = find_account(session, team_id=team_id, name=account_name)
        if not may_manage(actor, account):
            raise Refusal(manage_refusal(account))
        what, commitments = f"every commitment of {escape(account.name)}", list(account.commitments)
    status, state = _FINDS[verb]
    found = [c for c in commitments if c.status is status]
    if not found:
        raise Refusal(f"Nothing to {verb}: {what} {state}.")
    return found


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
    """Nothing is asked or escalated while paused; `until` is a local date in each owner's zone."""
    paused = _targets(
        session, "pause", commitment_id=commitment_id, account_name=account_name, team_id=team_id, actor=actor
    )
    for commitment in paused:
        _pause_commitment(session, commitment, until=until, at=now, actor_user_id=actor.user_id)
    labels = ", ".join(c.label for c in paused)
    return f"Paused {labels}" + (f" until {day_words(until)}." if until else " until you resume it.")


def _pause_commitment(
    session: Session, commitment: Commitment, *, until: date | None, at: datetime, actor_user_id: str
) -> None:
    commitment.status = CommitmentStatus.PAUSED
    _withdraw_open_checkins(session, commitment)
    # The pause ends at the start of that day in the owner's own zone.
    tz = zone(commitment.owner.tz)
    commitment.paused_until = datetime.combine(until, time.min, tzinfo=tz).astimezone(UTC) if until else None
    diary.record_about(
        session,
        commitment,
        kind="commitment_paused",
        text=f"{commitment.label} “{escape(commitment.action)}” paused"
        + (f" until {day_words(until)}." if until else " until resumed.")
        + " No check-ins or escalations meanwhile.",
        at=at,
        actor_user_id=actor_user_id,
    )


def resume(
    session: Session,
    *,
    commitment_id: int | None,
    account_name: str | None,
    team_id: str,
    actor: Actor,
    now: datetime,
) -> str:
    resumed = _targets(
        session,
        "resume",
        commitment_id=commitment_id,
        account_name=account_name,
        team_id=team_id,
        actor=actor,
    )
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
    diary.record_about(
        session,
        commitment,
        kind="commitment_resumed",
        text=f"{commitment.label} “{escape(commitment.action)}” resumed"
        + ("." if actor_user_id else " at the end of its pause."),
        at=at,
        actor_user_id=actor_user_id,
    )


@dataclass(frozen=True)
class Closed:
    """A commitment marked done or cancelled: the reply, and the escalation posts to redraw now."""

    reply: str
    resolved: list[int]


def is_owner(actor: Actor, commitment: Commitment) -> bool:
    """The commitment's own owner, on either side: Slack user IDs are unique across organisations, and
    the commitment must belong to the installation the request came to."""
    return commitment.team_id == actor.team_id and commitment.owner.user_id == actor.user_id


def _closable(
    session: Session, commitment_id: int, *, status: CommitmentStatus, team_id: str, actor: Actor
) -> Commitment:
    """Its owner may mark their own commitment done at any time; cancelling, and closing anyone else's,
    is for the CSM and admins."""
    commitment = session.get(Commitment, commitment_id)
    if commitment is None or commitment.team_id != team_id:
        raise Refusal(f"There is no commitment #{commitment_id}. `/accountability list` shows the numbers.")
    if status is CommitmentStatus.DONE and is_owner(actor, commitment):
        return commitment
    if not may_manage(actor, commitment.account):
        owner = (
            f" Its owner, <@{commitment.owner.user_id}>, may also mark {commitment.label} done."
            if status is CommitmentStatus.DONE
            else ""
        )
        raise Refusal(manage_refusal(commitment.account) + owner)
    return commitment


def _answer_open_checkins(session: Session, commitment: Commitment, *, user_id: str, at: datetime) -> None:
    """The owner's own word that it is done is their answer to what is still open: kept, not withdrawn."""
    session.execute(
        update(CheckIn)
        .where(CheckIn.commitment_id == commitment.id, CheckIn.state == CheckInState.SENT)
        .values(
            state=CheckInState.ANSWERED,
            answer=Answer.DONE,
            answered_by=user_id,
            answered_at=at,
            remind_at=None,
            closes_at=None,
            evaluated=False,
        )
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
) -> Closed:
    """Mark done or cancel: check-ins stop for good, the customer's plan gets a new version, and an open
    escalation about it resolves at once — its post is redrawn by the caller."""
    commitment = _closable(session, commitment_id, status=status, team_id=team_id, actor=actor)
    if commitment.status in (CommitmentStatus.DONE, CommitmentStatus.CANCELLED):
        return Closed(f"{commitment.label} is already {commitment.status.value}; nothing was changed.", [])
    by_owner = status is CommitmentStatus.DONE and is_owner(actor, commitment)
    commitment.status = status
    if by_owner:
        _answer_open_checkins(session, commitment, user_id=actor.user_id, at=now)
    _withdraw_open_checkins(session, commitment)
    commitment.paused_until = None
    if commitment.side is Side.CUSTOMER:
        plan_changed(session, commitment.account)
    verb = "completed" if status is CommitmentStatus.DONE else "cancelled"
    whose = (
        f" Marked done by its owner <@{actor.user_id}>: their own answer (the CSM can `correct` it)."
        if by_owner
        else ""
    )
    diary.record_about(
        session,
        commitment,
        kind=f"commitment_{status.value}",
        text=f"{commitment.label} “{escape(commitment.action)}” {verb}.{whose}"
        + (f" Note: {escape(note)}" if note else ""),
        at=now,
        actor_user_id=actor.user_id,
    )
    resolved = resolve_for_done(session, commitment, now=now)
    reply = f"{commitment.label} “{escape(commitment.action)}” is {verb}; its check-ins have stopped."
    if resolved:
        reply += " Its open escalation is resolved."
    return Closed(reply, resolved)


def owner_marks_done(session: Session, *, commitment_id: int, user_id: str, now: datetime) -> Closed:
    """The App Home's **Mark done**: only the commitment's own owner sees it or may use it. No team
    check: a customer clicks from their own organisation, and user IDs are unique across them."""
    commitment = session.get(Commitment, commitment_id)
    if commitment is None:
        raise Refusal("I can't find that commitment any more.")
    if commitment.owner.user_id != user_id:
        raise Refusal(
            f"{commitment.label} belongs to <@{commitment.owner.user_id}>; only they can mark it done here."
        )
    owner = Actor(
        user_id=user_id,
        team_id=commitment.team_id,
        enterprise_id=commitment.enterprise_id,
        is_admin=False,
        is_external=commitment.side is Side.CUSTOMER,
    )
    return close(
        session,
        commitment_id=commitment_id,
        status=CommitmentStatus.DONE,
        note=None,
        team_id=commitment.team_id,
        actor=owner,
        now=now,
    )
