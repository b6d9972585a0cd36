"""Agreed actions and the check-in occurrences they produce."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.account import SLACK_ID, Account, Person
from models.base import Answer, Base, CheckInState, CommitmentStatus, Side, enum_column
from models.types import UTCDateTime


class Commitment(Base):
    """One agreed action with one owner on one side.

    Either recurring (`rrule` holds an RFC 5545 rule without DTSTART, expanded in the owner's zone from
    `starts_on` at `local_time`) or due once (`due_on`).
    """

    __tablename__ = "commitments"
    __table_args__ = (
        # The clock looks every minute for pauses that have ended (a resumed commitment's end is
        # cleared) and for vendor due dates that have passed: small range scans however many
        # commitments there are. Neither leads with the status, which SQLite would otherwise prefer
        # for the scheduling query over the index on next_checkin_at.
        Index("ix_commitments_paused_until", "paused_until"),
        Index("ix_commitments_side_status_due_on", "side", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    side: Mapped[Side] = mapped_column(enum_column(Side))
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    rrule: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    local_time: Mapped[time] = mapped_column(Time)
    # Plain words for people ("every Monday at 09:00"), kept as typed so `list` shows what was agreed.
    schedule_text: Mapped[str] = mapped_column(String(200))
    status: Mapped[CommitmentStatus] = mapped_column(enum_column(CommitmentStatus))
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A customer commitment is checked on only once the champion agreed to a plan that holds it.
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Occurrences up to this instant exist as check-in rows; the clock only looks past it.
    scheduled_through: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # No occurrence falls before this instant, so the clock can pass over the commitment until then.
    # A lower bound only: None means "look", and anything that could bring an occurrence earlier
    # (a zone or holiday-calendar change) resets it.
    next_checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The commitment this one waits on (possibly the other side's): while that one is open and overdue,
    # this one's misses count against the side holding it up.
    waits_on_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id"))
    # How many times both sides agreed to move its date or schedule (serial renegotiation is a pattern).
    renegotiations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Its owner left the shared channel (as champion) or was deactivated: no check-ins until it is handed
    # over (`bot.people.handover`). The owner stays recorded until then.
    needs_owner_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(SLACK_ID))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship(back_populates="commitments")
    owner: Mapped[Person] = relationship()
    waits_on: Mapped[Commitment | None] = relationship(remote_side=[id])

    @property
    def label(self) -> str:
        return f"#{self.id}"


class CheckIn(Base):
    """One scheduled occurrence of a commitment: the unit that is sent, answered, missed or skipped.

    Unique on (commitment, scheduled instant), so however many clock passes run, an occurrence exists once.
    """

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("commitment_id", "scheduled_at"),
        Index("ix_checkins_state_scheduled_at", "state", "scheduled_at"),
        # The clock looks every minute for the few check-ins whose answer may still change and the few
        # closed ones the escalation rules have not judged; led by the flag, these stay small range
        # scans however many answered check-ins a year leaves behind.
        Index("ix_checkins_answer_change_open", "answer_change_closed", "state", "answered_at"),
        Index("ix_checkins_unevaluated", "evaluated", "state"),
        Index("ix_checkins_reminder_lease", "reminder_lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[CheckInState] = mapped_column(enum_column(CheckInState))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which clock process holds the send ("host:pid"), and until when on that pass's clock: a claim
    # whose lease has run out is taken over by another clock and settled from Slack's history.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # A send that failed for a passing reason waits until then (back-off, or Slack's Retry-After).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID), index=True)
    # "dm" or "channel" (posted in the account's shared channel, mentioning its owner).
    place: Mapped[str | None] = mapped_column(String(8))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    # When the next reminder is due, and when an unanswered check-in closes as no response.
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # A reminder claimed and not yet settled: which clock holds it, and until when on its pass's clock.
    # Cleared once Slack's answer is recorded; one still set after its lease belongs to a dead clock.
    reminder_claimed_by: Mapped[str | None] = mapped_column(String(100))
    reminder_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    snoozes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Closed check-ins wait for the escalation rules to look at them once.
    evaluated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    answer: Mapped[Answer | None] = mapped_column(enum_column(Answer))
    answered_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    # Why a skipped check-in was skipped: "down" (the bot was down) or "away" (its owner was away).
    skip_reason: Mapped[str | None] = mapped_column(String(20))
    # The owner may change an answer for 24 hours; once the clock has taken the control off the
    # message this is True and only the CSM's `correct` remains.
    answer_change_closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # A Blocked answer naming the other side's commitment that held it up.
    blocked_by_commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id"))
    # The side a miss counts against when it is not the owner's (a dependency or a named blocker).
    charged_side: Mapped[Side | None] = mapped_column(enum_column(Side))

    commitment: Mapped[Commitment] = relationship(foreign_keys=[commitment_id])
