"""What a manager's weekly digest says, assembled from its figures (bot/digest/figures.py) and what needs
attention (bot/digest/attention.py) in a fixed number of queries, whatever the number of accounts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dependencies.links import Chain, open_chains
from bot.digest.attention import (
    AwaitingAgreement,
    OpenEpisode,
    SerialRenegotiation,
    SilentCommitment,
    Undeliverable,
    UnsureAnswer,
    awaiting_agreements,
    open_episodes,
    renegotiations_by_side,
    serial_renegotiations,
    silent_commitments,
    undeliverable_people,
    unsure_answers,
)
from bot.digest.figures import (
    CHART_WEEKS,
    EMPTY_SCORE,
    QUARTER_WEEKS,
    TREND_WEEKS,
    AccountScore,
    Patterns,
    SideScore,
    WeeklyRates,
    patterns,
    rates_by_account,
    sum_rates,
    week_boundaries,
    weekly_portfolio,
)
from bot.digest.reviews import AccountReview, week_reviews
from bot.digest.settings import DigestSchedule
from bot.escalation.risk import Repeat, RiskCleared, cleared_between, repeats
from bot.escalation.signoff import WaitingAutopsy, incomplete_autopsies
from models import Account, Person, Side


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
    # People whose check-ins could be delivered nowhere in the period (bot not in the channel, …).
    undeliverable: list[Undeliverable] = field(default_factory=list)
    # The weekly reviews that fell in the period, per account, and the "Not sure" answers among them.
    reviews: list[AccountReview] = field(default_factory=list)
    unsure: list[UnsureAnswer] = field(default_factory=list)
    # Open commitments waiting on another ("#12 waits on #7"), the held-up ones first.
    chains: list[Chain] = field(default_factory=list)
    # Commitments whose date was moved more than twice in twelve weeks ("moved 3 times").
    serial: list[SerialRenegotiation] = field(default_factory=list)
    # The at-risk lifecycle: marks cleared in the period (when, by whom, why), accounts at risk for the
    # third time or more in 180 days, and autopsies still unsigned five working days on.
    risk_cleared: list[RiskCleared] = field(default_factory=list)
    repeats: list[Repeat] = field(default_factory=list)
    unsigned_autopsies: list[WaitingAutopsy] = field(default_factory=list)

    @property
    def at_risk(self) -> list[AccountScore]:
        return [a for a in self.accounts if a.at_risk]

    @property
    def champions_unresponsive(self) -> list[OpenEpisode]:
        return [e for e in self.episodes if e.kind == "champion_unresponsive"]


def build_digest(
    session: Session, accounts: list[Account], *, schedule: DigestSchedule, period_end: datetime
) -> DigestReport:
    ids = [a.id for a in accounts]
    names = {a.id: a.name for a in accounts}
    weeks = week_boundaries(schedule, period_end, QUARTER_WEEKS)
    period_start = weeks[1]
    episodes = open_episodes(session, ids, names)
    weekly_rows = weekly_portfolio(session, ids, weeks)
    silent = silent_commitments(session, ids, names, start=period_start, end=period_end)
    undeliverable = undeliverable_people(session, ids, names, start=period_start, end=period_end)
    chart_weeks = [w.astimezone(schedule.zone).date() for w in weeks[:CHART_WEEKS]]
    reviews = week_reviews(session, ids, names, start=period_start, end=period_end)
    serial = serial_renegotiations(session, ids, names, end=period_end)
    cleared = cleared_between(session, ids, start=period_start, end=period_end)
    unsigned = incomplete_autopsies(session, accounts, at=period_end)
    return DigestReport(
        period_start=period_start,
        period_end=period_end,
        tz=schedule.tz,
        accounts=_scores(session, accounts, weeks=weeks, episodes=episodes),
        portfolio={
            side: SideScore(
                week=weekly_rows[side][0], before=sum_rates(weekly_rows[side][1 : TREND_WEEKS + 1])
            )
            for side in Side
        },
        episodes=episodes,
        awaiting=awaiting_agreements(session, ids),
        silent=silent,
        patterns=replace(
            patterns(session, ids, since=weeks[QUARTER_WEEKS], end=period_end, weekly=weekly_rows),
            renegotiations=renegotiations_by_side(session, ids, since=weeks[QUARTER_WEEKS], end=period_end),
        ),
        weekly=WeeklyRates(
            week_ends=list(reversed(chart_weeks)),
            customer=list(reversed(weekly_rows[Side.CUSTOMER][:CHART_WEEKS])),
            vendor=list(reversed(weekly_rows[Side.VENDOR][:CHART_WEEKS])),
        ),
        people=_display_names(
            session,
            accounts,
            episodes,
            silent,
            undeliverable,
            reviews,
            serial,
            extra={c.by for c in cleared} | {u for a in unsigned for u in a.waiting_on},
        ),
        undeliverable=undeliverable,
        reviews=reviews,
        unsure=unsure_answers(session, ids, names, start=period_start, end=period_end),
        chains=open_chains(session, ids, names, at=period_end),
        serial=serial,
        risk_cleared=cleared,
        repeats=repeats(session, accounts, at=period_end),
        unsigned_autopsies=unsigned,
    )


def _scores(
    session: Session, accounts: list[Account], *, weeks: list[datetime], episodes: list[OpenEpisode]
) -> list[AccountScore]:
    """Each account's two-sided scorecard, in the order a manager should read them."""
    per_account = rates_by_account(session, [a.id for a in accounts], weeks[: TREND_WEEKS + 2])
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
    return sorted(scores, key=lambda s: s.attention)


def _display_names(
    session: Session,
    accounts: list[Account],
    episodes: list[OpenEpisode],
    silent: list[SilentCommitment],
    undeliverable: list[Undeliverable],
    reviews: list[AccountReview],
    serial: list[SerialRenegotiation],
    *,
    extra: set[str],
) -> dict[str, str]:
    wanted = {a.csm_user_id for a in accounts} | {a.champion_user_id for a in accounts} | extra
    wanted |= {answer.user_id for review in reviews for answer in review.answers}
    wanted |= {e.acknowledged_by for e in episodes if e.acknowledged_by}
    wanted |= {c.owner_user_id for c in silent}
    wanted |= {u.user_id for u in undeliverable}
    wanted |= {s.owner_user_id for s in serial}
    team_ids = {a.team_id for a in accounts}
    rows = session.execute(
        select(Person.user_id, Person.display_name).where(
            Person.team_id.in_(team_ids), Person.user_id.in_(wanted)
        )
    ).all()
    return {user_id: name for user_id, name in rows if name}
