"""The weekly reviews of the digest's period: for each account whose review fell in it, who answered
"Confident about next week?" and how. One query for any number of accounts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.review import ReviewAnswer, WeeklyReview


@dataclass(frozen=True)
class ReviewAnswerLine:
    user_id: str
    side: str
    confident: bool
    note: str | None


@dataclass(frozen=True)
class AccountReview:
    """One account's review of the period and its answers (none yet is worth saying too)."""

    account: str
    posted: bool
    answers: list[ReviewAnswerLine] = field(default_factory=list)

    @property
    def confident(self) -> list[ReviewAnswerLine]:
        return [a for a in self.answers if a.confident]

    @property
    def unsure(self) -> list[ReviewAnswerLine]:
        return [a for a in self.answers if not a.confident]


def week_reviews(
    session: Session, ids: list[int], names: dict[int, str], *, start: datetime, end: datetime
) -> list[AccountReview]:
    """Reviews that fell in [start, end), with their answers, in account order."""
    fell = func.coalesce(WeeklyReview.due_at, WeeklyReview.claimed_at)
    rows = session.execute(
        select(
            WeeklyReview.id,
            WeeklyReview.account_id,
            WeeklyReview.state,
            ReviewAnswer.user_id,
            ReviewAnswer.side,
            ReviewAnswer.confident,
            ReviewAnswer.note,
        )
        .outerjoin(ReviewAnswer, ReviewAnswer.review_id == WeeklyReview.id)
        .where(WeeklyReview.account_id.in_(ids), fell >= start, fell < end)
        .order_by(WeeklyReview.account_id, WeeklyReview.id, ReviewAnswer.answered_at, ReviewAnswer.id)
    ).all()
    posted: dict[int, bool] = {}
    answers: dict[int, list[ReviewAnswerLine]] = defaultdict(list)
    for _review_id, account_id, state, user_id, side, confident, note in rows:
        posted[account_id] = posted.get(account_id, False) or state == "posted"
        if user_id is not None:
            answers[account_id].append(
                ReviewAnswerLine(user_id=user_id, side=side, confident=bool(confident), note=note)
            )
    return [
        AccountReview(account=names[account_id], posted=posted[account_id], answers=answers[account_id])
        for account_id in sorted(posted, key=lambda i: names[i].casefold())
    ]
