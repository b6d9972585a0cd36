"""What a manager's weekly digest says, computed from the database in a fixed number of queries.

Every figure uses the definitions the Home tab and the export use (bot/digest/scorecard.py): a check-in is
kept when answered Done, Partly counts half; Blocked, Not yet and no response are misses; skipped and
paused occurrences count for no one. The number of queries does not depend on the number of accounts:
each figure is one grouped query over all the digest's accounts, bucketed by week with CASE.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from bot.checkins.schedule import local_instant
from bot.digest.scorecard import COUNTED, KEPT_WEIGHT, MISSED, KeptRate
from bot.digest.settings import DigestSchedule
from bot.escalation.autopsy import CAUSES
from models import (
    Account,
    Agreement,
    Autopsy,
    CheckIn,
    CheckInState,
    Commitment,
    CommitmentStatus,
    Escalation,
    EscalationState,
    Person,
    Side,
)

TREND_WEEKS = 4  # this week is compared with the four weeks before it
CHART_WEEKS = 12
QUARTER_WEEKS = 13
# A change smaller than this many percentage points is shown as steady (→): one Partly in a month
# should not read as a trend.
TREND_THRESHOLD = 5.0
# Sent and still open counts as "had a check-in": the commitment is being followed, just not closed yet.
TRACKED = (*COUNTED, CheckInState.SENT)
UNDELIVERED = (CheckInState.SKIPPED, CheckInState.FAILED)


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
class OpenEpisode:
    account: str
    kind: str
    side: Side
    commitment_id: int | None
    action: str | None
    opened_at: datetime
    level: int
    acknowledged_by: str | None
    champion_user_id: str

    def age_days(self, now: datetime) -> int:
        return max(0, (now - self.opened_at).days)


@dataclass(frozen=True)
class AwaitingAgreement:
    account: str
    version: int
    posted_at: datetime
    discuss: bool  # the champion asked to discuss rather than not answering at all


@dataclass(frozen=True)
class SilentCommitment:
    """An active commitment with no check-in sent in the period, and the plain reason why."""

    account: str
    commitment_id: int
    side: Side
    owner_user_id: str
    action: str
    reason: str


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

    def miss_share(self, side: Side) -> float:
        total = sum(self.misses.values())
        return 100 * self.misses.get(side, 0) / total if total else 0.0


@dataclass(frozen=True)
class WeeklyRates:
    week_ends: list[date]  # oldest first, the local date each week ends
    customer: list[KeptRate]
    vendor: list[KeptRate]


@dataclass(frozen=True)
class DigestReport:
    period_start: datetime
    period_end: datetime
    tz: str
    accounts: list[AccountScore]  # attention order
    portfolio: dict[Side, SideScore]
    episodes: list[OpenEpisode]
    awaiting: list[AwaitingAgreement]
    silent: list[SilentCommitment]
    patterns: Patterns
    weekly: WeeklyRates
    # Display names of the people the digest names: it speaks of people without @-mentioning them,
    # so a manager's channel does not ping every CSM and champion each week.
    people: dict[str, str] = field(default_factory=dict)

    @property
    def at_risk(self) -> list[AccountScore]:
        return [a for a in self.accounts if a.at_risk]

    @property
    def champions_unresponsive(self) -> list[OpenEpisode]:
        return [e for e in self.episodes if e.kind == "champion_unresponsive"]


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


def build_digest(
    session: Session, accounts: list[Account], *, schedule: DigestSchedule, period_end: datetime
) -> DigestReport:
    ids = [a.id for a in accounts]
    names = {a.id: a.name for a in accounts}
    weeks = week_boundaries(schedule, period_end, QUARTER_WEEKS)
    period_start = weeks[1]
    per_account = _rates_by_account(session, ids, weeks[: TREND_WEEKS + 2])
    episodes = _open_episodes(session, ids, names)
    open_counts = Counter(e.account for e in episodes)
    scores = [
        AccountScore(
            account_id=a.id,
            name=a.name,
            csm_user_id=a.csm_user_id,
            at_risk=a.at_risk,
            customer=per_account.get((a.id, Side.CUSTOMER), EMPTY_SCORE),
            vendor=per_account.get((a.id, Side.VENDOR), EMPTY_SCORE),
            open_escalations=open_counts[a.name],
        )
        for a in accounts
    ]
    weekly_rows = _weekly_portfolio(session, ids, weeks)
    portfolio = {
        side: SideScore(week=weekly_rows[side][0], before=_sum_rates(weekly_rows[side][1 : TREND_WEEKS + 1]))
        for side in Side
    }
    silent = _silent_commitments(session, ids, names, start=period_start, end=period_end)
    chart_weeks = [w.astimezone(schedule.zone).date() for w in weeks[:CHART_WEEKS]]
    return DigestReport(
        period_start=period_start,
        period_end=period_end,
        tz=schedule.tz,
        accounts=sorted(scores, key=lambda s: s.attention),
        portfolio=portfolio,
        episodes=episodes,
        awaiting=_awaiting_agreements(session, ids),
        silent=silent,
        patterns=_patterns(session, ids, since=weeks[QUARTER_WEEKS], end=period_end, weekly=weekly_rows),
        weekly=WeeklyRates(
            week_ends=list(reversed(chart_weeks)),
            customer=list(reversed(weekly_rows[Side.CUSTOMER][:CHART_WEEKS])),
            vendor=list(reversed(weekly_rows[Side.VENDOR][:CHART_WEEKS])),
        ),
        people=_display_names(session, accounts, episodes, silent),
    )


EMPTY_SCORE = SideScore(KeptRate(0, 0), KeptRate(0, 0))


def _display_names(
    session: Session, accounts: list[Account], episodes: list[OpenEpisode], silent: list[SilentCommitment]
) -> dict[str, str]:
    wanted = {a.csm_user_id for a in accounts} | {a.champion_user_id for a in accounts}
    wanted |= {e.acknowledged_by for e in episodes if e.acknowledged_by}
    wanted |= {c.owner_user_id for c in silent}
    team_ids = {a.team_id for a in accounts}
    rows = session.execute(
        select(Person.user_id, Person.display_name).where(
            Person.team_id.in_(team_ids), Person.user_id.in_(wanted)
        )
    ).all()
    return {user_id: name for user_id, name in rows if name}


def _sum_rates(rates: list[KeptRate]) -> KeptRate:
    return KeptRate(sum(r.kept for r in rates), sum(r.total for r in rates), sum(r.missed for r in rates))


def _rates_by_account(
    session: Session, ids: list[int], boundaries: list[datetime]
) -> dict[tuple[int, Side], SideScore]:
    """One query: each account's and side's kept-rate this week (bucket 0) and in the four before."""
    # Grouped by the label: PostgreSQL cannot tell two renderings of a CASE with parameters are equal.
    bucket = case((CheckIn.scheduled_at >= boundaries[1], 0), else_=1).label("week")
    rows = session.execute(
        select(Commitment.account_id, Commitment.side, bucket, func.sum(KEPT_WEIGHT), func.count(CheckIn.id))
        .join(CheckIn.commitment)
        .where(
            Commitment.account_id.in_(ids),
            CheckIn.state.in_(COUNTED),
            CheckIn.scheduled_at >= boundaries[-1],
            CheckIn.scheduled_at < boundaries[0],
        )
        .group_by(Commitment.account_id, Commitment.side, "week")
    ).all()
    found: dict[tuple[int, Side], dict[int, KeptRate]] = defaultdict(dict)
    for account_id, side, week, kept, total in rows:
        found[(account_id, side)][int(week)] = KeptRate(float(kept or 0), int(total))
    empty = KeptRate(0, 0)
    return {key: SideScore(week=b.get(0, empty), before=b.get(1, empty)) for key, b in found.items()}


def _weekly_portfolio(
    session: Session, ids: list[int], boundaries: list[datetime]
) -> dict[Side, list[KeptRate]]:
    """One query: per side and week (newest first), the portfolio's kept-rate and its misses."""
    bucket = _bucket(boundaries).label("week")
    missed = func.sum(case((MISSED, 1), else_=0))
    rows = session.execute(
        select(Commitment.side, bucket, func.sum(KEPT_WEIGHT), func.count(CheckIn.id), missed)
        .join(CheckIn.commitment)
        .where(
            Commitment.account_id.in_(ids),
            CheckIn.state.in_(COUNTED),
            CheckIn.scheduled_at >= boundaries[-1],
            CheckIn.scheduled_at < boundaries[0],
        )
        .group_by(Commitment.side, "week")
    ).all()
    weeks = len(boundaries) - 1
    result: dict[Side, list[KeptRate]] = {side: [KeptRate(0, 0)] * weeks for side in Side}
    for side, week, kept, total, misses in rows:
        if 0 <= week < weeks:
            result[side][int(week)] = KeptRate(float(kept or 0), int(total), int(misses or 0))
    return result


