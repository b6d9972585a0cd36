"""Kept-rates: a check-in is kept when answered Done (Partly counts half); Blocked, Not yet and no
response are misses; skipped (bot down) and paused occurrences count for no one, and so do renegotiated
ones (both sides agreed a new date instead), which are shown beside kept and missed. A miss counts against
the side that held it up when it was charged to it (bot/dependencies/sides.py). One grouped query for any
number of accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from bot.dependencies.sides import counted_side_column
from bot.escalation.rules import MISSED_ANSWERS
from models import Answer, CheckIn, CheckInState, Commitment, Side

# The window the App Home, `list` and the export show a kept-rate over; the digest has its own weeks.
SCORE_WINDOW = timedelta(weeks=12)
# The check-ins a rate counts: answered, or closed unanswered. Everything else is in neither number.
COUNTED = (CheckInState.ANSWERED, CheckInState.NO_RESPONSE)
# The same definitions in SQL, for grouped queries over many accounts.
KEPT_WEIGHT = case((CheckIn.answer == Answer.DONE, 1.0), (CheckIn.answer == Answer.PARTLY, 0.5), else_=0.0)
MISSED = or_(CheckIn.state == CheckInState.NO_RESPONSE, CheckIn.answer.in_(MISSED_ANSWERS))
# Counted for neither side, only shown: the check-ins both sides agreed to move instead.
RENEGOTIATED = CheckIn.state == CheckInState.RENEGOTIATED
IN_COUNTED = CheckIn.state.in_(COUNTED)


@dataclass(frozen=True)
class KeptRate:
    kept: float
    total: int
    missed: int = 0
    renegotiated: int = 0

    @property
    def percent(self) -> float:
        return 100 * self.kept / self.total if self.total else 0.0

    def __str__(self) -> str:
        moved = f" · {self.renegotiated} renegotiated" if self.renegotiated else ""
        if self.total == 0:
            return "no kept or missed check-ins" + moved if moved else "no check-ins yet"
        kept = f"{self.kept:g}"
        return f"kept {kept} of {self.total} ({round(100 * self.kept / self.total)} %){moved}"


def kept_rates(
    session: Session, account_ids: list[int], *, since: datetime
) -> dict[tuple[int, Side], KeptRate]:
    if not account_ids:
        return {}
    kept = func.sum(case((IN_COUNTED, KEPT_WEIGHT), else_=0.0))
    counted = func.sum(case((IN_COUNTED, 1), else_=0))
    missed = func.sum(case((MISSED, 1), else_=0))
    moved = func.sum(case((RENEGOTIATED, 1), else_=0))
    # A miss charged to the side that held it up counts for that side (bot/dependencies/sides.py).
    side = counted_side_column().label("counted_side")
    rows = session.execute(
        select(Commitment.account_id, side, kept, counted, missed, moved)
        .join(CheckIn.commitment)
        .where(
            Commitment.account_id.in_(account_ids),
            CheckIn.scheduled_at >= since,
            CheckIn.state.in_((*COUNTED, CheckInState.RENEGOTIATED)),
        )
        .group_by(Commitment.account_id, "counted_side")
    ).all()
    return {
        (account_id, Side(side)): KeptRate(float(k or 0), int(n or 0), int(m or 0), int(r or 0))
        for account_id, side, k, n, m, r in rows
    }
