"""Accounts (one per customer relationship) and the people who act on them."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Side, enum_column
from models.types import UTCDateTime

if TYPE_CHECKING:
    from models.commitment import Commitment

SLACK_ID = 32


class Account(Base):
    """A customer relationship and the Desired Outcome both sides are working towards."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("team_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    name: Mapped[str] = mapped_column(String(80))
    # Case-folded name: "Acme" and "acme" are the same account to a person typing commands.
    name_key: Mapped[str] = mapped_column(String(80))
    shared_channel_id: Mapped[str] = mapped_column(String(SLACK_ID))
    escalation_channel_id: Mapped[str] = mapped_column(String(SLACK_ID))
    digest_channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    csm_user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    champion_user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    manager_user_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    desired_outcome: Mapped[str | None] = mapped_column(Text)
    holiday_country: Mapped[str | None] = mapped_column(String(8))
    reminder_count: Mapped[int] = mapped_column(Integer, default=1)
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped whenever the customer's side of the plan changes: each version is agreed to afresh.
    plan_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # JSON of escalation-policy overrides; absent keys take the product's defaults (bot/escalation/policy.py).
    policy: Mapped[str | None] = mapped_column(Text)
    # The last time the account's at-risk flag was cleared by a person, by whom and why.
    risk_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    risk_cleared_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    risk_cleared_reason: Mapped[str | None] = mapped_column(Text)
    # Where check-ins go: "dm", "channel" (the shared channel) or "auto" (DM, falling back to the channel).
    checkin_delivery: Mapped[str] = mapped_column(String(8), default="auto", server_default="auto")
    # The weekly review in the shared channel: weekday (Monday 0) and local time in the champion's zone.
    # None means the product's default (Friday 15:00); `review_enabled` False means `review:off`.
    review_weekday: Mapped[int | None] = mapped_column(Integer)
    review_time: Mapped[time | None] = mapped_column(Time)
    review_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # No weekly review falls due before this instant, and no weekly digest of the account's channel:
    # the clock reads only the accounts whose instant has come (`bot.review.posting`,
    # `bot.digest.posting`) instead of working out every account's local time on every pass. Lower
    # bounds only: None means "look", and anything that could bring a review or digest earlier (its
    # day or time, the champion or the champion's zone, the digest channel or the workspace's digest
    # schedule) resets them to None.
    next_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    next_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(SLACK_ID))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    commitments: Mapped[list[Commitment]] = relationship(back_populates="account", order_by="Commitment.id")


class Person(Base):
    """Someone the bot talks to, with the time zone their check-ins are scheduled in.

    `team_id` is the workspace the app is installed in; `home_team_id` is the person's own workspace,
    which differs for an external customer in a Slack Connect channel.
    """

    __tablename__ = "people"
    # away_until: each pass asks who is away or back, and without it reads every person.
    __table_args__ = (UniqueConstraint("team_id", "user_id"), Index("ix_people_away_until", "away_until"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    # Indexed: in OAuth mode a Slack Connect customer's DM click is placed by who they are (bot/installs/owners.py).
    user_id: Mapped[str] = mapped_column(String(SLACK_ID), index=True)
    home_team_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    side: Mapped[Side] = mapped_column(enum_column(Side))
    display_name: Mapped[str | None] = mapped_column(String(120))
    tz: Mapped[str | None] = mapped_column(String(64))
    is_external: Mapped[bool] = mapped_column(Boolean, default=False)
    profile_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reminders to one person are capped at one message an hour, across all their commitments.
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the bot can't reach this person (a permanent Slack refusal), so the CSM is told once.
    delivery_problem: Mapped[str | None] = mapped_column(String(200))
    # The person's own choice of where their check-ins go ("dm", "channel", "auto"); None: the account's.
    checkin_delivery: Mapped[str | None] = mapped_column(String(8))
    # Set when a DM to them was refused for good (another organisation's settings, …): under `auto`
    # their check-ins go to the shared channel until this instant, when a DM is tried again.
    dm_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Slack had no time zone for them: the CSM is told once (`person @x tz:…` sets one).
    tz_unknown_told: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Time off: no check-ins or reminders until this instant; occurrences meanwhile are skipped (away).
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    away_reason: Mapped[str | None] = mapped_column(Text)
    # "command", "button" or "status" (read from their Slack status), for what the diary and Home say.
    away_source: Mapped[str | None] = mapped_column(String(10))
    # Whether the CSM was told of this away period (told once, for periods over five working days).
    away_told: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # The person's own public-holiday calendar, overriding their accounts' (`person @x holidays:CC`).
    holiday_country: Mapped[str | None] = mapped_column(String(8))
