"""The weekly review posted in an account's shared channel, and each person's answer to it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.account import SLACK_ID
from models.base import Base
from models.types import UTCDateTime


class WeeklyReview(Base):
    """One account's review for one week.

    Unique on (account, week): the clock claims a week's review by inserting this row, so however many
    passes or clock processes run, one of them posts it.
    """

    __tablename__ = "weekly_reviews"
    __table_args__ = (
        UniqueConstraint("account_id", "week_start"),
        # Claims left by a clock that died mid-post, looked for every pass among a row per account a week.
        Index("ix_weekly_reviews_state_claimed_at", "state", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    week_start: Mapped[date]
    # claimed → posted; claimed → failed (Slack refused, or the pass died: retried on a later pass)
    state: Mapped[str] = mapped_column(String(20))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # The instant the review fell (the champion's weekday and time): its figures are as of then, so a
    # redraw after an answer shows the same week.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Posts Slack refused, and when the next try may go (back-off, or Slack's Retry-After).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The refusal the CSM was told about (not_in_channel, is_archived…), so they hear it once.
    problem_told: Mapped[str | None] = mapped_column(String(200))


class ReviewAnswer(Base):
    """ "Confident about next week?" — one answer per person and review; a later click replaces it."""

    __tablename__ = "review_answers"
    __table_args__ = (UniqueConstraint("review_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    review_id: Mapped[int] = mapped_column(ForeignKey("weekly_reviews.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    side: Mapped[str] = mapped_column(String(10))
    confident: Mapped[bool]
    note: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
