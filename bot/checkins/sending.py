"""One pass of due work as of an instant: create the check-ins that fell due, then send them.

What is due lives in the database. Each occurrence is a row unique on (commitment, instant) and is
claimed with a guarded UPDATE before it is sent, so any number of passes, sequential or concurrent,
send each check-in once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.accounts.agreements import remind_pending
from bot.accounts.commitments import resume_commitment
from bot.checkins.answers import load, streak, view_of
from bot.checkins.message import MAX_CHECKINS_PER_MESSAGE, message_blocks, message_text
from bot.checkins.reminders import after_sending, close_unanswered, send_reminders
from bot.checkins.schedule import is_working_day, occurrences, upcoming, zone
from bot.checkins.working_days import end_of_working_day, working_morning_after
from bot.diary import entries as diary
from bot.diary.sharing import share_pending
from bot.digest.posting import post_due_digests
from bot.escalation.posting import retry_pending_posts, run_rules
from bot.slack.deliveries import forget_old_deliveries
from bot.slack.errors import Failure, ambiguous, classify, plain, why_not_delivered
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, CheckIn, CheckInState, ClockPass, Commitment, CommitmentStatus, Person
from models.db import insert_once, rows_changed

log = logging.getLogger(__name__)

# An occurrence later than this when the clock reaches it fell while the bot was down.
DOWNTIME_GRACE = timedelta(hours=2)
# The bound for a commitment with no occurrence left (a due date that has passed).
NEVER = datetime(9999, 1, 1, tzinfo=UTC)
# A claim this old belongs to a pass that died mid-send (a send takes seconds, retries included):
# whether Slack got the DM is unknown until the bot's DM history is read.
ABANDONED_CLAIM = timedelta(minutes=10)
RETRY_FLOOR = timedelta(minutes=1)
RETRY_CEILING = timedelta(hours=1)
CHECKIN_EVENT = "accountability_checkin"


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
    deferred: int = 0
    reconciled_sent: int = 0
    reconciled_unsent: int = 0
    errors: list[str] = field(default_factory=list)


def run_due_work(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    now: datetime,
    grace: timedelta = DOWNTIME_GRACE,
) -> PassReport:
    """Every step in order; a step that fails is logged and recorded on the pass, and the steps after
    it still run — a broken digest must not stop check-ins, nor a crashed rule the reminders."""
    started = datetime.now(UTC)
    report = PassReport()

    def reminders() -> None:
        report.reminded = send_reminders(sessions, gateway, now=now)

    def closing() -> None:
        report.closed = close_unanswered(sessions, gateway, now=now)

    def rules() -> None:
        report.escalations = run_rules(sessions, gateway, now=now)

    def shared() -> None:
        report.shared = share_pending(sessions, gateway, now=now)

    def digests() -> None:
        report.digests = post_due_digests(sessions, gateway, now=now)

    steps: list[tuple[str, Callable[[], object]]] = [
        ("pauses", lambda: end_finished_pauses(sessions, now=now)),
        ("scheduling", lambda: schedule_occurrences(sessions, now=now, grace=grace, report=report)),
        ("sending", lambda: send_due(sessions, gateway, now=now, report=report)),
        ("reminders", reminders),
        ("closing", closing),
        ("escalation rules", rules),
        ("escalation posts", lambda: retry_pending_posts(sessions, gateway, now=now)),
        ("agreement reminders", lambda: remind_pending(sessions, gateway, now=now)),
        ("shared diary", shared),
        ("digests", digests),
        ("delivery log", lambda: forget_old_deliveries(sessions, now=now)),
    ]
    for name, step in steps:
        try:
            step()
        except Exception as exc:
            log.exception("clock pass as of %s: the %s step failed", now.isoformat(), name)
            report.errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
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
                errors="\n".join(report.errors) or None,
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
    """One DM per person per instant: check-ins of several commitments due together arrive as one message.

    A send that fails for a passing reason is tried again on a later pass (back-off, or Slack's
    Retry-After) until the check-in's own closing time; a refusal that can never succeed is recorded
    and the CSM told; a refused token stops this pass's sending and keeps everything due.
    """
    _reconcile_abandoned_claims(sessions, gateway, now=now, report=report)
    _close_undeliverable(sessions, now=now, report=report)
    with sessions() as session:
        due = session.execute(
            select(CheckIn.id, Commitment.owner_id, CheckIn.scheduled_at)
            .join(CheckIn.commitment)
            .where(CheckIn.state == CheckInState.DUE, CheckIn.scheduled_at <= now)
            .where((CheckIn.next_attempt_at.is_(None)) | (CheckIn.next_attempt_at <= now))
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        ).all()
    groups: dict[tuple[int, datetime], list[int]] = defaultdict(list)
    for checkin_id, owner_id, scheduled_at in due:
        groups[(owner_id, scheduled_at)].append(checkin_id)
    for checkin_ids in groups.values():
        claimed = [checkin_id for checkin_id in checkin_ids if _claim(sessions, checkin_id, now=now)]
        for start in range(0, len(claimed), MAX_CHECKINS_PER_MESSAGE):
            batch = claimed[start : start + MAX_CHECKINS_PER_MESSAGE]
            if _send_group(sessions, gateway, batch, now=now, report=report) is Failure.WORKSPACE:
                # Nothing will go out with this token: release what is claimed and stop, keeping it due.
                _defer(sessions, claimed[start + MAX_CHECKINS_PER_MESSAGE :], error="", now=now, wait=None)
                return


def _send_group(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    checkin_ids: list[int],
    *,
    now: datetime,
    report: PassReport,
) -> Failure | None:
    if not checkin_ids:
        return None
    with sessions() as session:
        rows = [row for row in (load(session, checkin_id) for checkin_id in checkin_ids) if row is not None]
        views = [view_of(row, streak_text=streak(session, row.commitment_id)) for row in rows]
        follow_up = {row.id: after_sending(row, sent_at=now) for row in rows}
        owner_id = rows[0].commitment.owner_id
    try:
        posted = gateway.send_dm(
            views[0].owner_user_id,
            text=message_text(views),
            blocks=message_blocks(views),
            metadata=checkin_metadata(checkin_ids),
        )
    except SlackDeliveryError as exc:
        failure = classify(exc.error)
        if ambiguous(exc.error):
            _settle_ambiguous(
                sessions,
                gateway,
                checkin_ids,
                owner=views[0].owner_user_id,
                error=exc.error,
                now=now,
                report=report,
            )
        elif failure is Failure.PERMANENT:
            for checkin_id in checkin_ids:
                if _record_failure(sessions, checkin_id, error=exc.error, now=now):
                    report.failed += 1
            tell_csm_undeliverable(sessions, gateway, owner_id=owner_id, error=exc.error, now=now)
        else:
            _defer(sessions, checkin_ids, error=exc.error, now=now, wait=exc.retry_after)
            report.deferred += len(checkin_ids)
        return failure
    _record_sent(sessions, checkin_ids, channel=posted.channel, ts=posted.ts, now=now, follow_up=follow_up)
    with sessions.begin() as session:
        session.execute(
            update(Person)
            .where(Person.id == owner_id, Person.delivery_problem.is_not(None))
            .values(delivery_problem=None)
        )
    report.sent += len(checkin_ids)
    return None


def _settle_ambiguous(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    checkin_ids: list[int],
    *,
    owner: str,
    error: str,
    now: datetime,
    report: PassReport,
) -> None:
    """Slack answered 5xx or the connection dropped: the DM may be there. Its history says; if even
    that can't be read, the claim stays and the abandoned-claim reconciliation settles it later."""
    try:
        found = gateway.find_checkin_messages(owner)
    except SlackDeliveryError as exc:
        log.warning("send to %s failed (%s) and its DM history is unreadable (%s)", owner, error, exc.error)
        return
    delivered = [checkin_id for checkin_id in checkin_ids if checkin_id in found]
    for checkin_id in delivered:
        with sessions() as session:
            row = load(session, checkin_id)
            follow_up = {checkin_id: after_sending(row, sent_at=now)} if row is not None else {}
        if follow_up:
            message = found[checkin_id]
            _record_sent(
                sessions, [checkin_id], channel=message.channel, ts=message.ts, now=now, follow_up=follow_up
            )
            report.sent += 1
    undelivered = [checkin_id for checkin_id in checkin_ids if checkin_id not in found]
    _defer(sessions, undelivered, error=error, now=now, wait=None)
    report.deferred += len(undelivered)


