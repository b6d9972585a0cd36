"""What in the digest needs a manager's attention: open escalations, plans waiting for the champion,
commitments that had no check-in in the period, and people whose check-ins could be delivered nowhere,
each with the plain reason why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from bot.checkins.undelivered import Cause
from bot.digest.scorecard import COUNTED
from models.account import Account, Person
from models.base import CheckInState, CommitmentStatus, EscalationState, Side
from models.commitment import CheckIn, Commitment
from models.escalation import Agreement, Escalation
from models.proposal import Proposal

# Sent and still open counts as "had a check-in": the commitment is being followed, just not closed yet;
# so does one closed as renegotiated (both sides looked at it and agreed a new date).
TRACKED = (*COUNTED, CheckInState.SENT, CheckInState.RENEGOTIATED)
UNDELIVERED = (CheckInState.SKIPPED, CheckInState.FAILED)


@dataclass(frozen=True)
class OpenEpisode:
    account: str
    kind: str
    side: Side
    commitment_id: int | None
    action: str | None
    opened_at: datetime
    level: int
    acknowledged_by: str | None
    champion_user_id: str
    # Where its post is, and the link to it once Slack has given one (bot.digest.posting).
    channel_id: str | None = None
    message_ts: str | None = None
    permalink: str | None = None

    def age_days(self, now: datetime) -> int:
        return max(0, (now - self.opened_at).days)


@dataclass(frozen=True)
class AwaitingAgreement:
    account: str
    version: int
    posted_at: datetime
    discuss: bool  # the champion asked to discuss rather than not answering at all


@dataclass(frozen=True)
class SilentCommitment:
    """An active commitment with no check-in sent in the period, and the plain reason why."""

    account: str
    commitment_id: int
    side: Side
    owner_user_id: str
    action: str
    reason: str


# A commitment whose date both sides moved more than this many times in the window is flagged: serial
# renegotiation is itself a pattern. The window is the kept-rates' 12 weeks (the escalation policy's
# window counts check-ins, not time, and a date moved three times may have had no check-in at all).
SERIAL_AFTER = 2
SERIAL_WINDOW = timedelta(weeks=12)


@dataclass(frozen=True)
class SerialRenegotiation:
    """A commitment renegotiated more than `SERIAL_AFTER` times in the window ("moved 3 times")."""

    account: str
    commitment_id: int
    side: Side
    owner_user_id: str
    action: str
    times: int


def serial_renegotiations(
    session: Session, ids: list[int], names: dict[int, str], *, end: datetime
) -> list[SerialRenegotiation]:
    """One grouped query: accepted proposals per commitment in the window, the most moved first."""
    times = func.count(Proposal.id)
    rows = session.execute(
        select(
            Commitment.account_id, Commitment.id, Commitment.side, Person.user_id, Commitment.action, times
        )
        .join(Commitment, Commitment.id == Proposal.commitment_id)
        .join(Person, Person.id == Commitment.owner_id)
        .where(
            Proposal.account_id.in_(ids),
            Proposal.state == "accepted",
            Proposal.answered_at >= end - SERIAL_WINDOW,
            Proposal.answered_at < end,
        )
        .group_by(Commitment.account_id, Commitment.id, Commitment.side, Person.user_id, Commitment.action)
        .having(times > SERIAL_AFTER)
        .order_by(times.desc(), Commitment.id)
    ).all()
    return [
        SerialRenegotiation(names[account_id], commitment_id, side, owner, action, int(n))
        for account_id, commitment_id, side, owner, action, n in rows
    ]


def renegotiations_by_side(
    session: Session, ids: list[int], *, since: datetime, end: datetime
) -> dict[Side, int]:
    """Accepted proposals in the period, by the side of the commitment whose date moved."""
    rows = session.execute(
        select(Commitment.side, func.count(Proposal.id))
        .join(Commitment, Commitment.id == Proposal.commitment_id)
        .where(
            Proposal.account_id.in_(ids),
            Proposal.state == "accepted",
            Proposal.answered_at >= since,
            Proposal.answered_at < end,
        )
        .group_by(Commitment.side)
    ).all()
    found = {side: int(n) for side, n in rows}
    return {side: found.get(side, 0) for side in Side}


@dataclass(frozen=True)
class Undeliverable:
    """Someone whose check-ins on an account could be delivered nowhere in the period, and why."""

    account: str
    user_id: str
    checkins: int
    reason: str  # plain words, never Slack's code


def undeliverable_people(
    session: Session, ids: list[int], names: dict[int, str], *, start: datetime, end: datetime
) -> list[Undeliverable]:
    """Per account and person, the check-ins recorded undeliverable in the period; the reason is the
    latest one's (its place and Slack's answer, told in words)."""
    rows = session.execute(
        select(Commitment.account_id, Person.user_id, CheckIn.place, CheckIn.last_error)
        .join(Commitment, Commitment.id == CheckIn.commitment_id)
        .join(Person, Person.id == Commitment.owner_id)
        .where(
            Commitment.account_id.in_(ids),
            CheckIn.state == CheckInState.FAILED,
            CheckIn.scheduled_at >= start,
            CheckIn.scheduled_at < end,
        )
        .order_by(Commitment.account_id, Person.user_id, CheckIn.scheduled_at, CheckIn.id)
    ).all()
    found: dict[tuple[int, str], tuple[int, str]] = {}
    for account_id, user_id, place, error in rows:
        count, _ = found.get((account_id, user_id), (0, ""))
        found[(account_id, user_id)] = (count + 1, Cause(place=place or "dm", error=error or "").words())
    return [
        Undeliverable(account=names[account_id], user_id=user_id, checkins=count, reason=reason)
        for (account_id, user_id), (count, reason) in found.items()
    ]


def open_episodes(session: Session, ids: list[int], names: dict[int, str]) -> list[OpenEpisode]:
    rows = session.execute(
        select(Escalation, Commitment.action, Account.champion_user_id)
        .join(Account, Account.id == Escalation.account_id)
        .outerjoin(Commitment, Commitment.id == Escalation.commitment_id)
        .where(Escalation.account_id.in_(ids), Escalation.state != EscalationState.RESOLVED)
        .order_by(Escalation.opened_at, Escalation.id)
    ).all()
    return [
        OpenEpisode(
            account=names[e.account_id],
            kind=e.kind,
            side=e.side,
            commitment_id=e.commitment_id,
            action=action,
            opened_at=e.opened_at,
            level=e.level,
            acknowledged_by=e.acknowledged_by if e.state is EscalationState.ACKNOWLEDGED else None,
            champion_user_id=champion,
            channel_id=e.channel_id,
            message_ts=e.message_ts,
        )
        for e, action, champion in rows
    ]


def awaiting_agreements(session: Session, ids: list[int]) -> list[AwaitingAgreement]:
    """The current plan version, posted, and not agreed to: unanswered or sent back for discussion."""
    rows = session.execute(
        select(Agreement, Account.name)
        .join(Account, Account.id == Agreement.account_id)
        .where(
            Agreement.account_id.in_(ids),
            Agreement.version == Account.plan_version,
            Agreement.message_ts.is_not(None),
            or_(Agreement.response.is_(None), Agreement.response == "discuss"),
        )
        .order_by(Agreement.posted_at)
    ).all()
    return [
        AwaitingAgreement(
            account=name, version=a.version, posted_at=a.posted_at, discuss=a.response == "discuss"
        )
        for a, name in rows
    ]


def silent_commitments(
    session: Session, ids: list[int], names: dict[int, str], *, start: datetime, end: datetime
) -> list[SilentCommitment]:
    """Active or paused commitments that existed before the period and had no check-in sent in it."""
    in_period = (CheckIn.scheduled_at >= start) & (CheckIn.scheduled_at < end)
    tracked = func.sum(case((in_period & CheckIn.state.in_(TRACKED), 1), else_=0))
    # Skipped because the owner was away is time off, not a delivery problem: said as such.
    away = func.coalesce(CheckIn.skip_reason, "") == "away"
    # Closed because its owner left is a hand-over, said as such, not a delivery problem either.
    no_owner = func.coalesce(CheckIn.skip_reason, "") == "no_owner"
    undelivered = func.sum(case((in_period & CheckIn.state.in_(UNDELIVERED) & ~away & ~no_owner, 1), else_=0))
    skipped_away = func.sum(case((in_period & away, 1), else_=0))
    described = (
        Commitment.id,
        Commitment.account_id,
        Commitment.side,
        Person.user_id,
        Commitment.action,
        Commitment.status,
        Commitment.agreed_at,
        Commitment.paused_until,
        Commitment.next_checkin_at,
        Commitment.due_on,
        Commitment.needs_owner_since,
    )
    rows = session.execute(
        select(*described, undelivered, skipped_away)
        .join(Person, Person.id == Commitment.owner_id)
        .outerjoin(CheckIn, CheckIn.commitment_id == Commitment.id)
        .where(
            Commitment.account_id.in_(ids),
            Commitment.status.in_((CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)),
            Commitment.created_at < start,
        )
        .group_by(*described)
        .having(func.coalesce(tracked, 0) == 0)
        .order_by(Commitment.account_id, Commitment.id)
    ).all()
    silent = []
    for (
        cid,
        account_id,
        side,
        owner,
        action,
        status,
        agreed_at,
        paused_until,
        next_at,
        due_on,
        needs_owner_since,
        lost,
        off,
    ) in rows:
        if needs_owner_since is not None:
            reason = f"needs a new owner since {needs_owner_since:%d %b}"
        elif side is Side.CUSTOMER and agreed_at is None:
            reason = "awaiting the champion's agreement"
        elif status is CommitmentStatus.PAUSED or (paused_until is not None and paused_until > start):
            reason = "paused"
        elif lost:
            reason = f"{lost} check-in{'s' if lost != 1 else ''} not delivered"
        elif off:
            reason = f"owner away ({off} check-in{'s' if off != 1 else ''} skipped)"
        elif due_on is not None:
            reason = f"due {due_on:%d %b}"
        elif next_at is not None and next_at >= end:
            reason = f"next check-in {next_at:%d %b}"
        else:
            reason = "no check-in scheduled"
        silent.append(
            SilentCommitment(
                account=names[account_id],
                commitment_id=cid,
                side=side,
                owner_user_id=owner,
                action=action,
                reason=reason,
            )
        )
    return silent


# -- the weekly review: "Not sure about next week" ---------------------------------------------------


@dataclass(frozen=True)
class UnsureAnswer:
    """Someone on the account answered the weekly review "Not sure", with their note."""

    account: str
    user_id: str
    side: str
    note: str | None


def unsure_answers(
    session: Session, ids: list[int], names: dict[int, str], *, start: datetime, end: datetime
) -> list[UnsureAnswer]:
    """ "Not sure" answers to the reviews that fell in the period: either side going into the week unsure
    is for a manager to look at before it slips."""
    from models.review import ReviewAnswer, WeeklyReview

    fell = func.coalesce(WeeklyReview.due_at, WeeklyReview.claimed_at)
    rows = session.execute(
        select(WeeklyReview.account_id, ReviewAnswer.user_id, ReviewAnswer.side, ReviewAnswer.note)
        .join(ReviewAnswer, ReviewAnswer.review_id == WeeklyReview.id)
        .where(
            WeeklyReview.account_id.in_(ids),
            fell >= start,
            fell < end,
            ReviewAnswer.confident.is_(False),
        )
        .order_by(ReviewAnswer.answered_at, ReviewAnswer.id)
    ).all()
    return [
        UnsureAnswer(account=names[account_id], user_id=user_id, side=side, note=note)
        for account_id, user_id, side, note in rows
    ]
