"""Creating the check-ins that fell due: one row per (commitment, instant), inserted once.

Each commitment keeps a mark, `scheduled_through`, up to which its occurrences exist as rows; a pass
creates what fell between the mark and now, then moves the mark. Occurrences that fell while the
bot was down are recorded as skipped, not sent late.

A commitment due by a date has one occurrence from its schedule, plus follow-ups (`follow_up_at`): after
a *Not yet* past its date, its owner is asked again each working morning until it is done,
renegotiated or cancelled. They are rows like any other, keyed by (commitment, instant).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.accounts.commitments import resume_commitment
from bot.checkins.counts import CheckinCounts
from bot.checkins.schedule import Recurrence, is_working_day, local_instant, occurrences, upcoming, zone
from bot.checkins.working_days import working_morning_after
from bot.diary import entries as diary
from bot.people.away import holiday_country_of, is_away, record_skipped_away
from bot.slack.mrkdwn import escape
from models import Answer, CheckIn, CheckInState, Commitment, CommitmentStatus
from models.db import insert_once

# An occurrence later than this when the clock reaches it fell while the bot was down.
DOWNTIME_GRACE = timedelta(hours=2)
# The bound for a commitment with no occurrence left (a due date that has passed).
NEVER = datetime(9999, 1, 1, tzinfo=UTC)


def end_finished_pauses(sessions: sessionmaker[Session], *, now: datetime) -> None:
    """A pause with an end date ends by itself; scheduling resumes from that instant, not from before it."""
    with sessions.begin() as session:
        finished = session.scalars(
            select(Commitment)
            .where(Commitment.status == CommitmentStatus.PAUSED, Commitment.paused_until <= now)
            .options(joinedload(Commitment.account))
            .with_for_update(skip_locked=True, of=Commitment)
        )
        for commitment in finished:
            assert commitment.paused_until is not None
            resume_commitment(session, commitment, at=commitment.paused_until, actor_user_id=None)


def schedule_occurrences(
    sessions: sessionmaker[Session], *, now: datetime, grace: timedelta, counts: CheckinCounts
) -> None:
    # Sorted here rather than by the query: asked to order by ID, SQLite walks every commitment in ID
    # order instead of reading the few whose bound has come through the index on next_checkin_at.
    with sessions() as session:
        commitment_ids = sorted(
            session.scalars(
                select(Commitment.id)
                .where(Commitment.status == CommitmentStatus.ACTIVE, Commitment.agreed_at.is_not(None))
                .where(Commitment.needs_owner_since.is_(None))
                .where((Commitment.scheduled_through.is_(None)) | (Commitment.scheduled_through < now))
                .where((Commitment.next_checkin_at.is_(None)) | (Commitment.next_checkin_at <= now))
            )
        )
    for commitment_id in commitment_ids:
        with sessions.begin() as session:
            _schedule_one(session, commitment_id, now=now, grace=grace, counts=counts)


def _schedule_one(
    session: Session, commitment_id: int, *, now: datetime, grace: timedelta, counts: CheckinCounts
) -> None:
    commitment = _schedulable(session, commitment_id, now=now)
    if commitment is None:
        return
    recurrence = _recurrence_of(commitment)
    after = commitment.scheduled_through or commitment.created_at
    due = occurrences(**recurrence, after=after, until=now)
    for index, instant in enumerate(due):
        late = now - instant > grace
        caught_up = _catch_up(instant, latest=index == len(due) - 1, recurrence=recurrence, now=now)
        state = CheckInState.SKIPPED if late and not caught_up else CheckInState.DUE
        _create_judged(session, commitment, instant, state=state, now=now, counts=counts)
    extra = follow_up_at(session, commitment, recurrence=recurrence, now=now)
    if extra is not None and extra <= now:
        caught_up = _catch_up(extra, latest=True, recurrence=recurrence, now=now)
        state = CheckInState.SKIPPED if now - extra > grace and not caught_up else CheckInState.DUE
        _create_judged(session, commitment, extra, state=state, now=now, counts=counts)
        extra = follow_up_at(session, commitment, recurrence=recurrence, now=now)
    following = upcoming(**recurrence, after=now, count=1)
    if extra is not None and extra > now:
        following = sorted([*following, extra])
    _advance_mark(session, commitment, following=following, now=now)


def follow_up_at(
    session: Session, commitment: Commitment, *, recurrence: Recurrence, now: datetime
) -> datetime | None:
    """The one rule for follow-ups: when the latest check-in of a due-date commitment, from its due
    instant on, was answered *Not yet*, the next is at 09:00 local on the working morning after it (or
    after any occurrence skipped since, so a skipped morning does not end the chain; and after a long
    downtime, the latest such morning up to now rather than each missed one). None otherwise — Done,
    a renegotiated date (its new due instant is after that answer), a cancellation, or no answer yet.
    Answering Not yet clears `next_checkin_at`, so the clock asks this again."""
    if commitment.rrule is not None or commitment.due_on is None:
        return None
    tz, holiday_country = recurrence["tz"], recurrence["holiday_country"]
    due_at = local_instant(commitment.due_on, commitment.local_time, tz)
    rows = list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.commitment_id == commitment.id, CheckIn.scheduled_at >= due_at)
            .order_by(CheckIn.scheduled_at.desc())
        )
    )
    answered = next((c for c in rows if c.state is not CheckInState.SKIPPED), None)
    if answered is None or answered.answer is not Answer.NOT_YET or answered.answered_at is None:
        return None
    if answered.state is not CheckInState.ANSWERED:
        return None
    base = max(answered.answered_at, rows[0].scheduled_at)
    following = working_morning_after(base, 1, tz=tz, holiday_country=holiday_country)
    while (later := working_morning_after(following, 1, tz=tz, holiday_country=holiday_country)) <= now:
        following = later
    return following


def _create_judged(
    session: Session,
    commitment: Commitment,
    instant: datetime,
    *,
    state: CheckInState,
    now: datetime,
    counts: CheckinCounts,
) -> None:
    """Its owner away (`bot.people.away`): skipped, whether or not the bot was down."""
    reason = (
        "away" if is_away(commitment.owner, instant) else ("down" if state is CheckInState.SKIPPED else None)
    )
    if reason == "away":
        state = CheckInState.SKIPPED
    _create(session, commitment, instant, state=state, now=now, counts=counts, skip_reason=reason)


def _schedulable(session: Session, commitment_id: int, *, now: datetime) -> Commitment | None:
    """The commitment, if it is still active, agreed and owned (not waiting for a hand-over) and its
    mark is behind now (another pass may have moved it since the IDs were read)."""
    commitment = session.scalar(
        select(Commitment)
        .where(Commitment.id == commitment_id)
        .options(joinedload(Commitment.account), joinedload(Commitment.owner))
    )
    if (
        commitment is None
        or commitment.status is not CommitmentStatus.ACTIVE
        or commitment.agreed_at is None
        or commitment.needs_owner_since is not None
    ):
        return None
    after = commitment.scheduled_through or commitment.created_at
    return commitment if after < now else None


def _recurrence_of(commitment: Commitment) -> Recurrence:
    return Recurrence(
        rule=commitment.rrule,
        due_on=commitment.due_on,
        starts_on=commitment.starts_on,
        at=commitment.local_time,
        tz=zone(commitment.owner.tz),
        holiday_country=holiday_country_of(commitment.owner, commitment.account),
    )


def _catch_up(instant: datetime, *, latest: bool, recurrence: Recurrence, now: datetime) -> bool:
    """The latest occurrence is still worth sending late on the same working day; older ones are not."""
    tz = recurrence["tz"]
    today = now.astimezone(tz).date()
    return (
        latest
        and instant.astimezone(tz).date() == today
        and is_working_day(today, holiday_country=recurrence["holiday_country"])
    )


def _create(
    session: Session,
    commitment: Commitment,
    instant: datetime,
    *,
    state: CheckInState,
    now: datetime,
    counts: CheckinCounts,
    skip_reason: str | None = None,
) -> None:
    checkin_id = insert_once(
        session,
        CheckIn,
        {
            "team_id": commitment.team_id,
            "enterprise_id": commitment.enterprise_id,
            "commitment_id": commitment.id,
            "scheduled_at": instant,
            "state": state,
            "send_attempts": 0,
            "reminders_sent": 0,
            "skip_reason": skip_reason,
        },
        unique=["commitment_id", "scheduled_at"],
    )
    if checkin_id is None:
        return  # another pass created it
    counts.created += 1
    if state is CheckInState.SKIPPED:
        counts.skipped += 1
        if skip_reason == "away":
            record_skipped_away(session, commitment, instant, checkin_id=checkin_id, now=now)
            return
        _record_skipped(session, commitment, instant, checkin_id=checkin_id, now=now)


def _record_skipped(
    session: Session, commitment: Commitment, instant: datetime, *, checkin_id: int, now: datetime
) -> None:
    diary.record(
        session,
        account=commitment.account,
        kind="checkin_skipped",
        text=f"Check-in of {instant.astimezone(zone(commitment.owner.tz)):%a %d %b %H:%M} for “{escape(commitment.action)}” was skipped: "
        "the bot was down. It does not count against anyone.",
        at=now,
        side=commitment.side,
        commitment_id=commitment.id,
        checkin_id=checkin_id,
        dedupe_key=f"checkin:{checkin_id}:skipped",
    )


def _advance_mark(
    session: Session, commitment: Commitment, *, following: list[datetime], now: datetime
) -> None:
    # Guarded so a slower concurrent pass never moves the mark backwards.
    session.execute(
        update(Commitment)
        .where(Commitment.id == commitment.id)
        .where((Commitment.scheduled_through.is_(None)) | (Commitment.scheduled_through < now))
        .values(scheduled_through=now, next_checkin_at=following[0] if following else NEVER)
    )