def _open_episodes(session: Session, ids: list[int], names: dict[int, str]) -> list[OpenEpisode]:
    rows = session.execute(
        select(Escalation, Commitment.action, Account.champion_user_id)
        .join(Account, Account.id == Escalation.account_id)
        .outerjoin(Commitment, Commitment.id == Escalation.commitment_id)
        .where(Escalation.account_id.in_(ids), Escalation.state != EscalationState.RESOLVED)
        .order_by(Escalation.opened_at, Escalation.id)
    ).all()
    return [
        OpenEpisode(
            account=names[e.account_id],
            kind=e.kind,
            side=e.side,
            commitment_id=e.commitment_id,
            action=action,
            opened_at=e.opened_at,
            level=e.level,
            acknowledged_by=e.acknowledged_by if e.state is EscalationState.ACKNOWLEDGED else None,
            champion_user_id=champion,
        )
        for e, action, champion in rows
    ]


def _awaiting_agreements(session: Session, ids: list[int]) -> list[AwaitingAgreement]:
    """The current plan version, posted, and not agreed to: unanswered or sent back for discussion."""
    rows = session.execute(
        select(Agreement, Account.name)
        .join(Account, Account.id == Agreement.account_id)
        .where(
            Agreement.account_id.in_(ids),
            Agreement.version == Account.plan_version,
            Agreement.message_ts.is_not(None),
            or_(Agreement.response.is_(None), Agreement.response == "discuss"),
        )
        .order_by(Agreement.posted_at)
    ).all()
    return [
        AwaitingAgreement(
            account=name, version=a.version, posted_at=a.posted_at, discuss=a.response == "discuss"
        )
        for a, name in rows
    ]


