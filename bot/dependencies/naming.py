"""A Blocked answer naming what held it up: the other side's open commitments on the account, or
"something not on the plan" (the CSM is asked to add it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.errors import Refusal
from models import CheckIn, Commitment, CommitmentStatus

# A static_select holds at most 100 options; one is "something not on the plan".
MAX_BLOCKERS = 99
NOT_ON_PLAN = "not_on_plan"
OPEN = (CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)


def _other_side_open(session: Session, checkin: CheckIn) -> list[Commitment]:
    commitment = checkin.commitment
    return list(
        session.scalars(
            select(Commitment)
            .where(
                Commitment.account_id == commitment.account_id,
                Commitment.side != commitment.side,
                Commitment.status.in_(OPEN),
            )
            .order_by(Commitment.id)
            .limit(MAX_BLOCKERS)
        )
    )


def blocker_options(session: Session, checkin: CheckIn) -> tuple[tuple[int, str], ...]:
    """(id, "#7 Ship the calendar import fix") for the Blocked form's picker, as plain text."""
    return tuple((c.id, f"{c.label} {c.action}") for c in _other_side_open(session, checkin))


def named_blocker(session: Session, checkin: CheckIn, commitment_id: int) -> Commitment:
    """The commitment a Blocked answer names, if it may: open, of the other side, on the same account."""
    named = session.get(Commitment, commitment_id)
    own = checkin.commitment
    if (
        named is None
        or named.account_id != own.account_id
        or named.side is own.side
        or named.status not in OPEN
    ):
        raise Refusal(
            "That commitment can't be named as the blocker any more (it is closed or not the other side's). "
            "Pick another, or leave it empty."
        )
    return named
