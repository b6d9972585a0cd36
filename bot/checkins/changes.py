"""Changing an answer: its owner may, for 24 hours; after that only the CSM's `correct` remains.

The check-in holds the latest answer, so kept-rates, streaks and the escalation rules all read it; the
diary keeps both entries, the newer pointing at the one it corrects. A changed answer is judged again by
the clock's next escalation pass exactly like a new one (`evaluated` is cleared): the rules count each
check-in's latest answer, an escalation is never lowered by it, and one resolves when the newest
check-in becomes Done. A due-date commitment a Done closed opens again when that Done is changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.answers import CHANGE_WINDOW, Answered, changeable, load, message_views, redrawn
from bot.checkins.message import ANSWER_LABELS, CHANGEABLE, message_blocks, message_text
from bot.dependencies.blocking import MISSED_ANSWERS, charged_side
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.escalation.episodes import resolve_for_done
from bot.slack.errors import Failure, classify
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Answer, CheckIn, CheckInState, CommitmentStatus, DiaryEntry
from models.db import rows_changed

log = logging.getLogger(__name__)

TOO_LATE = "Answers can be changed for 24 hours; ask your CSM to `correct` it."
# Messages answered longer ago than this never had the control (or lost it long ago): closed quietly.
REDRAW_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class Changed(Answered):
    """The redrawn message, and the escalation posts resolved by a change to Done."""

    resolved: tuple[int, ...] = ()


def change_answer(
    sessions: sessionmaker[Session], *, checkin_id: int, user_id: str, answer: Answer, now: datetime
) -> Changed:
    with sessions.begin() as session:
        checkin = load(session, checkin_id)
        if checkin is None:
            raise Refusal("I can't find that check-in any more.")
        owner = checkin.commitment.owner.user_id
        if user_id != owner:
            raise Refusal(f"This check-in belongs to <@{owner}>; only they can change its answer.")
        if answer not in CHANGEABLE:
            raise Refusal("That is not an answer a check-in can be changed to.")
        if not changeable(checkin, now=now):
            raise Refusal(TOO_LATE)
        before = checkin.answer
        assert before is not None and checkin.answered_at is not None
        if answer is before:
            raise Refusal(f"The answer is already “{ANSWER_LABELS[answer]}”. Nothing was changed.")
        moved = rows_changed(
            session,
            update(CheckIn)
            .where(
                CheckIn.id == checkin_id,
                CheckIn.state == CheckInState.ANSWERED,
                CheckIn.answer == before,
                CheckIn.answer_change_closed.is_(False),
                CheckIn.answered_at > now - CHANGE_WINDOW,
            )
            .values(answer=answer, evaluated=False, charged_side=None, blocked_by_commitment_id=None),
        )
        if moved != 1:
            raise Refusal("That answer changed a moment ago. Nothing was changed.")
        session.refresh(checkin)
        if answer in MISSED_ANSWERS:
            checkin.charged_side = charged_side(session, checkin, at=now)
        resolved = _commitment_follows(session, checkin, before=before, now=now)
        _record_change(session, checkin, before=before, user_id=user_id, now=now)
    shown = redrawn(sessions, checkin_id, now=now)
    return Changed(
        views=shown.views,
        channel_id=shown.channel_id,
        message_ts=shown.message_ts,
        resolved=tuple(resolved),
    )


def _commitment_follows(session: Session, checkin: CheckIn, *, before: Answer, now: datetime) -> list[int]:
    """A due-date commitment is finished by a Done and open again when that Done is taken back."""
    commitment = checkin.commitment
    if commitment.rrule is not None:
        return []
    commitment.next_checkin_at = None  # a follow-up may start or stop: the clock looks again
    if checkin.answer is Answer.DONE and commitment.status is CommitmentStatus.ACTIVE:
        commitment.status = CommitmentStatus.DONE
        return resolve_for_done(session, commitment, now=now)
    if before is Answer.DONE and commitment.status is CommitmentStatus.DONE:
        commitment.status = CommitmentStatus.ACTIVE
    return []


def _record_change(
    session: Session, checkin: CheckIn, *, before: Answer, user_id: str, now: datetime
) -> None:
    """A new entry pointing at the latest entry of this check-in's answer; the old one stays as it was."""
    corrected = session.scalar(
        select(DiaryEntry.id)
        .where(DiaryEntry.checkin_id == checkin.id, DiaryEntry.kind.like("answer_%"))
        .order_by(DiaryEntry.id.desc())
        .limit(1)
    )
    assert checkin.answer is not None
    entry = diary.record(
        session,
        account=checkin.commitment.account,
        kind=f"answer_{checkin.answer.value}",
        text=f"Answer changed by <@{user_id}> from {ANSWER_LABELS[before]} to {ANSWER_LABELS[checkin.answer]}"
        f" — “{escape(checkin.commitment.action)}” (check-in of {checkin.scheduled_at:%Y-%m-%d}).",
        at=now,
        actor_user_id=user_id,
        side=checkin.commitment.side,
        commitment_id=checkin.commitment_id,
        checkin_id=checkin.id,
        corrects_id=corrected,
    )
    assert entry is not None


def close_answer_changes(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """The clock takes the Change answer control off every message whose 24 hours are over, so nobody is
    offered what would be refused. The flag is set once the message is redrawn (guarded, so two clocks
    set it once); a redraw Slack refuses for a passing reason is tried again next pass."""
    with sessions() as session:
        due = list(
            session.execute(
                select(CheckIn.id, CheckIn.answered_at, CheckIn.channel_id, CheckIn.message_ts)
                .where(
                    CheckIn.state == CheckInState.ANSWERED,
                    CheckIn.answer_change_closed.is_(False),
                    CheckIn.answered_at <= now - CHANGE_WINDOW,
                )
                .order_by(CheckIn.id)
            ).all()
        )
    closed = 0
    for checkin_id, answered_at, channel_id, message_ts in due:
        recent = answered_at is not None and answered_at > now - REDRAW_HORIZON
        if (
            channel_id
            and message_ts
            and recent
            and not _redraw_closed(
                sessions, gateway, checkin_id, channel_id=channel_id, message_ts=message_ts, now=now
            )
        ):
            continue
        with sessions.begin() as session:
            closed += rows_changed(
                session,
                update(CheckIn)
                .where(CheckIn.id == checkin_id, CheckIn.answer_change_closed.is_(False))
                .values(answer_change_closed=True),
            )
    return closed


def _redraw_closed(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    checkin_id: int,
    *,
    channel_id: str,
    message_ts: str,
    now: datetime,
) -> bool:
    """False when the redraw should be tried again on the next pass."""
    with sessions() as session:
        views = message_views(session, channel_id=channel_id, message_ts=message_ts, now=now)
    try:
        gateway.update_message(
            channel=channel_id, ts=message_ts, text=message_text(views), blocks=message_blocks(views)
        )
    except SlackDeliveryError as exc:
        log.warning(
            "check-in %s: answer control not removed: %s failed: %s", checkin_id, exc.method, exc.error
        )
        return classify(exc.error) is not Failure.TRANSIENT
    return True
