"""Hand-overs: someone left an account's shared channel or was deactivated, and their work needs a new owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from models.account import SLACK_ID
from models.base import Base
from models.types import UTCDateTime


class Handover(Base):
    """One person gone from one account, until everything they held there has a new owner.

    At most one open hand-over per (account, person) (a partial unique index), so a redelivered event or
    two events for the same departure (left the channel, then deactivated) open it once. The CSM is
    asked in a DM with a user picker per commitment; `message_ts` is that DM, redrawn as each is handed on.
    """

    __tablename__ = "handovers"
    __table_args__ = (
        Index(
            "uq_handovers_open_person",
            "account_id",
            "person_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # Who left; their commitments keep them as owner (so the diary and lists still name them) until handed on.
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # "left_channel" (the champion left the shared channel) or "deactivated" (their Slack account is gone).
    reason: Mapped[str] = mapped_column(String(20))
    # They were the account's champion: the account needs a new one, who agrees to the plan afresh.
    was_champion: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who is asked (the CSM, or the manager when the CSM is the one who left), and the DM that asks.
    ask_user_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    # A clock pass or a listener claims the asking, so it is sent once; a failed send is retried later.
    ask_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ask_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ask_error: Mapped[str | None] = mapped_column(String(200))
    channel_id: Mapped[str | None] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
