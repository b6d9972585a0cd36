"""Answering a check-in: one answer per occurrence, from its owner, written with its diary entry."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload, object_session, sessionmaker
from sqlalchemy.orm.interfaces import LoaderOption

from bot.checkins.message import ANSWER_LABELS, CHANGEABLE, CheckInView, Click
from bot.checkins.schedule import zone
from bot.checkins.working_days import working_morning_after
from bot.dependencies.blocking import MISSED_ANSWERS, charged_side, waiting_line
from bot.dependencies.naming import blocker_options, named_blocker
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.people.away import holiday_country_of
from bot.slack.deliveries import Replayed, claim_delivery
from bot.slack.mrkdwn import escape
from models import Answer, CheckIn, CheckInState, Commitment, CommitmentStatus
from models.db import rows_changed

STREAK_WINDOW = 6
MAX_SNOOZES = 2
CLOSED = (CheckInState.ANSWERED, CheckInState.NO_RESPONSE)
# How long the owner may change their own answer (bot.checkins.changes); then only the CSM's `correct`.
CHANGE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Answered:
    """Recorded now: the message holding the check-in should be redrawn from `views`."""

    views: list[CheckInView]
    channel_id: str | None
    message_ts: str | None


def with_commitment() -> tuple[LoaderOption, ...]:
    """Loader options for a check-in read together with its commitment's account and owner."""
    return (
        joinedload(CheckIn.commitment).joinedload(Commitment.account),
        joinedload(CheckIn.commitment).joinedload(Commitment.owner),
    )


def load(session: Session, checkin_id: int) -> CheckIn | None:
    return session.scalar(select(CheckIn).where(CheckIn.id == checkin_id).options(*with_commitment()))


def streak(session: Session, commitment_id: int) -> str | None:
    """ "done 4 of the last 6": the record the owner and both sides see, skipped occurrences left out."""
    return streaks(session, [commitment_id]).get(commitment_id)


def streaks(session: Session, commitment_ids: Iterable[int]) -> dict[int, str]:
    """`streak` of many commitments in one query (a clock sending thousands reads them per batch);
    a commitment with no answered occurrence yet is absent."""
    ids = sorted(set(commitment_ids))
    if not ids:
        return {}
    recent = (
        select(
            CheckIn.commitment_id,
            CheckIn.answer,
            func.row_number()
            .over(partition_by=CheckIn.commitment_id, order_by=CheckIn.scheduled_at.desc())
            .label("newest"),
        )
        .where(CheckIn.commitment_id.in_(ids), CheckIn.state.in_(CLOSED))
        .subquery()
    )
    answers: dict[int, list[Answer | None]] = defaultdict(list)
    for commitment_id, answer in session.execute(
        select(recent.c.commitment_id, recent.c.answer).where(recent.c.newest <= STREAK_WINDOW)
    ):
        answers[commitment_id].append(answer)
    return {
        commitment_id: f"done {sum(1 for a in given if a is Answer.DONE)} of the last {len(given)}"
        for commitment_id, given in answers.items()
    }


def changeable(checkin: CheckIn, *, now: datetime) -> bool:
    """The one test the control and the write both use: answered by its owner, less than 24 h ago."""
    return (
        checkin.state is CheckInState.ANSWERED
        and checkin.answer in CHANGEABLE
        and not checkin.answer_change_closed
        and checkin.answered_at is not None
        and now - checkin.answered_at < CHANGE_WINDOW
        and checkin.answered_by == checkin.commitment.owner.user_id
    )


def view_of(
    checkin: CheckIn, *, streak_text: str | None = None, moved: bool = False, now: datetime | None = None
) -> CheckInView:
    """`now`: when given, an answer still open to change carries its Change answer control."""
    commitment = checkin.commitment
    session = object_session(checkin)
    waiting = waiting_line(session, checkin) if session is not None and commitment.waits_on_id else None
    tz = zone(commitment.owner.tz)
    snoozed = checkin.state is CheckInState.SENT and checkin.snoozes > 0 and checkin.remind_at is not None
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
        streak=streak_text,
        snoozed_until_local=checkin.remind_at.astimezone(tz) if snoozed and checkin.remind_at else None,
        closed_local=checkin.closes_at.astimezone(tz)
        if checkin.state is CheckInState.NO_RESPONSE and checkin.closes_at
        else None,
        moved=moved,
        place=checkin.place or "dm",
        waiting=waiting,
        renegotiated=checkin.state is CheckInState.RENEGOTIATED,
        changeable=now is not None and changeable(checkin, now=now),
    )


