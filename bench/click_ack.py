"""Time from a signed button click to its HTTP ack, with 20 concurrent clients, on SQLite and PostgreSQL.

The web process is the production one (gunicorn, as in the Procfile) talking to the local Slack
emulator; clicks are real signed `block_actions` on real open check-ins, so the work after the ack
(answer, diary entry, chat.update) competes for the same process. Prints figures; asserts nothing.
Baseline, measured in the same run at the same concurrency: GET /healthz (one database round trip).
Run: python bench/click_ack.py [--clicks 1000] [--clients 20] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import models  # noqa: E402
from models import Account, CheckIn, CheckInState, Commitment, CommitmentStatus, Person, Side  # noqa: E402
from models.db import make_engine, session_factory, upgrade  # noqa: E402
from slack_emulator import SlackEmulator  # noqa: E402
from slack_emulator.outbound import SlackSender  # noqa: E402

TOKEN, SECRET, TEAM = "xoxb-bench", "bench-secret", "T0BENCH"
CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def seed(url: str, clicks: int) -> list[tuple[int, str]]:
    """One open check-in per click, each owned by its own person: (check-in id, owner)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        models.Base.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(engine)
    out: list[tuple[int, str]] = []
    with session_factory(engine).begin() as session:
        account = Account(
            team_id=TEAM, name="Bench", name_key="bench", shared_channel_id="C0S", escalation_channel_id="C0E",
            csm_user_id="U0CSM", champion_user_id="U0C0", created_by="U0CSM", created_at=CREATED,
        )  # fmt: skip
        session.add(account)
        for i in range(clicks):
            owner = f"U{i:06d}"
            person = Person(team_id=TEAM, user_id=owner, side=Side.CUSTOMER, tz="Europe/London")
            commitment = Commitment(
                team_id=TEAM, account=account, side=Side.CUSTOMER, owner=person, action="Log bookings",
                rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=CREATED.date(), local_time=clock_time(10),
                schedule_text="every Monday at 10:00", status=CommitmentStatus.ACTIVE, agreed_at=CREATED,
                scheduled_through=CREATED, created_by="U0CSM", created_at=CREATED,
            )  # fmt: skip
            checkin = CheckIn(
                team_id=TEAM, commitment=commitment, scheduled_at=CREATED, state=CheckInState.SENT,
                channel_id=f"D{i:06d}", message_ts=f"1700000000.{i:06d}", send_attempts=1, reminders_sent=0,
            )  # fmt: skip
            session.add_all([person, commitment, checkin])
            session.flush()
            out.append((checkin.id, owner))
    engine.dispose()
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(url: str, clicks: int, clients: int, emulator: SlackEmulator) -> tuple[list[float], list[float]]:
    targets = seed(url, clicks)
    for _, owner in targets:
        emulator.add_user(owner, team_id="T0CUST", tz="Europe/London")
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": emulator.api_url, "DATABASE_URL": url}  # fmt: skip
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    server = subprocess.Popen(
        [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "8", "app:wsgi_from_env()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the web process did not start") from None
                time.sleep(0.2)  # waiting for the server to bind
        sender = SlackSender(
            app_url=base, signing_secret=SECRET, team_id=TEAM, response_url=emulator.new_response_url
        )

        def health(_: int) -> float:
            started = time.perf_counter()
            urllib.request.urlopen(f"{base}/healthz", timeout=10).read()
            return time.perf_counter() - started

        def click(target: tuple[int, str]) -> float:
            checkin_id, owner = target
            started = time.perf_counter()
            result = sender.click(action_id="checkin_answer_done", value=str(checkin_id), user_id=owner,
                                  channel_id=f"D{int(owner[1:]):06d}", message_ts="1700000000.000000")  # fmt: skip
            elapsed = time.perf_counter() - started
            if result.status != 200:
                raise RuntimeError(f"click answered {result.status}")
            return elapsed

        with ThreadPoolExecutor(max_workers=clients) as pool:
            baseline = list(pool.map(health, range(clicks)))
            acks = list(pool.map(click, targets))
        emulator.wait_for("chat.update", count=clicks, timeout=120)  # the work after the acks finished too
        return baseline, acks
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clicks", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="a tiny size, for CI")
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/test")
    args = parser.parse_args()
    clicks = 40 if args.smoke else args.clicks
    failures = 0
    urls = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/bench.db", "postgresql": args.postgres}
    with SlackEmulator(token=TOKEN, team_id=TEAM).start() as emulator:
        for name, url in urls.items():
            try:
                baseline, acks = measure(url, clicks, args.clients, emulator)
            except Exception as exc:  # report and go on: one backend's failure must not hide the other
                print(f"{name:>10}: not measured ({type(exc).__name__}: {exc})")
                failures += 1
                continue
            median, p99 = statistics.median(acks) * 1000, percentile(acks, 0.99) * 1000
            base_median, base_p99 = statistics.median(baseline) * 1000, percentile(baseline, 0.99) * 1000
            print(
                f"{name:>10}: click→ack median {median:6.1f} ms, p99 {p99:6.1f} ms | /healthz median "
                f"{base_median:6.1f} ms, p99 {base_p99:6.1f} ms | ratio median {median / base_median:.1f}x "
                f"({clicks} clicks, {args.clients} clients)"
            )
            emulator.reset()
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
