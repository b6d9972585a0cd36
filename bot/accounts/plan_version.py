"""When the customer's side of the plan changes, the champion has a new version to agree to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Account, Agreement


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