def message_views(
    session: Session, *, channel_id: str, message_ts: str, now: datetime | None = None
) -> list[CheckInView]:
    """Every check-in one message holds, in order, to redraw the whole message after one changes."""
    rows = session.scalars(
        select(CheckIn)
        .where(CheckIn.channel_id == channel_id, CheckIn.message_ts == message_ts)
        .options(*with_commitment())
        .order_by(CheckIn.scheduled_at, CheckIn.id)
    )
    return [view_of(row, streak_text=streak(session, row.commitment_id), now=now) for row in rows]


def _checked(session: Session, checkin_id: int, user_id: str) -> CheckIn:
    """The check-in, if this person may answer it now; a `Refusal` saying why not otherwise."""
    checkin = load(session, checkin_id)
    # No team check here: a customer in a Slack Connect DM clicks from their own workspace, so the
    # payload's team differs from ours. Slack user IDs are unique across organisations, and only
    # the owner may answer, which is the check that matters.
    if checkin is None:
        raise Refusal("I can't find that check-in any more.")
    owner = checkin.commitment.owner.user_id
    if user_id != owner:
        raise Refusal(f"This check-in belongs to <@{owner}>; only they can answer it.")
    if checkin.state is not CheckInState.SENT:
        raise Refusal(_why_closed(checkin))
    return checkin


def redrawn(sessions: sessionmaker[Session], checkin_id: int, *, now: datetime) -> Answered:
    """Read after the answer's transaction has committed: the write lock is held only for the write."""
    with sessions() as session:
        checkin = load(session, checkin_id)
        assert checkin is not None
        if checkin.channel_id is None or checkin.message_ts is None:
            return Answered(views=[view_of(checkin, now=now)], channel_id=None, message_ts=None)
        views = message_views(session, channel_id=checkin.channel_id, message_ts=checkin.message_ts, now=now)
        return Answered(views=views, channel_id=checkin.channel_id, message_ts=checkin.message_ts)


def write_answer(
    sessions: sessionmaker[Session],
    *,
    checkin_id: int,
    user_id: str,
    answer: Answer,
    now: datetime,
    note: str | None = None,
    blocked_by: int | None = None,
    replay_key: str | None = None,
) -> None:
    """The answer on record, in one transaction; what the message shows is read after (`redrawn`).
    `blocked_by`: with Blocked, the other side's commitment on the account that held it up.
    `replay_key`: the signed request's mark, written in the same transaction (`Replayed` if there)."""
    with sessions.begin() as session:
        _first_time(session, replay_key, now=now)
        checkin = _checked(session, checkin_id, user_id)
        if blocked_by is not None:
            named_blocker(session, checkin, blocked_by)  # a Refusal when it can't be named
        # The state guard makes a double click or a concurrent second request a no-op: only one
        # UPDATE can move the row out of `sent`. A note typed in the DM before the answer stays: the
        # form's note, if any, is added after it in the same statement.
        values: dict[str, object] = {
            "state": CheckInState.ANSWERED,
            "answer": answer,
            "answered_by": user_id,
            "answered_at": now,
            "remind_at": None,
            "closes_at": None,
        }
        if note:
            values["note"] = func.coalesce(CheckIn.note + "\n", "") + note
        if blocked_by is not None and answer is Answer.BLOCKED:
            values["blocked_by_commitment_id"] = blocked_by
        moved = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state == CheckInState.SENT)
            .values(values),
        )
        if moved != 1:
            raise Refusal("This check-in was already answered a moment ago. Nothing was changed.")
        session.refresh(checkin)
        commitment = checkin.commitment
        if answer in MISSED_ANSWERS:
            # The side that held it up, not the owner, when a dependency was overdue or one was named.
            checkin.charged_side = charged_side(session, checkin, at=now)
        if (
            answer is Answer.DONE
            and commitment.rrule is None
            and commitment.status is CommitmentStatus.ACTIVE
        ):
            # A commitment due by a date is finished once its owner says it is done.
            commitment.status = CommitmentStatus.DONE
        if answer is Answer.NOT_YET and commitment.rrule is None:
            # Not done by its date: the clock works out the follow-up (bot.checkins.scheduling.follow_up_at).
            commitment.next_checkin_at = None
        text = f"{ANSWER_LABELS[answer]} — “{escape(commitment.action)}” (check-in of {checkin.scheduled_at:%Y-%m-%d})."
        if note:
            text += f" Note: {escape(note)}"
        if checkin.charged_side is not None:
            text += f" Counted against the {checkin.charged_side.value} side"
            blocker = checkin.blocked_by_commitment_id or commitment.waits_on_id
            text += f" (held up by #{blocker})." if blocker else "."
        diary.record_checkin(
            session,
            checkin,
            kind=f"answer_{answer.value}",
            text=text,
            at=now,
            actor_user_id=user_id,
            dedupe_key=f"checkin:{checkin.id}:answer",
        )


