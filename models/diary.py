"""The append-only accountability diary both sides read."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from models.account import SLACK_ID
from models.base import Base, Side, enum_column
from models.types import UTCDateTime


class DiaryEntry(Base):
    """One thing that happened on an account.

    Rows are only ever inserted: a correction is a new entry whose `corrects_id` points at the old one.
    `dedupe_key` is unique, so a retried delivery or a double click that would write the same fact
    twice writes it once.
    """

    __tablename__ = "diary_entries"
    __table_args__ = (Index("ix_diary_entries_account_occurred", "account_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id"))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"))
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None when the bot itself acted (a reminder sent, an occurrence skipped).
    actor_user_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    side: Mapped[Side | None] = mapped_column(enum_column(Side))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("diary_entries.id"))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class DiaryThread(Base):
    """The week's thread in an account's shared channel ("Accountability diary — week of 7 Dec")."""

    __tablename__ = "diary_threads"
    __table_args__ = (UniqueConstraint("account_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    week_start: Mapped[date] = mapped_column(Date)
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID))
    # Empty while the clock pass that claimed the week is posting its first message.
    message_ts: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DiaryShare(Base):
    """One diary entry's copy in the shared thread; the entry itself stays untouched (append-only)."""

    __tablename__ = "diary_shares"
    # Copies still being posted, oldest claim first: an idle pass asks whether any claim was abandoned,
    # and without this it would read every copy ever posted.
    __table_args__ = (
        Index(
            "ix_diary_shares_unposted",
            "claimed_at",
            postgresql_where=sql_text("message_ts IS NULL"),
            sqlite_where=sql_text("message_ts IS NULL"),
        ),
    )

    entry_id: Mapped[int] = mapped_column(ForeignKey("diary_entries.id"), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    thread_id: Mapped[int] = mapped_column(ForeignKey("diary_threads.id"))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DiaryToShare(Base):
    """A diary entry not yet copied into the shared thread: written with the entry (unless private),
    removed once its copy is posted. The clock reads this short list instead of every entry ever
    written beside every copy ever posted, so a pass costs what is waiting to be shared, not the
    account's whole history. The entry itself stays untouched (append-only)."""

    __tablename__ = "diary_to_share"
    __table_args__ = (Index("ix_diary_to_share_occurred", "occurred_at", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("diary_entries.id"), primary_key=True)
    # The installation's, so each installation's clock pass reads only its own list (models/tenancy.py).
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
