"""How long building the weekly digest takes, and how many queries it makes, for N accounts with a year
of weekly check-ins on each side, on SQLite and (if reachable) PostgreSQL.

Prints figures; asserts nothing about speed. The baseline, measured in the same run on the same
database, is the digest of a tenth of the accounts: the query count should be the same for both (it
must not grow with the number of accounts) and the time ratio shows how the work scales with the rows.
Rendering the post and the CSV, and drawing the chart, are timed separately.
Run: python bench/digest.py [--accounts 1000] [--weeks 52] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, event, insert, select

import models
from bot.digest.chart import chart_png
from bot.digest.message import digest_blocks, digest_csv
from bot.digest.report import build_digest
from bot.digest.settings import DigestSchedule
from models import (
    Account,
    Answer,
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
from models.db import make_engine, session_factory, upgrade

END = datetime(2027, 11, 22, 9, 0, tzinfo=UTC)  # a Monday 09:00 UTC
OUTCOMES: list[tuple[CheckInState, Answer | None]] = [
    (CheckInState.ANSWERED, Answer.DONE),
    (CheckInState.ANSWERED, Answer.DONE),
    (CheckInState.ANSWERED, Answer.DONE),
    (CheckInState.ANSWERED, Answer.PARTLY),
    (CheckInState.ANSWERED, Answer.NOT_YET),
    (CheckInState.ANSWERED, Answer.BLOCKED),
    (CheckInState.NO_RESPONSE, None),
    (CheckInState.SKIPPED, None),
]


def seed(url: str, accounts: int, weeks: int) -> int:
    """Returns the number of check-ins written."""
    engine = make_engine(url)
    with engine.begin() as connection:
        models.Base.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine)
    rng = random.Random(7)
    created = END - timedelta(weeks=weeks + 1)
    checkins: list[dict[str, Any]] = []
    with session_factory(engine).begin() as session:
        vendor = Person(team_id="T0", user_id="U0ENG", side=Side.VENDOR, tz="Europe/Berlin")
        session.add(vendor)
        for i in range(accounts):
            champion = Person(team_id="T0", user_id=f"U{i:06d}", side=Side.CUSTOMER, tz="Europe/London")
            account = Account(
                team_id="T0", name=f"Account {i:04d}", name_key=f"account {i:04d}", shared_channel_id="C0S",
                escalation_channel_id="C0E", digest_channel_id="C0D", csm_user_id="U0CSM",
                champion_user_id=champion.user_id, at_risk=i % 17 == 0, created_by="U0CSM", created_at=created,
            )  # fmt: skip
            session.add_all([champion, account])
            session.flush()
            for side, owner in ((Side.CUSTOMER, champion), (Side.VENDOR, vendor)):
                commitment = Commitment(
                    team_id="T0", account_id=account.id, side=side, owner_id=owner.id, action="Weekly step",
                    rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=created.date(), local_time=clock_time(10),
                    schedule_text="every Monday at 10:00", status=CommitmentStatus.ACTIVE, agreed_at=created,
                    created_by="U0CSM", created_at=created,
                )  # fmt: skip
                session.add(commitment)
                session.flush()
                for week in range(weeks):
                    state, answer = rng.choice(OUTCOMES)
                    at = END - timedelta(weeks=week + 1) + timedelta(hours=1)
                    checkins.append(
                        {"team_id": "T0", "commitment_id": commitment.id, "scheduled_at": at, "state": state,
                         "answer": answer, "evaluated": True, "send_attempts": 1, "reminders_sent": 0,
                         "snoozes": 0}
                    )  # fmt: skip
            if i % 5 == 0:
                session.add(
                    Escalation(
                        team_id="T0", account_id=account.id, side=Side.CUSTOMER, kind="customer_slip",
                        episode_key="x:customer_slip", state=EscalationState.OPEN, opened_at=END - timedelta(days=i % 9),
                    )
                )  # fmt: skip
            if i % 7 == 0:
                session.add(
                    Autopsy(
                        team_id="T0", account_id=account.id, causes=json.dumps([{"cause": "onboarding", "side": "vendor"}]),
                        corrective_commitment_ids="", created_by="U0CSM", created_at=END - timedelta(days=i % 120),
                    )
                )  # fmt: skip
        for start in range(0, len(checkins), 5000):
            session.execute(insert(CheckIn), checkins[start : start + 5000])
    engine.dispose()
    return len(checkins)


def timed_build(engine: Engine, accounts: int) -> tuple[float, int, Any]:
    sessions = session_factory(engine)
    queries: list[str] = []

    def count(*args: Any) -> None:
        queries.append(str(args[2]))

    with sessions() as session:
        chosen = list(session.scalars(select(Account).order_by(Account.id).limit(accounts)))
        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        report = build_digest(session, chosen, schedule=DigestSchedule(), period_end=END)
        elapsed = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
    return elapsed, len(queries), report


def measure(url: str, accounts: int, weeks: int) -> str:
    rows = seed(url, accounts, weeks)
    engine = make_engine(url)
    timed_build(engine, 1)  # warm the connection pool and the statement caches for both runs alike
    base_time, base_queries, _ = timed_build(engine, max(1, accounts // 10))
    full_time, full_queries, report = timed_build(engine, accounts)
    started = time.perf_counter()
    blocks = digest_blocks(report, now=END, heading="Weekly accountability digest")
    table = digest_csv(report)
    render = time.perf_counter() - started
    started = time.perf_counter()
    png = chart_png(report.weekly, title="bench")
    chart = time.perf_counter() - started
    engine.dispose()
    return (
        f"{accounts} accounts, {rows} check-ins: build {full_time * 1000:7.1f} ms in {full_queries} queries | "
        f"baseline {max(1, accounts // 10)} accounts {base_time * 1000:6.1f} ms in {base_queries} queries | "
        f"ratio {full_time / base_time if base_time else float('nan'):.1f}x time, "
        f"{full_queries / base_queries if base_queries else float('nan'):.1f}x queries | "
        f"render {render * 1000:.1f} ms ({len(blocks)} blocks, {len(table.splitlines())} CSV lines) | "
        f"chart {chart * 1000:.0f} ms ({len(png)} bytes)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--smoke", action="store_true", help="a tiny size, for CI")
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/test")
    args = parser.parse_args()
    accounts, weeks = (30, 14) if args.smoke else (args.accounts, args.weeks)
    failures = 0
    urls = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/bench.db", "postgresql": args.postgres}
    for name, url in urls.items():
        try:
            print(f"{name:>10}: {measure(url, accounts, weeks)}")
        except Exception as exc:  # report and go on: a bench must not hide the other backend
            print(f"{name:>10}: not measured ({type(exc).__name__}: {exc})")
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