def answer_checkin(
    sessions: sessionmaker[Session],
    *,
    checkin_id: int,
    user_id: str,
    answer: Answer,
    now: datetime,
    note: str | None = None,
    blocked_by: int | None = None,
) -> Answered:
    """`write_answer`, then what the check-in's message shows now."""
    write_answer(
        sessions,
        checkin_id=checkin_id,
        user_id=user_id,
        answer=answer,
        now=now,
        note=note,
        blocked_by=blocked_by,
    )
    return redrawn(sessions, checkin_id, now=now)


def write_snooze(
    sessions: sessionmaker[Session],
    *,
    checkin_id: int,
    user_id: str,
    now: datetime,
    replay_key: str | None = None,
) -> None:
    """Ask again on the next working morning; twice at most, so a snooze never becomes a silent no."""
    with sessions.begin() as session:
        _first_time(session, replay_key, now=now)
        checkin = _checked(session, checkin_id, user_id)
        if checkin.snoozes >= MAX_SNOOZES:
            raise Refusal(
                f"This check-in has been snoozed {MAX_SNOOZES} times already. Please answer it — "
                "“Not yet” is a fine answer, with a note on what's in the way."
            )
        commitment = checkin.commitment
        tz = zone(commitment.owner.tz)
        again = working_morning_after(
            now, 1, tz=tz, holiday_country=holiday_country_of(commitment.owner, commitment.account)
        )
        moved = rows_changed(
            session,
            update(CheckIn)
            .where(
                CheckIn.id == checkin_id,
                CheckIn.state == CheckInState.SENT,
                CheckIn.snoozes == checkin.snoozes,
            )
            .values(snoozes=checkin.snoozes + 1, remind_at=again, closes_at=None),
        )
        if moved != 1:
            raise Refusal("That check-in changed a moment ago. Nothing was changed.")
        session.refresh(checkin)
        diary.record_checkin(
            session,
            checkin,
            kind="checkin_snoozed",
            text=f"Check-in for “{escape(commitment.action)}” snoozed until {again.astimezone(tz):%a %d %b %H:%M}.",
            at=now,
            actor_user_id=user_id,
            dedupe_key=f"checkin:{checkin.id}:snooze:{checkin.snoozes}",
        )


def snooze_checkin(
    sessions: sessionmaker[Session], *, checkin_id: int, user_id: str, now: datetime
) -> Answered:
    """`write_snooze`, then what the check-in's message shows now."""
    write_snooze(sessions, checkin_id=checkin_id, user_id=user_id, now=now)
    return redrawn(sessions, checkin_id, now=now)


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
    if checkin.state is CheckInState.RENEGOTIATED:
        return "Both sides agreed a new date for this check-in, so it is closed. Nothing was changed."
    if checkin.state is CheckInState.NO_RESPONSE:
        return "This check-in has closed with no response. Nothing was changed."
    return "This check-in can't be answered now. Nothing was changed."


def open_for(sessions: sessionmaker[Session], *, checkin_id: int, user_id: str) -> CheckInView:
    """A cheap read for the 3-second ack: the check-in if this person may answer it now, else why not;
    with the other side's open commitments, which a Blocked answer may name."""
    with sessions() as session:
        checkin = _checked(session, checkin_id, user_id)
        return replace(view_of(checkin), blockers=blocker_options(session, checkin))


def record_click(
    sessions: sessionmaker[Session],
    *,
    click: Click,
    user_id: str,
    now: datetime,
    replay_key: str | None = None,
) -> None:
    """The buttons that need no note: Snooze asks again later, the others are the answer itself.
    Only the write, for the ack: what the message shows is read after it (`redrawn`)."""
    if click.answer is Answer.SNOOZED:
        write_snooze(sessions, checkin_id=click.checkin_id, user_id=user_id, now=now, replay_key=replay_key)
    else:
        write_answer(
            sessions,
            checkin_id=click.checkin_id,
            user_id=user_id,
            answer=click.answer,
            now=now,
            replay_key=replay_key,
        )


def _first_time(session: Session, replay_key: str | None, *, now: datetime) -> None:
    if replay_key is not None and not claim_delivery(session, event_id=replay_key, team_id=None, now=now):
        raise Replayed(replay_key)
