"""The declarative base and the enumerations the tables share."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Side(StrEnum):
    CUSTOMER = "customer"
    VENDOR = "vendor"


class CommitmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


class CheckInState(StrEnum):
    """Life of one check-in occurrence.

    due -> sending (claimed by one clock pass) -> sent -> answered | no_response
    due -> skipped (the bot was down when it fell due)
    sending -> failed (Slack refused or stayed unreachable after retries; kept visible, never dropped)
    sent -> renegotiated (both sides agreed a new date instead: counted for neither side)
    """

    DUE = "due"
    SENDING = "sending"
    SENT = "sent"
    ANSWERED = "answered"
    NO_RESPONSE = "no_response"
    SKIPPED = "skipped"
    FAILED = "failed"
    RENEGOTIATED = "renegotiated"


class Answer(StrEnum):
    DONE = "done"
    PARTLY = "partly"
    BLOCKED = "blocked"
    NOT_YET = "not_yet"
    SNOOZED = "snoozed"


class EscalationState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


def enum_column(enum: type[StrEnum]) -> Enum:
    """Store enums as short strings with a CHECK, not native PostgreSQL enums, so new values are cheap."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        name=enum.__name__.lower(),
    )