def _silent_commitments(
    session: Session, ids: list[int], names: dict[int, str], *, start: datetime, end: datetime
) -> list[SilentCommitment]:
    """Active or paused commitments that existed before the period and had no check-in sent in it."""
    in_period = (CheckIn.scheduled_at >= start) & (CheckIn.scheduled_at < end)
    tracked = func.sum(case((in_period & CheckIn.state.in_(TRACKED), 1), else_=0))
    undelivered = func.sum(case((in_period & CheckIn.state.in_(UNDELIVERED), 1), else_=0))
    described = (
        Commitment.id,
        Commitment.account_id,
        Commitment.side,
        Person.user_id,
        Commitment.action,
        Commitment.status,
        Commitment.agreed_at,
        Commitment.paused_until,
        Commitment.next_checkin_at,
        Commitment.due_on,
    )
    rows = session.execute(
        select(*described, undelivered)
        .join(Person, Person.id == Commitment.owner_id)
        .outerjoin(CheckIn, CheckIn.commitment_id == Commitment.id)
        .where(
            Commitment.account_id.in_(ids),
            Commitment.status.in_((CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)),
            Commitment.created_at < start,
        )
        .group_by(*described)
        .having(func.coalesce(tracked, 0) == 0)
        .order_by(Commitment.account_id, Commitment.id)
    ).all()
    silent = []
    for cid, account_id, side, owner, action, status, agreed_at, paused_until, next_at, due_on, lost in rows:
        if side is Side.CUSTOMER and agreed_at is None:
            reason = "awaiting the champion's agreement"
        elif status is CommitmentStatus.PAUSED or (paused_until is not None and paused_until > start):
            reason = "paused"
        elif lost:
            reason = f"{lost} check-in{'s' if lost != 1 else ''} not delivered"
        elif due_on is not None:
            reason = f"due {due_on:%d %b}"
        elif next_at is not None and next_at >= end:
            reason = f"next check-in {next_at:%d %b}"
        else:
            reason = "no check-in scheduled"
        silent.append(
            SilentCommitment(
                account=names[account_id],
                commitment_id=cid,
                side=side,
                owner_user_id=owner,
                action=action,
                reason=reason,
            )
        )
    return silent


def _patterns(
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
