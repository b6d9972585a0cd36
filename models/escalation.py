"""Escalation episodes and the versioned joint agreements they are judged against."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from models.account import SLACK_ID
from models.base import Base, EscalationState, Side, enum_column
from models.types import UTCDateTime


class Escalation(Base):
    """One episode of one kind on one commitment (or account), posted once and then updated in place."""

    __tablename__ = "escalations"
    __table_args__ = (
        Index(
            "uq_escalations_open_episode",
            "account_id",
            "episode_key",
            unique=True,
            sqlite_where=text("state != 'resolved'"),
            postgresql_where=text("state != 'resolved'"),
        ),
        # The clock looks every minute for posts Slack refused and first posts a dead clock left:
        # read through these rather than across every escalation ever raised.
        Index("ix_escalations_post_pending", "post_pending"),
        Index("ix_escalations_unposted", "message_ts", "post_claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id"))
    side: Mapped[Side] = mapped_column(enum_column(Side))
    kind: Mapped[str] = mapped_column(String(40))
    # "<commitment id or 'account'>:<kind>": at most one unresolved episode per key (partial unique index).
    episode_key: Mapped[str] = mapped_column(String(80), server_default="")
    level: Mapped[int] = mapped_column(Integer, default=1)
    # The record in one neutral sentence ("Two of the last four check-ins were missed.").
    summary: Mapped[str | None] = mapped_column(Text)
    state: Mapped[EscalationState] = mapped_column(enum_column(EscalationState))
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # The post (or its last update) has not reached the escalation channel yet: retried every pass.
    post_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    post_error: Mapped[str | None] = mapped_column(String(200))
    post_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    post_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The CSM was told the post can't be made (a permanent refusal), so they are told once.
    post_problem_reported: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class Agreement(Base):
    """A version of the joint plan put to the customer, and their answer ("Is that fair?")."""

    __tablename__ = "agreements"
    __table_args__ = (
        UniqueConstraint("account_id", "version"),
        # The plans still waiting for the champion's answer, which the clock reminds of: a few, however
        # many versions every account has agreed to over the years.
        Index(
            "ix_agreements_awaiting",
            "account_id",
            sqlite_where=text("response IS NULL AND reminded_at IS NULL"),
            postgresql_where=text("response IS NULL AND reminded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    version: Mapped[int] = mapped_column(Integer)
    plan: Mapped[str] = mapped_column(Text)
    # The customer commitments this version asks the champion to agree to, as "3,5,8".
    commitment_ids: Mapped[str] = mapped_column(Text, default="", server_default="")
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    response: Mapped[str | None] = mapped_column(String(20))
    responded_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Autopsy(Base):
    """Why an account went at risk, recorded while it can still be rescued; feeds the digest's patterns."""

    __tablename__ = "autopsies"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))
    # JSON list of {"cause": "...", "side": "vendor"|"customer"}.
    causes: Mapped[str] = mapped_column(Text)
    other_cause: Mapped[str | None] = mapped_column(Text)
    corrective_commitment_ids: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(SLACK_ID))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AutopsyParticipant(Base):
    """Someone named on an autopsy (each executive leader takes part); complete when all signed off."""

    __tablename__ = "autopsy_participants"
    __table_args__ = (UniqueConstraint("autopsy_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    autopsy_id: Mapped[int] = mapped_column(ForeignKey("autopsies.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where their Sign off request was sent, to redraw it once signed.
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(32))