def checkin_metadata(checkin_ids: list[int]) -> dict[str, Any]:
    """Slack message metadata naming the check-ins a DM carries, so a clock that died between
    posting and recording can find out afterwards whether the DM went out (`reconcile`)."""
    return {"event_type": CHECKIN_EVENT, "event_payload": {"checkin_ids": [str(i) for i in checkin_ids]}}


def _record_sent(
    sessions: sessionmaker[Session],
    checkin_ids: list[int],
    *,
    channel: str,
    ts: str,
    now: datetime,
    follow_up: dict[int, dict[str, datetime | None]],
) -> None:
    with sessions.begin() as session:
        for checkin_id in checkin_ids:
            session.execute(
                update(CheckIn)
                .where(CheckIn.id == checkin_id, CheckIn.state == CheckInState.SENDING)
                .values(
                    state=CheckInState.SENT,
                    sent_at=now,
                    channel_id=channel,
                    message_ts=ts,
                    next_attempt_at=None,
                    **follow_up[checkin_id],
                )
            )


def retry_wait(attempts: int) -> timedelta:
    """Back-off between passes: 1, 2, 4 … minutes, at most an hour apart."""
    seconds = RETRY_FLOOR.total_seconds() * 2 ** min(max(0, attempts - 1), 12)
    return timedelta(seconds=min(RETRY_CEILING.total_seconds(), seconds))


