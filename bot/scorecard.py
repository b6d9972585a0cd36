"""Kept-rates: a check-in is kept when answered Done (Partly counts half); Blocked, Not yet and no
response are misses; skipped (bot down) and paused occurrences count for no one. One grouped query for
any number of accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from models import Answer, CheckIn, CheckInState, Commitment, Side


@dataclass(frozen=True)
class KeptRate:
    kept: float
    total: int

    def __str__(self) -> str:
        if self.total == 0:
            return "no check-ins yet"
        kept = f"{self.kept:g}"
        return f"kept {kept} of {self.total} ({round(100 * self.kept / self.total)} %)"


def kept_rates(
    session: Session, account_ids: list[int], *, since: datetime
) -> dict[tuple[int, Side], KeptRate]:
    if not account_ids:
        return {}
    kept = func.sum(
        case((CheckIn.answer == Answer.DONE, 1.0), (CheckIn.answer == Answer.PARTLY, 0.5), else_=0.0)
    )
    rows = session.execute(
        select(Commitment.account_id, Commitment.side, kept, func.count(CheckIn.id))
        .join(CheckIn.commitment)
        .where(
            Commitment.account_id.in_(account_ids),
            CheckIn.scheduled_at >= since,
            CheckIn.state.in_((CheckInState.ANSWERED, CheckInState.NO_RESPONSE)),
        )
        .group_by(Commitment.account_id, Commitment.side)
    ).all()
    return {(account_id, side): KeptRate(float(k or 0), int(n)) for account_id, side, k, n in rows}
