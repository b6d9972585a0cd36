"""Proposals to move a commitment's date or schedule: renegotiating instead of slipping."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, Index, String, Text, Time, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from models.account import SLACK_ID
from models.base import Base, Side, enum_column
from models.types import UTCDateTime


class Proposal(Base):
    """One proposal for one commitment, answered by the other side.

    At most one open proposal per commitment (a partial unique index), so two people proposing at once
    cannot both open one. The old and the new schedule are both kept: the diary and the export show them.
    """

    __tablename__ = "proposals"
    __table_args__ = (
        Index(
            "uq_proposals_open_commitment",
            "commitment_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"))
    # The open check-in the proposal was made from, closed as renegotiated when it is accepted.
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"))
    proposed_by: Mapped[str] = mapped_column(String(SLACK_ID))
    proposer_side: Mapped[Side] = mapped_column(enum_column(Side))
    reason: Mapped[str] = mapped_column(Text)
    old_due_on: Mapped[date | None] = mapped_column(Date)
    old_rrule: Mapped[str | None] = mapped_column(Text)
    old_local_time: Mapped[time] = mapped_column(Time)
    old_schedule_text: Mapped[str] = mapped_column(String(200))
    new_due_on: Mapped[date | None] = mapped_column(Date)
    new_rrule: Mapped[str | None] = mapped_column(Text)
    new_local_time: Mapped[time] = mapped_column(Time)
    new_schedule_text: Mapped[str] = mapped_column(String(200))
    # open → accepted | declined | expired (unanswered within two working days)
    state: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When it is still unanswered: the account's manager is asked too, then it expires.
    manager_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    manager_asked: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    answered_by: Mapped[str | None] = mapped_column(String(SLACK_ID))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_note: Mapped[str | None] = mapped_column(Text)
    # Where the question was posted (the CSM's DM, the shared channel or the champion's DM), to update it.
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(32))