def _defer(
    sessions: sessionmaker[Session], checkin_ids: list[int], *, error: str, now: datetime, wait: int | None
) -> None:
    """Back to due, for a later pass: `wait` seconds if Slack said so, otherwise the back-off."""
    with sessions.begin() as session:
        for checkin_id in checkin_ids:
            checkin = session.get(CheckIn, checkin_id)
            if checkin is None or checkin.state is not CheckInState.SENDING:
                continue
            delay = timedelta(seconds=wait) if wait is not None else retry_wait(checkin.send_attempts)
            checkin.state = CheckInState.DUE
            checkin.next_attempt_at = now + delay
            if error:
                checkin.last_error = error[:200]


def _claim(sessions: sessionmaker[Session], checkin_id: int, *, now: datetime) -> bool:
    with sessions.begin() as session:
        claimed = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state == CheckInState.DUE)
            .values(state=CheckInState.SENDING, claimed_at=now, send_attempts=CheckIn.send_attempts + 1),
        )
    return claimed == 1


def _reconcile_abandoned_claims(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime, report: PassReport
) -> None:
    """A claim this old belongs to a pass that died between claiming and recording: whether Slack got
    the DM is unknown, so ask Slack. The bot's DM history carries each check-in's ID in the message
    metadata: found, it was delivered (recorded as sent, with its message, so it can be answered);
    not found, it never left, and goes back to due. Each move is a guarded UPDATE from `sending`, so
    two clocks reconciling the same claim settle it once."""
    with sessions() as session:
        stale = session.execute(
            select(CheckIn.id, Person.user_id)
            .join(CheckIn.commitment)
            .join(Commitment.owner)
            .where(CheckIn.state == CheckInState.SENDING, CheckIn.claimed_at < now - ABANDONED_CLAIM)
            .order_by(CheckIn.id)
        ).all()
    by_owner: dict[str, list[int]] = defaultdict(list)
    for checkin_id, user_id in stale:
        by_owner[user_id].append(checkin_id)
    for user_id, claims in by_owner.items():
        try:
            found = gateway.find_checkin_messages(user_id)
        except SlackDeliveryError as exc:
            log.warning("could not reconcile %d check-in(s) of %s: %s", len(claims), user_id, exc.error)
            continue
        for checkin_id in claims:
            message = found.get(checkin_id)
            if message is None:
                _defer(sessions, [checkin_id], error="", now=now, wait=0)
                report.reconciled_unsent += 1
                continue
            with sessions() as session:
                row = load(session, checkin_id)
                follow_up = {checkin_id: after_sending(row, sent_at=now)} if row is not None else {}
            if follow_up:
                _record_sent(
                    sessions,
                    [checkin_id],
                    channel=message.channel,
                    ts=message.ts,
                    now=now,
                    follow_up=follow_up,
                )
                report.reconciled_sent += 1


