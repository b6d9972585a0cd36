"""Answering a check-in: one answer per occurrence, from its owner, written with its diary entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot import diary
from bot.checkin_message import ANSWER_LABELS, CheckInView
from bot.schedule import zone
from models import Answer, CheckIn, CheckInState, Commitment
from models.db import rows_changed


@dataclass(frozen=True)
class Answered:
    """Recorded now: the DM should be updated to show it."""

    view: CheckInView
    channel_id: str | None
    message_ts: str | None


@dataclass(frozen=True)
class NotRecorded:
    """Nothing changed; `reason` is said to the person who clicked."""

    reason: str


AnswerOutcome = Answered | NotRecorded

ANSWERABLE = (CheckInState.SENT,)


def load(session: Session, checkin_id: int) -> CheckIn | None:
    return session.scalar(
        select(CheckIn)
        .where(CheckIn.id == checkin_id)
        .options(
            joinedload(CheckIn.commitment).joinedload(Commitment.account),
            joinedload(CheckIn.commitment).joinedload(Commitment.owner),
        )
    )


def view_of(checkin: CheckIn) -> CheckInView:
    commitment = checkin.commitment
    tz = zone(commitment.owner.tz)
    return CheckInView(
        checkin_id=checkin.id,
        commitment_label=commitment.label,
        account_name=commitment.account.name,
        desired_outcome=commitment.account.desired_outcome,
        action=commitment.action,
        side=commitment.side.value,
        owner_user_id=commitment.owner.user_id,
        scheduled_local=checkin.scheduled_at.astimezone(tz),
        answer=checkin.answer,
        answered_by=checkin.answered_by,
        answered_local=checkin.answered_at.astimezone(tz) if checkin.answered_at else None,
        note=checkin.note,
    )


def answer_checkin(
    sessions: sessionmaker[Session],
    *,
    checkin_id: int,
    user_id: str,
    answer: Answer,
    now: datetime,
    note: str | None = None,
) -> AnswerOutcome:
    with sessions.begin() as session:
        checkin = load(session, checkin_id)
        # No team check here: a customer in a Slack Connect DM clicks from their own workspace, so the
        # payload's team differs from ours. Slack user IDs are unique across organisations, and only
        # the owner may answer, which is the check that matters.
        if checkin is None:
            return NotRecorded("I can't find that check-in any more.")
        owner = checkin.commitment.owner.user_id
        if user_id != owner:
            return NotRecorded(f"This check-in belongs to <@{owner}>; only they can answer it.")
        if checkin.state not in ANSWERABLE:
            return NotRecorded(_why_closed(checkin))
        # The state guard makes a double click or a concurrent second request a no-op: only one
        # UPDATE can move the row out of `sent`.
        moved = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state.in_(ANSWERABLE))
            .values(
                state=CheckInState.ANSWERED, answer=answer, answered_by=user_id, answered_at=now, note=note
            ),
        )
        if moved != 1:
            return NotRecorded("This check-in was already answered a moment ago. Nothing was changed.")
        session.refresh(checkin)
        commitment = checkin.commitment
        text = (
            f"{ANSWER_LABELS[answer]} — “{commitment.action}” (check-in of {checkin.scheduled_at:%Y-%m-%d})."
        )
        if note:
            text += f" Note: {note}"
        diary.record(
            session,
            account=commitment.account,
            kind=f"answer_{answer.value}",
            text=text,
            at=now,
            actor_user_id=user_id,
            side=commitment.side,
            commitment_id=commitment.id,
            checkin_id=checkin.id,
            dedupe_key=f"checkin:{checkin.id}:answer",
        )
        return Answered(view=view_of(checkin), channel_id=checkin.channel_id, message_ts=checkin.message_ts)


def _why_closed(checkin: CheckIn) -> str:
    if checkin.state is CheckInState.ANSWERED and checkin.answer is not None:
        when = (
            checkin.answered_at.astimezone(zone(checkin.commitment.owner.tz)) if checkin.answered_at else None
        )
        stamp = f" on {when:%a %d %b %H:%M}" if when else ""
        return (
            f"This check-in was already answered “{ANSWER_LABELS[checkin.answer]}” by <@{checkin.answered_by}>"
            f"{stamp}. Nothing was changed."
        )
    if checkin.state is CheckInState.NO_RESPONSE:
        return "This check-in has closed with no response. Nothing was changed."
    return "This check-in can't be answered now. Nothing was changed."
