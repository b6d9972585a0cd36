"""Check-ins sent per second by one, two and three clock processes over the same N due check-ins, on
PostgreSQL (clock processes share due work only there: SELECT … FOR UPDATE SKIP LOCKED).

Each run re-creates the schema in a database of its own, seeds N due check-ins (one per person, so one
message each), starts K `python -m scheduler tick --at …` processes at once against the Slack emulator,
and reads the rate from Slack's side: check-ins carried by the chat.postMessage calls the emulator
received, over the time from the first to the last of them (process start-up is shown apart). The
emulator holds each chat.postMessage answer back by --latency-ms, as Slack's own round trip does.
Ratios are to one clock measured in the same run. Prints figures; asserts only that every check-in
went out once.

The database is BENCH_DATABASE_URL, by default `accountability_bench` on postgresql://root@127.0.0.1:5432,
created if missing; its tables are dropped and re-created, so the bench refuses a database named `test`.
An unreachable PostgreSQL is reported and the bench exits 0.
Run: python bench/clock_fanout.py [--checkins 600] [--latency-ms 50] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import models
from bot.checkins.sending import CHECKIN_EVENT
from models import Account, CheckIn, CheckInState, Commitment, CommitmentStatus, Person, Side
from models.db import make_engine, normalise_url, session_factory, upgrade
from slack_emulator import SlackEmulator

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql://root@127.0.0.1:5432"
DEFAULT_DATABASE = "accountability_bench"
TEAM, TOKEN = "T0BENCH", "xoxb-bench"
CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
PASS_AT = DUE + timedelta(minutes=1)


def database_url() -> str:
    """BENCH_DATABASE_URL, or the dedicated bench database, created on first use."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    admin = create_engine(normalise_url(f"{SERVER}/postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": DEFAULT_DATABASE}
            ).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{DEFAULT_DATABASE}"'))
    finally:
        admin.dispose()
    return f"{SERVER}/{DEFAULT_DATABASE}"


def fresh_schema(url: str) -> None:
    """Dropped and migrated once per bench run; each measurement then starts from empty tables."""
    engine = make_engine(url)
    with engine.begin() as connection:
        models.Base.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine)
    engine.dispose()


def seed(url: str, n: int, emulator: SlackEmulator) -> None:
    """Empty tables, then N people with one check-in each, due at DUE and already created."""
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in reversed(models.Base.metadata.sorted_tables):
            connection.execute(table.delete())
    users = [f"UB{i:06d}" for i in range(n)]
    for user in users:
        emulator.add_user(user, team_id="T0BENCHCUST", tz="Europe/London")
    with session_factory(engine).begin() as session:
        account = Account(
            team_id=TEAM, name="Bench", name_key="bench", shared_channel_id="C0S", escalation_channel_id="C0E",
            csm_user_id="U0CSM", champion_user_id=users[0], created_by="U0CSM", created_at=CREATED,
        )  # fmt: skip
        session.add(account)
        session.flush()
        people = session.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [{"team_id": TEAM, "user_id": u, "side": Side.CUSTOMER, "tz": "Europe/London"} for u in users],
        ).all()
        commitments = session.scalars(
            insert(Commitment).returning(Commitment.id, sort_by_parameter_order=True),
            [
                {
                    "team_id": TEAM,
                    "account_id": account.id,
                    "side": Side.CUSTOMER,
                    "owner_id": person,
                    "action": "Log bookings",
                    "rrule": "FREQ=WEEKLY;BYDAY=MO",
                    "starts_on": CREATED.date(),
                    "local_time": clock_time(10),
                    "schedule_text": "every Monday at 10:00",
                    "status": CommitmentStatus.ACTIVE,
                    "scheduled_through": DUE,
                    "next_checkin_at": DUE + timedelta(days=7),
                    "agreed_at": CREATED,
                    "created_by": "U0CSM",
                    "created_at": CREATED,
                }
                for person in people
            ],
        ).all()
        session.execute(
            insert(CheckIn),
            [
                {"team_id": TEAM, "commitment_id": c, "scheduled_at": DUE, "state": CheckInState.DUE}
                for c in commitments
            ],
        )
    engine.dispose()


def checkin_ids(params: dict[str, object]) -> list[str]:
    raw = params.get("metadata")
    metadata = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(metadata, dict) or metadata.get("event_type") != CHECKIN_EVENT:
        return []
    return [str(i) for i in metadata["event_payload"]["checkin_ids"]]


def run(url: str, *, n: int, clocks: int, latency: float) -> tuple[float, float]:
    """(check-ins per second while sending, seconds from start to the last process's exit)."""
    with SlackEmulator(token=TOKEN, team_id=TEAM).start() as emulator:
        seed(url, n, emulator)
        emulator.delay("chat.postMessage", latency)
        env = {**os.environ, "DATABASE_URL": url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": emulator.api_url}
        started = time.monotonic()
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "scheduler", "tick", "--at", PASS_AT.isoformat()],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(clocks)
        ]
        for process in processes:
            _, stderr = process.communicate(timeout=600)
            if process.returncode != 0:
                raise RuntimeError(f"a clock failed: {stderr[-1000:]}")
        wall = time.monotonic() - started
        posts = emulator.calls_to("chat.postMessage")
    sent = Counter(i for call in posts for i in checkin_ids(call.params))
    if len(sent) != n or any(count != 1 for count in sent.values()):
        raise RuntimeError(f"expected {n} check-ins sent once each, got {len(sent)} ({sent.most_common(1)})")
    # The last answer comes back `latency` after the last request arrived.
    sending = max(call.received_at for call in posts) - min(call.received_at for call in posts) + latency
    return n / sending, wall


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checkins", type=int, default=600)
    parser.add_argument("--latency-ms", type=int, default=50, help="Slack's round trip per chat.postMessage")
    parser.add_argument("--smoke", action="store_true", help="a tiny size, for CI")
    args = parser.parse_args()
    n, latency = (20, 0.01) if args.smoke else (args.checkins, args.latency_ms / 1000)
    try:
        url = database_url()
        if make_url(normalise_url(url)).database == "test":
            print("clock fanout: refusing BENCH_DATABASE_URL naming `test`: the bench drops its tables")
            return 1
        with make_engine(url).connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        print(f"clock fanout: PostgreSQL unreachable, not measured ({str(exc).splitlines()[0]})")
        return 0
    print(
        f"clock fanout: {n} due check-ins, one per person; Slack answers chat.postMessage in {latency * 1000:.0f} ms"
    )
    fresh_schema(url)
    one = 0.0
    for clocks in (1, 2, 3):
        rate, wall = run(url, n=n, clocks=clocks, latency=latency)
        one = one or rate
        print(
            f"  {clocks} clock{'s' if clocks > 1 else ' '}: {rate:7.1f} check-ins/s while sending "
            f"({rate / one:.2f}x one clock) | {wall:5.1f} s from start to the last exit"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
