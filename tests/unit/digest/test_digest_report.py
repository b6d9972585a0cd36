"""The digest's figures over a quarter of history: kept-rates per side, trends, ordering, patterns."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.digest.message import digest_blocks, digest_csv, digest_text
from bot.digest.report import DigestReport, build_digest
from bot.digest.scorecard import KeptRate
from bot.digest.settings import DigestSchedule
from models import (
    Account,
    Agreement,
    Autopsy,
    CheckIn,
    CheckInState,
    Commitment,
    Escalation,
    EscalationState,
    Side,
)
from tests.factories import VENDOR_TEAM, add_history, make_account, make_commitment

END = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday 09:00 UTC: the default digest instant
NEWEST = datetime(2027, 2, 22, 10, 0, tzinfo=UTC)  # the Monday check-in of the digest's week
CREATED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ACME_CUSTOMER = ["done", "not_yet", "none", "done", "done"] + ["done"] * 7 + ["blocked", "not_yet"]


def _escalation(account_id: int, *, kind: str, side: Side, opened: datetime, **extra: object) -> Escalation:
    return Escalation(
        team_id=VENDOR_TEAM,
        account_id=account_id,
        commitment_id=extra.pop("commitment_id", None),
        side=side,
        kind=kind,
        episode_key=f"{extra.pop('key', 'account')}:{kind}",
        level=1,
        state=extra.pop("state", EscalationState.OPEN),
        opened_at=opened,
        **extra,
    )


@pytest.fixture
def quarter(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Four accounts with thirteen weeks and more of history, as described in each assertion below."""
    with freeze_time(CREATED):
        ids = {
            name: make_account(sessions, now=CREATED, name=name)
            for name in ("Acme", "Globex", "Hooli", "Initech")
        }

        def commit(account: str, side: Side) -> int:
            owner = "U0CHAMP" if side is Side.CUSTOMER else "U0ENG"
            return make_commitment(sessions, account_id=ids[account], now=CREATED, owner=owner, side=side)

        acme_customer = commit("Acme", Side.CUSTOMER)
        add_history(sessions, commitment_id=acme_customer, newest=NEWEST, outcomes=list(ACME_CUSTOMER))
        add_history(sessions, commitment_id=commit("Acme", Side.VENDOR), newest=NEWEST, outcomes=["done"] * 5)
        add_history(
            sessions,
            commitment_id=commit("Globex", Side.CUSTOMER),
            newest=NEWEST,
            outcomes=["none", "done", "done", "partly", "done", "skipped"],
        )
        add_history(
            sessions,
            commitment_id=commit("Globex", Side.VENDOR),
            newest=NEWEST,
            outcomes=["partly", "done", "blocked", "done", "done"],
        )
        pending = commit("Globex", Side.CUSTOMER)
        add_history(sessions, commitment_id=commit("Hooli", Side.CUSTOMER), newest=NEWEST, outcomes=["done"])
        add_history(
            sessions, commitment_id=commit("Hooli", Side.CUSTOMER), newest=NEWEST, outcomes=["not_yet"]
        )
        add_history(
            sessions,
            commitment_id=commit("Initech", Side.CUSTOMER),
            newest=NEWEST,
            outcomes=["done", "skipped"],
        )
    with sessions.begin() as session:
        session.get_one(Account, ids["Initech"]).at_risk = True
        for commitment in session.get_one(Account, ids["Globex"]).commitments:
            if commitment.id == pending:
                commitment.agreed_at = None  # the champion has not agreed to it yet
        session.add_all(
            [
                _escalation(
                    ids["Acme"],
                    kind="customer_slip",
                    side=Side.CUSTOMER,
                    opened=END - timedelta(days=3, hours=2),
                    commitment_id=acme_customer,
                    key=acme_customer,
                    state=EscalationState.ACKNOWLEDGED,
                    acknowledged_by="U0CSM",
                ),
                _escalation(
                    ids["Initech"],
                    kind="champion_unresponsive",
                    side=Side.CUSTOMER,
                    opened=END - timedelta(days=5),
                ),
                _escalation(
                    ids["Globex"],
                    kind="vendor_overdue",
                    side=Side.VENDOR,
                    opened=END - timedelta(days=20),
                    state=EscalationState.RESOLVED,
                ),
                Agreement(
                    team_id=VENDOR_TEAM,
                    account_id=ids["Hooli"],
                    version=1,
                    plan="…",
                    posted_at=END - timedelta(days=4),
                    message_ts="1.000001",
                ),
            ]
        )
        for account, days, causes in (
            ("Initech", 30, [("onboarding", "vendor"), ("customer_capacity", "customer")]),
            ("Globex", 60, [("onboarding", "vendor")]),
            ("Acme", 120, [("product_flaw", "vendor")]),  # before the quarter: not counted
        ):
            session.add(
                Autopsy(
                    team_id=VENDOR_TEAM,
                    account_id=ids[account],
                    causes=json.dumps([{"cause": c, "side": s} for c, s in causes]),
                    corrective_commitment_ids="",
                    created_by="U0CSM",
                    created_at=END - timedelta(days=days),
                )
            )
    ids["pending"] = pending
    return ids


