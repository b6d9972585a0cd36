"""Bookkeeping of the running service: delivered events and clock passes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Double, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.account import SLACK_ID
from models.base import Base
from models.types import UTCDateTime


class ProcessedEvent(Base):
    """An Events API `event_id` already handled: Slack redelivers on retries, and Socket Mode drops the
    retry headers, so the id itself is the dedupe key."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClockHeartbeat(Base):
    """One clock process's latest pass, so `/healthz` shows every clock running against this database
    and marks the ones that have stopped."""

    __tablename__ = "clock_heartbeats"

    # "host:pid", the name its claims carry in `checkins.claimed_by`.
    clock_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(64))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Wall-clock end of its latest pass, and the instant that pass ran as (differs under `tick --at`).
    last_pass_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    passes: Mapped[int] = mapped_column(Integer, default=0)
    # Counts of its latest pass.
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)


class ClockPass(Base):
    """One completed pass of due work, read by `/healthz` to notice a dead clock."""

    __tablename__ = "clock_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # Steps of the pass that raised, with the error, so one broken step is visible and not fatal.
    errors: Mapped[str | None] = mapped_column(Text)


class WorkspacePace(Base):
    """When the next `chat.postMessage` of one workspace may start, shared by every clock process on
    PostgreSQL (`bot.slack.shared_pace`): each clock takes a few start times at a time from here, so
    together they keep to the workspace's ceiling instead of each going to it alone.

    Times are seconds since the epoch on the database's clock, the one clock every process reads alike."""

    __tablename__ = "workspace_paces"

    # SHA-256 of the bot token: Slack limits an app per workspace, which is what a bot token speaks
    # for, and the token itself is not stored here.
    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The first start time no clock holds yet.
    next_slot: Mapped[float] = mapped_column(Double)
    # A 429 seen by any clock holds them all until then.
    paused_until: Mapped[float] = mapped_column(Double, default=0.0)