def _close_undeliverable(sessions: sessionmaker[Session], *, now: datetime, report: PassReport) -> None:
    """A check-in still undelivered when it would have closed unanswered is recorded as not
    delivered: visible in the diary, counted against no one (it is not a miss)."""
    with sessions() as session:
        candidates = list(
            session.scalars(
                select(CheckIn.id).where(
                    CheckIn.state == CheckInState.DUE,
                    CheckIn.send_attempts > 0,
                    CheckIn.scheduled_at <= now - timedelta(hours=9),
                )
            )
        )
    for checkin_id in candidates:
        with sessions() as session:
            checkin = load(session, checkin_id)
            if checkin is None:
                continue
            tz = zone(checkin.commitment.owner.tz)
            holidays = checkin.commitment.account.holiday_country
            deadline = end_of_working_day(
                working_morning_after(checkin.scheduled_at, 1, tz=tz, holiday_country=holidays),
                tz=tz,
                holiday_country=holidays,
            )
            error = checkin.last_error or "unreachable"
        if now >= deadline and _record_failure(
            sessions, checkin_id, error=error, now=now, from_state=CheckInState.DUE
        ):
            report.failed += 1


def _record_failure(
    sessions: sessionmaker[Session],
    checkin_id: int,
    *,
    error: str,
    now: datetime,
    from_state: CheckInState = CheckInState.SENDING,
) -> bool:
    """Keep the failure visible on the row and in the diary, in plain words, never drop it."""
    with sessions.begin() as session:
        moved = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state == from_state)
            .values(state=CheckInState.FAILED, last_error=error[:200], next_attempt_at=None),
        )
        if moved != 1:
            return False
        checkin = load(session, checkin_id)
        assert checkin is not None
        commitment = checkin.commitment
        why = (
            why_not_delivered(error)
            if classify(error) is Failure.PERMANENT
            else "Slack did not take it before it closed"
        )
        diary.record_checkin(
            session,
            checkin,
            kind="checkin_failed",
            text=f"The check-in for “{escape(commitment.action)}” could not be delivered to "
            f"<@{commitment.owner.user_id}>: {why}. It does not count against anyone.",
            at=now,
            dedupe_key=f"checkin:{checkin_id}:failed",
        )
    return True


def tell_csm_undeliverable(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, owner_id: int, error: str, now: datetime
) -> None:
    """The CSM hears once per person and cause, with what to do; a later success clears it."""
    reason = plain(error)
    with sessions.begin() as session:
        person = session.get(Person, owner_id)
        if person is None:
            return
        marked = rows_changed(
            session,
            update(Person)
            .where(Person.id == owner_id)
            .where((Person.delivery_problem.is_(None)) | (Person.delivery_problem != error[:200]))
            .values(delivery_problem=error[:200]),
        )
        if marked != 1:
            return
        accounts = session.scalars(
            select(Account)
            .join(Commitment, Commitment.account_id == Account.id)
            .where(Commitment.owner_id == owner_id)
        ).unique()
        notices = {account.csm_user_id: account.name for account in accounts}
        user_id = person.user_id
    for csm, account_name in notices.items():
        try:
            gateway.send_dm(
                csm,
                text=f"I can't deliver check-ins to <@{user_id}> ({escape(account_name)}): {reason}. "
                "Their check-ins are recorded as not delivered and count against no one until this is fixed "
                "— for example invite me to a channel you share with them, or give the commitment a new owner.",
                blocks=[],
            )
        except SlackDeliveryError as exc:
            log.warning("could not tell %s that %s is unreachable: %s", csm, user_id, exc.error)