def _build(sessions: sessionmaker[Session], names: list[str] | None = None) -> DigestReport:
    with sessions() as session:
        query = select(Account).order_by(Account.id)
        if names is not None:
            query = query.where(Account.name.in_(names))
        accounts = list(session.scalars(query))
        return build_digest(session, accounts, schedule=DigestSchedule(), period_end=END)


def _scores(report: DigestReport) -> dict[str, tuple[KeptRate, str, KeptRate, str]]:
    return {
        a.name: (a.customer.week, a.customer.trend, a.vendor.week, a.vendor.trend) for a in report.accounts
    }


def test_kept_rates_per_side_this_week_with_the_trend_against_the_four_weeks_before(
    sessions: sessionmaker[Session], quarter: dict[str, int]
) -> None:
    report = _build(sessions)
    scores = _scores(report)
    # Acme's customer: Done this week; 2 of 4 before (Not yet, no response, Done, Done) → up.
    assert scores["Acme"] == (KeptRate(1, 1), "↑", KeptRate(1, 1), "→")
    assert report.accounts[1].customer.before == KeptRate(2, 4)
    # Globex's customer: no response this week against 3.5 of 4; the vendor: Partly against 3 of 4.
    assert scores["Globex"] == (KeptRate(0, 1), "↓", KeptRate(0.5, 1), "↓")
    # Hooli: one Done and one Not yet, nothing earlier to compare with; no vendor commitments.
    assert scores["Hooli"] == (KeptRate(1, 2), "new", KeptRate(0, 0), "")
    # Initech's skipped occurrence (the bot was down) counts for no one.
    assert scores["Initech"] == (KeptRate(1, 1), "new", KeptRate(0, 0), "")


def test_portfolio_totals_and_trends_per_side(
    sessions: sessionmaker[Session], quarter: dict[str, int]
) -> None:
    report = _build(sessions)
    customer, vendor = report.portfolio[Side.CUSTOMER], report.portfolio[Side.VENDOR]
    assert (customer.week, customer.before, customer.trend) == (KeptRate(3, 5, 2), KeptRate(5.5, 8, 2), "↓")
    assert (vendor.week, vendor.before, vendor.trend) == (KeptRate(1.5, 2, 0), KeptRate(7, 8, 1), "↓")


def test_accounts_needing_attention_come_first(
    sessions: sessionmaker[Session], quarter: dict[str, int]
) -> None:
    report = _build(sessions)
    # At risk first; then open escalations (Acme's acknowledged one still counts); then the lower
    # kept-rate of either side this week (Globex 0 % before Hooli 50 %).
    assert [a.name for a in report.accounts] == ["Initech", "Acme", "Globex", "Hooli"]
    assert [a.open_escalations for a in report.accounts] == [1, 1, 0, 0]


