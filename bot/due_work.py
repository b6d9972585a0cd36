"""One pass of due work as of an instant: create the check-ins that fell due, then send them.

What is due lives in the database. Each occurrence is a row unique on (commitment, instant) and is
claimed with a guarded UPDATE before it is sent, so any number of passes, sequential or concurrent,
send each check-in once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot import diary
from bot.agreements import remind_pending
from bot.checkin_message import MAX_CHECKINS_PER_MESSAGE, message_blocks, message_text
from bot.checkins import load, streak, view_of
from bot.commitments import resume_commitment
from bot.digest_posting import post_due_digests
from bot.escalation import run_rules
from bot.mrkdwn import escape
from bot.reminders import after_sending, close_unanswered, send_reminders
from bot.schedule import is_working_day, occurrences, upcoming, zone
from bot.shared_diary import share_pending
from bot.slack_gateway import SlackDeliveryError, SlackGateway
from models import CheckIn, CheckInState, ClockPass, Commitment, CommitmentStatus
from models.db import insert_once, rows_changed

# An occurrence later than this when the clock reaches it fell while the bot was down.
DOWNTIME_GRACE = timedelta(hours=2)
# The bound for a commitment with no occurrence left (a due date that has passed).
NEVER = datetime(9999, 1, 1, tzinfo=UTC)
# A claim this old belongs to a pass that died mid-send: whether Slack got the DM is unknown.
ABANDONED_CLAIM = timedelta(minutes=10)


@dataclass
class PassReport:
    created: int = 0
    skipped: int = 0
    sent: int = 0
    failed: int = 0
    reminded: int = 0
    closed: int = 0
    shared: int = 0
    escalations: int = 0
    digests: int = 0


def run_due_work(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    now: datetime,
    grace: timedelta = DOWNTIME_GRACE,
) -> PassReport:
    started = datetime.now(UTC)
    report = PassReport()
    end_finished_pauses(sessions, now=now)
    schedule_occurrences(sessions, now=now, grace=grace, report=report)
    send_due(sessions, gateway, now=now, report=report)
    report.reminded = send_reminders(sessions, gateway, now=now)
    report.closed = close_unanswered(sessions, gateway, now=now)
    report.escalations = run_rules(sessions, gateway, now=now)
    remind_pending(sessions, gateway, now=now)
    report.shared = share_pending(sessions, gateway, now=now)
    report.digests = post_due_digests(sessions, gateway, now=now)
    with sessions.begin() as session:
        session.add(
            ClockPass(
                as_of=now,
                started_at=started,
                finished_at=datetime.now(UTC),
                created=report.created,
                sent=report.sent,
                skipped=report.skipped,
                failed=report.failed,
            )
        )
    return report


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
    sessions: sessionmaker[Session], *, now: datetime, grace: timedelta, report: PassReport
) -> None:
    with sessions() as session:
        commitment_ids = list(
            session.scalars(
                select(Commitment.id)
                .where(Commitment.status == CommitmentStatus.ACTIVE, Commitment.agreed_at.is_not(None))
                .where((Commitment.scheduled_through.is_(None)) | (Commitment.scheduled_through < now))
                .where((Commitment.next_checkin_at.is_(None)) | (Commitment.next_checkin_at <= now))
                .order_by(Commitment.id)
            )
        )
    for commitment_id in commitment_ids:
        with sessions.begin() as session:
            _schedule_one(session, commitment_id, now=now, grace=grace, report=report)


def _schedule_one(
    session: Session, commitment_id: int, *, now: datetime, grace: timedelta, report: PassReport
) -> None:
    commitment = session.scalar(
        select(Commitment)
        .where(Commitment.id == commitment_id)
        .options(joinedload(Commitment.account), joinedload(Commitment.owner))
    )
    if commitment is None or commitment.status is not CommitmentStatus.ACTIVE or commitment.agreed_at is None:
        return
    after = commitment.scheduled_through or commitment.created_at
    if after >= now:
        return
    tz = zone(commitment.owner.tz)
    holiday_country = commitment.account.holiday_country
    due = occurrences(
        rule=commitment.rrule,
        due_on=commitment.due_on,
        starts_on=commitment.starts_on,
        at=commitment.local_time,
        tz=tz,
        holiday_country=holiday_country,
        after=after,
        until=now,
    )
    today = now.astimezone(tz).date()
    for index, instant in enumerate(due):
        latest = index == len(due) - 1
        late = now - instant > grace
        # The latest occurrence is still worth sending late on the same working day; older ones are not.
        catch_up = (
            latest
            and instant.astimezone(tz).date() == today
            and is_working_day(today, holiday_country=holiday_country)
        )
        state = CheckInState.SKIPPED if late and not catch_up else CheckInState.DUE
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
            },
            unique=["commitment_id", "scheduled_at"],
        )
        if checkin_id is None:
            continue
        report.created += 1
        if state is CheckInState.SKIPPED:
            report.skipped += 1
            diary.record(
                session,
                account=commitment.account,
                kind="checkin_skipped",
                text=f"Check-in of {instant.astimezone(tz):%a %d %b %H:%M} for “{escape(commitment.action)}” was skipped: "
                "the bot was down. It does not count against anyone.",
                at=now,
                side=commitment.side,
                commitment_id=commitment.id,
                checkin_id=checkin_id,
                dedupe_key=f"checkin:{checkin_id}:skipped",
            )
    following = upcoming(
        rule=commitment.rrule,
        due_on=commitment.due_on,
        starts_on=commitment.starts_on,
        at=commitment.local_time,
        tz=tz,
        holiday_country=holiday_country,
        after=now,
        count=1,
    )
    # Guarded so a slower concurrent pass never moves the mark backwards.
    session.execute(
        update(Commitment)
        .where(Commitment.id == commitment.id)
        .where((Commitment.scheduled_through.is_(None)) | (Commitment.scheduled_through < now))
        .values(scheduled_through=now, next_checkin_at=following[0] if following else NEVER)
    )


def send_due(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime, report: PassReport
) -> None:
    """One DM per person per instant: check-ins of several commitments due together arrive as one message."""
    _close_abandoned_claims(sessions, now=now, report=report)
    with sessions() as session:
        due = session.execute(
            select(CheckIn.id, Commitment.owner_id, CheckIn.scheduled_at)
            .join(CheckIn.commitment)
            .where(CheckIn.state == CheckInState.DUE, CheckIn.scheduled_at <= now)
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        ).all()
    groups: dict[tuple[int, datetime], list[int]] = defaultdict(list)
    for checkin_id, owner_id, scheduled_at in due:
        groups[(owner_id, scheduled_at)].append(checkin_id)
    for checkin_ids in groups.values():
        claimed = [checkin_id for checkin_id in checkin_ids if _claim(sessions, checkin_id, now=now)]
        for start in range(0, len(claimed), MAX_CHECKINS_PER_MESSAGE):
            _send_group(
                sessions, gateway, claimed[start : start + MAX_CHECKINS_PER_MESSAGE], now=now, report=report
            )


def _send_group(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    checkin_ids: list[int],
    *,
    now: datetime,
    report: PassReport,
) -> None:
    with sessions() as session:
        rows = [row for row in (load(session, checkin_id) for checkin_id in checkin_ids) if row is not None]
        views = [view_of(row, streak_text=streak(session, row.commitment_id)) for row in rows]
        follow_up = {row.id: after_sending(row, sent_at=now) for row in rows}
    try:
        posted = gateway.send_dm(
            views[0].owner_user_id, text=message_text(views), blocks=message_blocks(views)
        )
    except SlackDeliveryError as exc:
        for checkin_id in checkin_ids:
            if _record_failure(sessions, checkin_id, error=exc.error, now=now):
                report.failed += 1
        return
    with sessions.begin() as session:
        for checkin_id in checkin_ids:
            session.execute(
                update(CheckIn)
                .where(CheckIn.id == checkin_id)
                .values(
                    state=CheckInState.SENT,
                    sent_at=now,
                    channel_id=posted.channel,
                    message_ts=posted.ts,
                    **follow_up[checkin_id],
                )
            )
    report.sent += len(checkin_ids)


def _claim(sessions: sessionmaker[Session], checkin_id: int, *, now: datetime) -> bool:
    with sessions.begin() as session:
        claimed = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state == CheckInState.DUE)
            .values(state=CheckInState.SENDING, claimed_at=now, send_attempts=CheckIn.send_attempts + 1),
        )
    return claimed == 1


def _close_abandoned_claims(sessions: sessionmaker[Session], *, now: datetime, report: PassReport) -> None:
    """Record a send interrupted by a crash as failed rather than resend it: a possible double DM is worse
    than a visible failure, and leaving it `sending` would hide it."""
    with sessions() as session:
        stale = list(
            session.scalars(
                select(CheckIn.id).where(
                    CheckIn.state == CheckInState.SENDING, CheckIn.claimed_at < now - ABANDONED_CLAIM
                )
            )
        )
    for checkin_id in stale:
        if _record_failure(sessions, checkin_id, error="interrupted while sending", now=now):
            report.failed += 1


def _record_failure(sessions: sessionmaker[Session], checkin_id: int, *, error: str, now: datetime) -> bool:
    """Slack's retries are spent: keep the failure visible on the row and in the diary, never drop it."""
    with sessions.begin() as session:
        moved = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state == CheckInState.SENDING)
            .values(state=CheckInState.FAILED, last_error=error[:200]),
        )
        if moved != 1:
            return False
        checkin = load(session, checkin_id)
        assert checkin is not None
        commitment = checkin.commitment
        diary.record_checkin(
            session,
            checkin,
            kind="checkin_failed",
            text=f"The check-in for “{escape(commitment.action)}” could not be delivered to <@{commitment.owner.user_id}> "
            f"({error}).",
            at=now,
            dedupe_key=f"checkin:{checkin_id}:failed",
        )
    return True
