"""How long one clock pass takes to create and send N check-ins, on SQLite and (if reachable) PostgreSQL.

Prints figures; asserts nothing. The baseline, measured in the same run, is a steady-state idle pass over the same
N commitments with nothing due, so the ratio shows what sending costs over a pass with nothing to do.
The first pass, which examines every commitment once to learn when each is next due, is shown too.
Run: python bench/clock_pass.py [--commitments 200] [--smoke]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models
from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway, make_client
from models import Account, Commitment, CommitmentStatus, Person, Side
from models.db import make_engine, session_factory, upgrade
from slack_emulator import SlackEmulator

CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FIRST_AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # every commitment examined, bounds computed
IDLE_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # steady state: nothing due, nothing examined
DUE_AT = datetime(2026, 11, 30, 10, 5, tzinfo=UTC)


def seed(url: str, n: int) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        models.Base.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine)
    with session_factory(engine).begin() as session:
        account = Account(
            team_id="T0", name="Bench", name_key="bench", shared_channel_id="C0S", escalation_channel_id="C0E",
            csm_user_id="U0CSM", champion_user_id="U0C0", created_by="U0CSM", created_at=CREATED,
        )  # fmt: skip
        session.add(account)
        for i in range(n):
            person = Person(team_id="T0", user_id=f"U{i:06d}", side=Side.CUSTOMER, tz="Europe/London")
            session.add(person)
            session.flush()
            session.add(
                Commitment(
                    team_id="T0", account=account, side=Side.CUSTOMER, owner_id=person.id, action="Log bookings",
                    rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=CREATED.date(), local_time=clock_time(10),
                    schedule_text="every Monday at 10:00", status=CommitmentStatus.ACTIVE,
                    scheduled_through=CREATED, agreed_at=CREATED, created_by="U0CSM", created_at=CREATED,
                )
            )  # fmt: skip
    engine.dispose()


def measure(url: str, n: int, emulator: SlackEmulator) -> tuple[float, float, float]:
    for i in range(n):
        emulator.add_user(f"U{i:06d}", team_id="T0CUST", tz="Europe/London")
    seed(url, n)
    engine = make_engine(url)
    sessions = session_factory(engine)
    gateway = SlackGateway(make_client(token="xoxb-bench", api_url=emulator.api_url))
    started = time.perf_counter()
    run_due_work(sessions, gateway, now=FIRST_AT)
    first = time.perf_counter() - started
    started = time.perf_counter()
    run_due_work(sessions, gateway, now=IDLE_AT)
    idle = time.perf_counter() - started
    started = time.perf_counter()
    report = run_due_work(sessions, gateway, now=DUE_AT)
    busy = time.perf_counter() - started
    assert report.sent == n, report  # a bench that sent nothing would measure nothing
    engine.dispose()
    return first, idle, busy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commitments", type=int, default=200)
    parser.add_argument("--smoke", action="store_true", help="a tiny size, for CI")
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/test")
    args = parser.parse_args()
    n = 10 if args.smoke else args.commitments
    failures = 0
    urls = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/bench.db", "postgresql": args.postgres}
    with SlackEmulator(token="xoxb-bench", team_id="T0").start() as emulator:
        for name, url in urls.items():
            try:
                first, idle, busy = measure(url, n, emulator)
            except Exception as exc:  # report and go on: a bench must not hide the other backend
                print(f"{name:>10}: not measured ({type(exc).__name__}: {exc})")
                failures += 1
                continue
            per = busy / n * 1000
            print(
                f"{name:>10}: first pass {first * 1000:7.1f} ms | idle pass {idle * 1000:6.1f} ms | pass sending {n} check-ins {busy * 1000:8.1f} ms "
                f"({per:.2f} ms each) | ratio to idle {busy / idle if idle else float('nan'):.1f}x"
            )
            emulator.reset()
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
