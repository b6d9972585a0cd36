"""The escalation rules, run by the clock over check-ins that have just closed.

Check the record before confronting: a first customer miss gets a courteous nudge; a pattern opens an
escalation in the vendor's channel; a worse pattern brings in the manager and marks the account at risk.
The vendor is held to a higher standard. Every step is a neutrally worded diary entry.

Database only: the rules say what changed (the episodes to post or redraw, the nudges to send) and
`bot.escalation.posting` tells Slack, so a pass that cannot reach Slack still keeps the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.checkins.due_dates import judged_at
from bot.checkins.schedule import local_instant, zone
from bot.checkins.working_days import WORKDAY_END, add_working_days
from bot.dependencies.blocking import holding_up
from bot.dependencies.sides import side_counted
from bot.diary import entries as diary
from bot.escalation.episodes import CLOSED, ensure_episode, open_episode, recent_checkins, resolve_once
from bot.escalation.policy import Policy, policy_of
from bot.people.away import holiday_country_of
from bot.slack.mrkdwn import escape
from models import Account, CheckIn, Commitment, Escalation
from models.base import Answer, CheckInState, CommitmentStatus, EscalationState, Side
from models.db import rows_changed

MISSED_ANSWERS = (Answer.NOT_YET, Answer.BLOCKED)
NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


@dataclass(frozen=True)
class Nudge:
    """A courteous DM to the owner of a first miss, sent once the miss is in the diary."""

    user_id: str
    text: str


@dataclass
class Changes:
    """What one evaluation changed: the episodes whose post must be made or redrawn, and the nudges."""

    touched: set[int] = field(default_factory=set)
    nudges: list[Nudge] = field(default_factory=list)


def is_miss(checkin: CheckIn) -> bool:
    return checkin.state is CheckInState.NO_RESPONSE or checkin.answer in MISSED_ANSWERS


def own_miss(checkin: CheckIn) -> bool:
    """A miss that counts against its commitment's own side: one charged to the side that held it up
    (bot/dependencies/sides.py) escalates that side, never the owner."""
    return is_miss(checkin) and side_counted(checkin) is checkin.commitment.side


def _words(n: int) -> str:
    return NUMBERS.get(n, str(n))


def evaluate(sessions: sessionmaker[Session], *, now: datetime) -> Changes:
    """Evaluate newly closed check-ins and due dates, one commitment per transaction."""
    changes = Changes()
    with sessions() as session:
        commitment_ids = list(
            session.scalars(
                select(CheckIn.commitment_id)
                .where(CheckIn.evaluated.is_(False), CheckIn.state.in_(CLOSED))
                .distinct()
            )
        )
    for commitment_id in commitment_ids:
        with sessions.begin() as session:
            _evaluate(session, commitment_id, now=now, changes=changes)
    with sessions.begin() as session:
        changes.touched |= _vendor_due_dates(session, now=now)
        changes.touched |= _close_stale_episodes(session, now=now)
    return changes


def _evaluate(session: Session, commitment_id: int, *, now: datetime, changes: Changes) -> None:
    if not _claim(session, commitment_id):
        return
    commitment = session.scalar(
        select(Commitment)
        .where(Commitment.id == commitment_id)
        .options(joinedload(Commitment.account), joinedload(Commitment.owner))
    )
    assert commitment is not None
    if commitment.status is not CommitmentStatus.ACTIVE:
        return  # paused and cancelled commitments never escalate
    account = commitment.account
    policy = policy_of(account)
    recent = recent_checkins(session, commitment_id, policy.window)
    if not recent:
        return
    if recent[0].answer is Answer.DONE:
        changes.touched |= _resolve_open(session, account=account, commitment=commitment, now=now)
    elif commitment.side is Side.CUSTOMER:
        _customer_slip(session, commitment=commitment, recent=recent, policy=policy, now=now, changes=changes)
    elif own_miss(recent[0]) and commitment.rrule is not None:
        # A due-date vendor commitment is judged by its date instead (see _vendor_due_dates).
        changes.touched.add(_vendor_missed(session, commitment=commitment, recent=recent, now=now))
    changes.touched |= _champion(session, account=account, policy=policy, now=now)


def _claim(session: Session, commitment_id: int) -> bool:
    """Claiming the rows first means a second clock pass evaluating the same commitment does nothing."""
    claimed = rows_changed(
        session,
        update(CheckIn)
        .where(
            CheckIn.commitment_id == commitment_id, CheckIn.evaluated.is_(False), CheckIn.state.in_(CLOSED)
        )
        .values(evaluated=True),
    )
    return claimed != 0


def _customer_slip(
    session: Session,
    *,
    commitment: Commitment,
    recent: list[CheckIn],
    policy: Policy,
    now: datetime,
    changes: Changes,
) -> None:
    misses = sum(1 for c in recent if own_miss(c))
    two_in_a_row = len(recent) >= 2 and own_miss(recent[0]) and own_miss(recent[1])
    summary = f"{_words(misses).capitalize()} of the last {_words(len(recent))} check-ins were missed."
    level = 2 if misses >= policy.raise_after else 1 if misses >= policy.escalate_after or two_in_a_row else 0
    if level:
        changes.touched.add(
            ensure_episode(
                session,
                account=commitment.account,
                commitment=commitment,
                kind="customer_slip",
                level=level,
                summary=summary,
                now=now,
            )
        )
    elif own_miss(recent[0]):
        _nudge(session, commitment=commitment, checkin=recent[0], now=now, changes=changes)


def _vendor_missed(session: Session, *, commitment: Commitment, recent: list[CheckIn], now: datetime) -> int:
    misses = sum(1 for c in recent if own_miss(c))
    summary = f"A vendor check-in was missed ({_words(misses)} of the last {_words(len(recent))})."
    return ensure_episode(
        session,
        account=commitment.account,
        commitment=commitment,
        kind="vendor_missed",
        level=2 if misses >= 2 else 1,
        summary=summary,
        now=now,
    )


def _nudge(
    session: Session, *, commitment: Commitment, checkin: CheckIn, now: datetime, changes: Changes
) -> None:
    entry = diary.record_checkin(
        session,
        checkin,
        kind="miss_noted",
        text=f"One check-in of “{escape(commitment.action)}” was missed; a friendly nudge was sent. Nothing is escalated.",
        at=now,
        dedupe_key=f"checkin:{checkin.id}:nudge",
    )
    if entry is not None:
        changes.nudges.append(
            Nudge(
                commitment.owner.user_id,
                f"No worries about the last check-in for “{escape(commitment.action)}” ({escape(commitment.account.name)}). "
                "It's noted in the shared diary; if something is in the way, a short note on the next one helps "
                "everyone help you.",
            )
        )


def _resolve_open(session: Session, *, account: Account, commitment: Commitment, now: datetime) -> set[int]:
    resolved: set[int] = set()
    for episode in session.scalars(
        select(Escalation).where(
            Escalation.commitment_id == commitment.id, Escalation.state != EscalationState.RESOLVED
        )
    ):
        if resolve_once(session, episode, account=account, by=None, note="answered Done", now=now):
            resolved.add(episode.id)
    return resolved


def _champion(session: Session, *, account: Account, policy: Policy, now: datetime) -> set[int]:
    """Check-ins in a row without any response from the champion, across all their commitments."""
    latest = list(
        session.scalars(
            select(CheckIn)
            .join(CheckIn.commitment)
            .where(
                Commitment.account_id == account.id,
                Commitment.side == Side.CUSTOMER,
                CheckIn.state.in_(CLOSED),
            )
            .where(Commitment.owner.has(user_id=account.champion_user_id))
            .order_by(CheckIn.scheduled_at.desc())
            .limit(policy.unresponsive_after)
        )
    )
    if len(latest) == policy.unresponsive_after and all(c.state is CheckInState.NO_RESPONSE for c in latest):
        summary = f"{_words(len(latest)).capitalize()} check-ins in a row had no response from <@{account.champion_user_id}>."
        return {
            ensure_episode(
                session,
                account=account,
                commitment=None,
                kind="champion_unresponsive",
                level=1,
                summary=summary,
                now=now,
            )
        }
    if latest and latest[0].state is CheckInState.ANSWERED:
        episode = open_episode(session, account_id=account.id, key="account:champion_unresponsive")
        if episode is not None and resolve_once(
            session, episode, account=account, by=None, note="the champion answered again", now=now
        ):
            return {episode.id}
    return set()


def _vendor_due_dates(session: Session, *, now: datetime) -> set[int]:
    """A vendor commitment not done by its date: raised at the end of the working day after it, and
    with the manager some working days later."""
    due = session.scalars(
        select(Commitment)
        .where(
            Commitment.side == Side.VENDOR,
            Commitment.status == CommitmentStatus.ACTIVE,
            Commitment.rrule.is_(None),
            Commitment.due_on <= now.date(),
        )
        .options(joinedload(Commitment.account), joinedload(Commitment.owner))
    )
    touched: set[int] = set()
    for commitment in due:
        holdup = holding_up(session, commitment, at=now)
        if holdup is not None and holdup.side is Side.CUSTOMER:
            continue  # held up by the customer's overdue part: that side's escalation says so
        episode_id = _vendor_overdue(session, commitment, now=now)
        if episode_id is not None:
            touched.add(episode_id)
    return touched


def _vendor_overdue(session: Session, commitment: Commitment, *, now: datetime) -> int | None:
    """The episode opened or raised for this commitment's passed due date, if any.

    Judged a whole working day after the due date's check-in (`bot.checkins.due_dates.judged_at`): a
    check-in at 09:00 on the due date is never followed by an escalation that same evening."""
    assert commitment.due_on is not None
    account = commitment.account
    tz = zone(commitment.owner.tz)
    holiday_country = holiday_country_of(commitment.owner, account)
    deadline = judged_at(commitment.due_on, tz=tz, holiday_country=holiday_country)
    if now < deadline:
        return None
    raise_day = add_working_days(
        deadline.astimezone(tz).date(), policy_of(account).vendor_raise_days, holiday_country=holiday_country
    )
    level = 2 if now >= local_instant(raise_day, WORKDAY_END, tz) else 1
    key = f"{commitment.id}:vendor_overdue"
    before = session.scalar(
        select(Escalation.level).where(
            Escalation.episode_key == key, Escalation.state != EscalationState.RESOLVED
        )
    )
    # Resolved by hand after this deadline (a new date agreed on a call, say): the CSM has dealt with
    # this due date, so the clock neither reopens nor raises it. A new due date is a new deadline.
    settled = before is None and session.scalar(
        select(Escalation.id)
        .where(
            Escalation.episode_key == key,
            Escalation.state == EscalationState.RESOLVED,
            Escalation.opened_at >= deadline,
        )
        .limit(1)
    )
    if settled or (before is not None and before >= level):
        return None
    return ensure_episode(
        session,
        account=account,
        commitment=commitment,
        kind="vendor_overdue",
        level=level,
        summary=f"The vendor commitment was not done by its date ({commitment.due_on:%a %d %b}).",
        now=now,
    )


def _close_stale_episodes(session: Session, *, now: datetime) -> set[int]:
    """Done, paused or cancelled commitments leave no escalation hanging."""
    touched: set[int] = set()
    stale = session.execute(
        select(Escalation, Commitment)
        .join(Commitment, Commitment.id == Escalation.commitment_id)
        .where(Escalation.state != EscalationState.RESOLVED, Commitment.status != CommitmentStatus.ACTIVE)
        .options(joinedload(Commitment.account))
    ).all()
    for episode, commitment in stale:
        note = f"the commitment is {commitment.status.value}"
        if resolve_once(session, episode, account=commitment.account, by=None, note=note, now=now):
            touched.add(episode.id)
    return touched
