"""When the customer's side of the plan changes, the champion has a new version to agree to."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Account, Agreement, Commitment, CommitmentStatus, Side


def plan_changed(session: Session, account: Account) -> None:
    """Start a new version only if the current one was already put to the champion; until then the
    change simply becomes part of the version that will be posted."""
    posted = session.scalar(
        select(Agreement.id).where(
            Agreement.account_id == account.id, Agreement.version == account.plan_version
        )
    )
    if posted is not None:
        account.plan_version += 1


def stop_customer_checkins(session: Session, account: Account) -> None:
    """A new (or no) champion has agreed to nothing: the customer's check-ins wait for their "I agree"
    to a new version of the plan, and start from that moment (`bot.accounts.agreements`)."""
    session.execute(
        update(Commitment)
        .where(
            Commitment.account_id == account.id,
            Commitment.side == Side.CUSTOMER,
            Commitment.status.in_((CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)),
        )
        .values(agreed_at=None)
    )
    plan_changed(session, account)
