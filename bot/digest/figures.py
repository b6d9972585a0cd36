"""The digest's numbers: kept-rates per account and side, their trend, the portfolio's weeks, and the
quarter's misses and root causes.

Every figure uses the definitions the Home tab and the export use (bot/digest/scorecard.py): a check-in is
kept when answered Done, Partly counts half; Blocked, Not yet and no response are misses; skipped and
paused occurrences count for no one; a miss charged to the side that held it up counts for that side
(bot/dependencies/sides.py). Each figure is one grouped query over all the digest's accounts,
bucketed by week with CASE, so the number of queries does not grow with the number of accounts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from bot.checkins.schedule import local_instant
from bot.dependencies.sides import counted_side_column
from bot.digest.scorecard import COUNTED, IN_COUNTED, KEPT_WEIGHT, MISSED, RENEGOTIATED, KeptRate
from bot.digest.settings import DigestSchedule
from bot.escalation.autopsy import CAUSES
from models import Autopsy, CheckIn, CheckInState, Commitment, Side

TREND_WEEKS = 4  # this week is compared with the four weeks before it
CHART_WEEKS = 12
QUARTER_WEEKS = 13
# A change smaller than this many percentage points is shown as steady (→): one Partly in a month
# should not read as a trend.
TREND_THRESHOLD = 5.0


@dataclass(frozen=True)
class SideScore:
    week: KeptRate
    before: KeptRate  # the previous four weeks together

    @property
    def trend(self) -> str:
        """↑ ↓ → against the previous four weeks; "new" when there is nothing to compare with."""
        if self.week.total == 0:
            return ""
        if self.before.total == 0:
            return "new"
        change = 100 * (self.week.kept / self.week.total - self.before.kept / self.before.total)
        if change >= TREND_THRESHOLD:
            return "↑"
        if change <= -TREND_THRESHOLD:
            return "↓"
        return "→"


EMPTY_SCORE = SideScore(KeptRate(0, 0), KeptRate(0, 0))


@dataclass(frozen=True)
class AccountScore:
    account_id: int
    name: str
    csm_user_id: str
    at_risk: bool
    customer: SideScore
    vendor: SideScore
    open_escalations: int

    @property
    def worst_percent(self) -> float:
        """The lower side's kept percentage this week; 100 when neither side had a counted check-in."""
        rates = [s.week.percent for s in (self.customer, self.vendor) if s.week.total]
        return min(rates) if rates else 100.0

    @property
    def attention(self) -> tuple[Any, ...]:
        """Sort key, most attention first: at risk, then more open escalations, then the lower kept-rate
        of either side this week, then a falling trend, then the name."""
        falling = any(s.trend == "↓" for s in (self.customer, self.vendor))
        return (
            not self.at_risk,
            -self.open_escalations,
            self.worst_percent,
            not falling,
            self.name.casefold(),
        )


@dataclass(frozen=True)
class CauseCount:
    cause: str
    side: Side
    accounts: int  # distinct accounts whose autopsies named it


@dataclass(frozen=True)
class Patterns:
    autopsies: int
    causes: list[CauseCount]
    misses: dict[Side, int]  # over the quarter; Partly is not a miss
    # Dates both sides agreed to move over the quarter, by the side of the commitment (not misses).
    renegotiations: dict[Side, int] = field(default_factory=dict)

    def miss_share(self, side: Side) -> float:
        total = sum(self.misses.values())
        return 100 * self.misses.get(side, 0) / total if total else 0.0


@dataclass(frozen=True)
class WeeklyRates:
    week_ends: list[date]  # oldest first, the local date each week ends
    customer: list[KeptRate]
    vendor: list[KeptRate]


def week_boundaries(schedule: DigestSchedule, end: datetime, weeks: int) -> list[datetime]:
    """`weeks + 1` instants, newest first: `end`, then the same wall-clock time a week earlier in the
    digest's zone, and so on, so weeks stay aligned with the digest across daylight-saving changes."""
    local_end = end.astimezone(schedule.zone)
    return [end] + [
        local_instant(local_end.date() - timedelta(weeks=i), local_end.time(), schedule.zone)
        for i in range(1, weeks + 1)
    ]


def _bucket(boundaries: list[datetime]) -> ColumnElement[int]:
    """Week number of a check-in (0 = the newest week) from its scheduled instant, computed in SQL."""
    whens = [(CheckIn.scheduled_at >= boundaries[i + 1], i) for i in range(len(boundaries) - 1)]
    return case(*whens, else_=-1)


