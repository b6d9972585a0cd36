"""What a weekly review says: each side's kept-rate, what each side has due in the coming week, the
agreement questions still open, and who has answered "Confident about next week?".

Kept-rates are the digest's (bot/digest/figures.py, bot/digest/scorecard.py): Done kept, Partly half,
Blocked / Not yet / no response missed, skipped and paused counted for no one. Every figure is as of the
instant the review fell, so the message redrawn after an answer still describes the same week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from bot.checkins.schedule import occurrences, zone
from bot.digest.attention import AwaitingAgreement, awaiting_agreements
from bot.digest.figures import EMPTY_SCORE, rates_by_account, sum_rates, week_boundaries
from bot.digest.scorecard import KeptRate
from bot.digest.settings import DigestSchedule
from models import Account, Agreement, Commitment, CommitmentStatus, Person, ReviewAnswer, Side, WeeklyReview

# "The last four weeks" includes the week under review: a rolling month both sides can compare with.
RECENT_WEEKS = 4
AHEAD = timedelta(days=7)


@dataclass(frozen=True)
class SideRates:
    week: KeptRate
    recent: KeptRate  # the last RECENT_WEEKS weeks, this one included


@dataclass(frozen=True)
class DueItem:
    """A commitment with something due in the coming week: its check-ins, or its one-off due date."""

    commitment_id: int
    side: Side
    owner_user_id: str
    action: str
    due_on: date | None  # a one-off's due date; None for a recurring commitment
    checkins: list[datetime]  # in the owner's zone
    tz: str


@dataclass(frozen=True)
class ReviewAnswerView:
    user_id: str
    side: str
    confident: bool
    note: str | None
    answered_at: datetime


@dataclass(frozen=True)
class ReviewFigures:
    review_id: int
    account_name: str
    champion_user_id: str
    csm_user_id: str
    desired_outcome: str | None
    due_at: datetime
    tz: str  # the champion's zone: the week is theirs
    rates: dict[Side, SideRates]
    due: dict[Side, list[DueItem]]
    awaiting: list[AwaitingAgreement]  # the current plan version, posted and not agreed
    unposted: list[int]  # customer commitments in no plan put to the champion yet
    answers: list[ReviewAnswerView] = field(default_factory=list)

    @property
    def week_start(self) -> datetime:
        return self.due_at - AHEAD


def champion_zone(session: Session, account: Account) -> ZoneInfo:
    """The champion's zone as last read from Slack; UTC when it is not known."""
    tz = session.scalar(
        select(Person.tz).where(Person.team_id == account.team_id, Person.user_id == account.champion_user_id)
    )
    return zone(tz)


def side_rates(session: Session, account: Account, *, end: datetime, tz: ZoneInfo) -> dict[Side, SideRates]:
    """The week up to `end` and the four weeks up to it, on the champion's wall clock, in one query."""
    boundaries = week_boundaries(DigestSchedule(tz=tz.key), end, RECENT_WEEKS)
    scores = rates_by_account(session, [account.id], boundaries)
    result = {}
    for side in Side:
        score = scores.get((account.id, side), EMPTY_SCORE)
        result[side] = SideRates(week=score.week, recent=sum_rates([score.week, score.before]))
    return result


def due_next_week(session: Session, account: Account, *, start: datetime) -> dict[Side, list[DueItem]]:
    """Active commitments' check-ins in the 7 days after `start`, and one-offs falling due then.

    Customer commitments the champion has not agreed to have no check-ins yet: they are open
    questions, not work due. A pause ending inside the week counts only what falls after it.
    """
    end = start + AHEAD
    commitments = session.scalars(
        select(Commitment)
        .where(Commitment.account_id == account.id, Commitment.status == CommitmentStatus.ACTIVE)
        .options(joinedload(Commitment.owner))
        .order_by(Commitment.id)
    )
    due: dict[Side, list[DueItem]] = {side: [] for side in Side}
    for commitment in commitments:
        if commitment.side is Side.CUSTOMER and commitment.agreed_at is None:
            continue
        after = max(start, commitment.paused_until) if commitment.paused_until else start
        tz = zone(commitment.owner.tz)
        instants = occurrences(
            rule=commitment.rrule,
            due_on=commitment.due_on,
            starts_on=commitment.starts_on,
            at=commitment.local_time,
            tz=tz,
            holiday_country=account.holiday_country,
            after=after,
            until=end,
        )
        if not instants:
            continue
        due[commitment.side].append(
            DueItem(
                commitment_id=commitment.id,
                side=commitment.side,
                owner_user_id=commitment.owner.user_id,
                action=commitment.action,
                due_on=commitment.due_on if commitment.rrule is None else None,
                checkins=[t.astimezone(tz) for t in instants],
                tz=tz.key,
            )
        )
    return due


def unposted_commitments(session: Session, account: Account) -> list[int]:
    """Live customer commitments awaiting agreement when the current plan version was never put to
    the champion: someone on the vendor's side has to post it (`/accountability agreement`)."""
    posted = session.scalar(
        select(Agreement.id).where(
            Agreement.account_id == account.id,
            Agreement.version == account.plan_version,
            Agreement.message_ts.is_not(None),
        )
    )
    if posted is not None:
        return []
    return list(
        session.scalars(
            select(Commitment.id)
            .where(
                Commitment.account_id == account.id,
                Commitment.side == Side.CUSTOMER,
                Commitment.agreed_at.is_(None),
                Commitment.status.in_((CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)),
            )
            .order_by(Commitment.id)
        )
    )


def answers_of(session: Session, review_id: int) -> list[ReviewAnswerView]:
    rows = session.scalars(
        select(ReviewAnswer)
        .where(ReviewAnswer.review_id == review_id)
        .order_by(ReviewAnswer.answered_at, ReviewAnswer.id)
    )
    return [
        ReviewAnswerView(
            user_id=a.user_id, side=a.side, confident=a.confident, note=a.note, answered_at=a.answered_at
        )
        for a in rows
    ]


def review_figures(session: Session, review: WeeklyReview) -> ReviewFigures:
    """Everything the review message shows, as of the instant the review fell."""
    account = session.get_one(Account, review.account_id)
    tz = champion_zone(session, account)
    due_at = review.due_at or review.claimed_at
    return ReviewFigures(
        review_id=review.id,
        account_name=account.name,
        champion_user_id=account.champion_user_id,
        csm_user_id=account.csm_user_id,
        desired_outcome=account.desired_outcome,
        due_at=due_at,
        tz=tz.key,
        rates=side_rates(session, account, end=due_at, tz=tz),
        due=due_next_week(session, account, start=due_at),
        awaiting=awaiting_agreements(session, [account.id]),
        unposted=unposted_commitments(session, account),
        answers=answers_of(session, review.id),
    )