def test_open_escalations_risk_unresponsive_champions_agreements_and_silent_commitments(
    sessions: sessionmaker[Session], quarter: dict[str, int]
) -> None:
    report = _build(sessions)
    assert [(e.account, e.kind, e.age_days(END), e.acknowledged_by) for e in report.episodes] == [
        ("Initech", "champion_unresponsive", 5, None),
        ("Acme", "customer_slip", 3, "U0CSM"),
    ]
    assert [a.name for a in report.at_risk] == ["Initech"]
    assert [e.account for e in report.champions_unresponsive] == ["Initech"]
    assert [(a.account, a.version, a.discuss) for a in report.awaiting] == [("Hooli", 1, False)]
    assert [(c.account, c.commitment_id, c.reason) for c in report.silent] == [
        ("Globex", quarter["pending"], "awaiting the champion's agreement")
    ]


def test_patterns_count_root_causes_per_account_and_misses_per_side_over_the_quarter(
    sessions: sessionmaker[Session], quarter: dict[str, int]
) -> None:
    patterns = _build(sessions).patterns
    assert patterns.autopsies == 2
    assert [(c.cause, c.side, c.accounts) for c in patterns.causes] == [
        ("Onboarding rushed or missing", Side.VENDOR, 2),
        ("Customer capacity or sponsor change", Side.CUSTOMER, 1),
    ]
    # Customer: Acme's Not yet, no response and the Blocked of week 12 (week 13 is outside the quarter),
    # Globex's no response, Hooli's Not yet. Vendor: Globex's Blocked. Partly is not a miss.
    assert patterns.misses == {Side.CUSTOMER: 5, Side.VENDOR: 1}
    assert round(patterns.miss_share(Side.CUSTOMER)) == 83


def test_twelve_weeks_of_portfolio_rates_for_the_chart(
    sessions: sessionmaker[Session], quarter: dict[str, int]
) -> None:
    weekly = _build(sessions).weekly
    assert len(weekly.week_ends) == len(weekly.customer) == len(weekly.vendor) == 12
    assert weekly.week_ends[-1] == END.date() and weekly.week_ends[0] == (END - timedelta(weeks=11)).date()
    assert weekly.customer[-1] == KeptRate(3, 5, missed=2)
    assert weekly.customer[-2] == KeptRate(1, 2, missed=1)  # Acme Not yet, Globex Done; Initech skipped
    assert weekly.vendor[-3] == KeptRate(1, 2, missed=1)  # Acme Done, Globex Blocked
    assert weekly.vendor[0] == KeptRate(0, 0)


def test_the_post_states_the_figures_and_the_table_lists_every_account(
    sessions: sessionmaker[Session], quarter: dict[str, int]
) -> None:
    report = _build(sessions)
    blocks = digest_blocks(report, now=END, heading="Weekly accountability digest")
    shown = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "Customer side kept 3 of 5 (60 %) ↓" in shown
    assert "Vendor side kept 1.5 of 2 (75 %) ↓" in shown
    assert "*Globex*\n    Customer kept 0 of 1 (0 %) ↓ · Vendor kept 0.5 of 1 (50 %) ↓" in shown
    assert "Acme — Customer commitment slipping" in shown and "3 days, acknowledged by" in shown
    assert "Initech — Champion unresponsive" in shown and "*not acknowledged*" in shown
    assert "Misses by side: customer 83 % (5) · vendor 17 % (1)" in shown
    assert "Root causes named in 2 autopsies (accounts naming each):" in shown
    assert "• Onboarding rushed or missing (vendor) — 2" in shown
    assert "Hooli — version 1, posted 4 days ago" in shown
    assert f"Globex #{quarter['pending']} (customer, U0CHAMP) — awaiting the champion's agreement" in shown
    assert digest_text(report, heading="Digest").startswith("Digest: 4 accounts. Customer side kept 3 of 5")
    table = digest_csv(report).splitlines()
    assert table[0].startswith("account,csm,at_risk,open_escalations,customer_kept")
    assert table[1:] == [
        "Initech,U0CSM,yes,1,1,1,100.0,,new,0,0,,,",
        "Acme,U0CSM,no,1,1,1,100.0,50.0,↑,1,1,100.0,100.0,→",
        "Globex,U0CSM,no,0,0,1,0.0,87.5,↓,0.5,1,50.0,75.0,↓",
        "Hooli,U0CSM,no,0,1,2,50.0,,new,0,0,,,",
    ]


