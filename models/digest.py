"""Workspace-wide settings and the record of every digest posted."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.account import SLACK_ID
from models.base import Base
from models.types import UTCDateTime


class WorkspaceSettings(Base):
    """What an admin sets once for the whole workspace; a missing row means the product's defaults."""

    __tablename__ = "workspace_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID), unique=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    # Accounts without a digest channel of their own report here.
    digest_channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0)  # Monday is 0, as in date.weekday()
    digest_time: Mapped[time] = mapped_column(Time, default=time(9, 0))
    digest_tz: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_chart: Mapped[bool] = mapped_column(Boolean, default=True)
    # Slack status words and emoji that mean "away" (JSON list); None: the product's defaults.
    away_words: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Digest(Base):
    """One digest for one channel and period.

    Unique on (team, channel, kind, period end): the clock's weekly digest for a period is claimed by
    inserting this row, so however many passes or clock processes run, one of them posts it.
    """

    __tablename__ = "digests"
    __table_args__ = (
        UniqueConstraint("team_id", "channel_id", "kind", "period_end"),
        # Claims left by a clock that died mid-post, looked for every pass among a row per channel a week.
        Index("ix_digests_state_claimed_at", "state", "claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID))
    kind: Mapped[str] = mapped_column(String(20))  # "weekly" (the clock) or "requested" (a command)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    # claimed → posted; claimed → failed (Slack refused; retried) ; claimed → interrupted (crash mid-post)
    state: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # The chart and the CSV go into the thread after the post; their failure never undoes the post.
    attachments_error: Mapped[str | None] = mapped_column(String(200))