def _counted_between(
    ids: list[int], boundaries: list[datetime], *, renegotiated: bool = False
) -> tuple[ColumnElement[bool], ...]:
    """The counted check-ins of these accounts from the oldest boundary up to the newest (and the
    renegotiated ones too, when asked, to be shown beside them)."""
    states = (*COUNTED, CheckInState.RENEGOTIATED) if renegotiated else COUNTED
    return (
        Commitment.account_id.in_(ids),
        CheckIn.state.in_(states),
        CheckIn.scheduled_at >= boundaries[-1],
        CheckIn.scheduled_at < boundaries[0],
    )


def sum_rates(rates: list[KeptRate]) -> KeptRate:
    return KeptRate(
        sum(r.kept for r in rates),
        sum(r.total for r in rates),
        sum(r.missed for r in rates),
        sum(r.renegotiated for r in rates),
    )


def rates_by_account(
    session: Session, ids: list[int], boundaries: list[datetime]
) -> dict[tuple[int, Side], SideScore]:
    """One query: each account's and side's kept-rate this week (bucket 0) and in the four before."""
    # Grouped by the label: PostgreSQL cannot tell two renderings of a CASE with parameters are equal.
    bucket = case((CheckIn.scheduled_at >= boundaries[1], 0), else_=1).label("week")
    # Renegotiated check-ins are read too, only to be shown beside the rate: they count for neither side.
    kept = func.sum(case((IN_COUNTED, KEPT_WEIGHT), else_=0.0))
    total = func.sum(case((IN_COUNTED, 1), else_=0))
    moved = func.sum(case((RENEGOTIATED, 1), else_=0))
    side = counted_side_column().label("counted_side")
    rows = session.execute(
        select(Commitment.account_id, side, bucket, kept, total, moved)
        .join(CheckIn.commitment)
        .where(*_counted_between(ids, boundaries, renegotiated=True))
        .group_by(Commitment.account_id, "counted_side", "week")
    ).all()
    found: dict[tuple[int, Side], dict[int, KeptRate]] = defaultdict(dict)
    for account_id, counted, week, k, n, r in rows:
        found[(account_id, Side(counted))][int(week)] = KeptRate(float(k or 0), int(n or 0), 0, int(r or 0))
    empty = KeptRate(0, 0)
    return {key: SideScore(week=b.get(0, empty), before=b.get(1, empty)) for key, b in found.items()}


def weekly_portfolio(
    session: Session, ids: list[int], boundaries: list[datetime]
) -> dict[Side, list[KeptRate]]:
    """One query: per side and week (newest first), the portfolio's kept-rate and its misses."""
    bucket = _bucket(boundaries).label("week")
    missed = func.sum(case((MISSED, 1), else_=0))
    side = counted_side_column().label("counted_side")
    rows = session.execute(
        select(side, bucket, func.sum(KEPT_WEIGHT), func.count(CheckIn.id), missed)
        .join(CheckIn.commitment)
        .where(*_counted_between(ids, boundaries))
        .group_by("counted_side", "week")
    ).all()
    weeks = len(boundaries) - 1
    result: dict[Side, list[KeptRate]] = {side: [KeptRate(0, 0)] * weeks for side in Side}
    for counted, week, kept, total, misses in rows:
        if 0 <= week < weeks:
            result[Side(counted)][int(week)] = KeptRate(float(kept or 0), int(total), int(misses or 0))
    return result


def patterns(
    session: Session,
    ids: list[int],
    *,
    since: datetime,
    end: datetime,
    weekly: dict[Side, list[KeptRate]],
) -> Patterns:
    """Root causes counted once per account that named them in the quarter, and who missed."""
    rows = session.execute(
        select(Autopsy.account_id, Autopsy.causes).where(
            Autopsy.account_id.in_(ids), Autopsy.created_at >= since, Autopsy.created_at < end
        )
    ).all()
    accounts_per_cause: dict[tuple[str, Side], set[int]] = defaultdict(set)
    for account_id, causes in rows:
        for item in json.loads(causes or "[]"):
            label = CAUSES.get(item.get("cause", ""), item.get("cause", ""))
            accounts_per_cause[(label, Side(item.get("side", "vendor")))].add(account_id)
    counted = sorted(
        (
            CauseCount(cause=label, side=side, accounts=len(seen))
            for (label, side), seen in accounts_per_cause.items()
        ),
        key=lambda c: (-c.accounts, c.side.value, c.cause),
    )
    misses = {side: sum(w.missed for w in weekly[side]) for side in Side}
    return Patterns(autopsies=len(rows), causes=counted, misses=misses)