@pytest.fixture
def query_counter(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    yield statements
    event.remove(engine, "before_cursor_execute", count)


def test_the_number_of_queries_does_not_grow_with_the_number_of_accounts(
    sessions: sessionmaker[Session], quarter: dict[str, int], query_counter: list[str]
) -> None:
    with sessions() as session:
        accounts = list(session.scalars(select(Account)))
        query_counter.clear()
        build_digest(session, accounts[:1], schedule=DigestSchedule(), period_end=END)
        one = len(query_counter)
        query_counter.clear()
        build_digest(session, accounts, schedule=DigestSchedule(), period_end=END)
        assert len(query_counter) == one


def test_the_digest_hour_follows_the_wall_clock_of_its_zone_across_daylight_saving() -> None:
    schedule = DigestSchedule(weekday=0, at=time(9, 0), tz="America/New_York")
    # New York left daylight saving on Sunday 1 Nov 2026: Monday 09:00 is 14:00 UTC, a week before 13:00.
    monday = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert schedule.latest_due(monday + timedelta(minutes=30)) == monday
    assert schedule.latest_due(monday - timedelta(minutes=1)) == datetime(2026, 10, 26, 13, 0, tzinfo=UTC)
    start, end = schedule.period_before(monday)
    assert (start, end) == (datetime(2026, 10, 26, 13, 0, tzinfo=UTC), monday)
    assert end - start == timedelta(hours=169)


def test_a_friday_evening_digest_in_tokyo_is_due_on_friday_there() -> None:
    schedule = DigestSchedule(weekday=4, at=time(17, 30), tz="Asia/Tokyo")
    # Friday 27 Nov 2026 17:30 in Tokyo is 08:30 UTC the same day.
    assert schedule.latest_due(datetime(2026, 11, 29, 0, 0, tzinfo=UTC)) == datetime(
        2026, 11, 27, 8, 30, tzinfo=UTC
    )


def test_a_commitment_whose_owner_was_away_all_week_is_said_to_be_away_not_undelivered(
    sessions: sessionmaker[Session],
) -> None:
    account_id = make_account(sessions, now=CREATED, name="Umbrella")
    away = make_commitment(sessions, account_id=account_id, now=CREATED)
    down = make_commitment(sessions, account_id=account_id, now=CREATED, every="every tuesday")
    with sessions.begin() as session:
        for commitment_id, reason, at in ((away, "away", NEWEST), (down, "down", NEWEST + timedelta(days=1))):
            session.add(
                CheckIn(
                    team_id=VENDOR_TEAM,
                    commitment_id=commitment_id,
                    scheduled_at=at,
                    state=CheckInState.SKIPPED,
                    skip_reason=reason,
                    evaluated=True,
                )
            )
    report = _build(sessions, ["Umbrella"])
    assert [(c.commitment_id, c.reason) for c in report.silent] == [
        (away, "owner away (1 check-in skipped)"),
        (down, "1 check-in not delivered"),
    ]


def test_a_commitment_waiting_for_a_new_owner_is_said_so_in_the_digest(
    sessions: sessionmaker[Session],
) -> None:
    account_id = make_account(sessions, now=CREATED, name="Umbrella")
    orphaned = make_commitment(sessions, account_id=account_id, now=CREATED)
    with sessions.begin() as session:
        commitment = session.get_one(Commitment, orphaned)
        commitment.needs_owner_since = NEWEST - timedelta(days=3)
        session.add(
            CheckIn(
                team_id=VENDOR_TEAM,
                commitment_id=orphaned,
                scheduled_at=NEWEST - timedelta(days=4),
                state=CheckInState.SKIPPED,
                skip_reason="no_owner",
                evaluated=True,
            )
        )
    report = _build(sessions, ["Umbrella"])
    assert [(c.commitment_id, c.reason) for c in report.silent] == [
        (orphaned, "needs a new owner since 19 Feb")
    ]
