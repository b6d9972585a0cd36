"""Slack failing while check-ins are due, and clocks dying or racing: nothing lost, nothing doubled.

Each scenario seeds due check-ins through the real models, drives the real clock (in this process,
or as `python -m scheduler tick` processes), and counts what the emulator holds: every check-in's ID
travels in its DM's metadata, so "delivered once" is read from Slack's side, not from our rows.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.sending import CHECKIN_EVENT
from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway, make_client
from models import (
    Account,
    CheckIn,
    CheckInState,
    ClockPass,
    Commitment,
    CommitmentStatus,
    Escalation,
    Person,
    Side,
)
from slack_emulator import SlackEmulator
from tests.faults import FaultResult

ROOT = Path(__file__).resolve().parent.parent.parent
TEAM = "T0VENDOR"
CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday
DUE = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # the next Monday 10:00 London


def seed_due(
    sessions: sessionmaker[Session], emulator: SlackEmulator, count: int, *, prefix: str = "UD"
) -> None:
    """`count` customers, one weekly commitment each, all falling due at DUE."""
    for n in range(count):
        emulator.add_user(f"{prefix}{n:05d}", team_id="T0CUSTOMER", tz="Europe/London")
    with sessions.begin() as session:
        account = Account(
            team_id=TEAM, name="Load", name_key="load", shared_channel_id="C0SHARED", escalation_channel_id="C0ESCAL",
            csm_user_id="U0CSM", champion_user_id=f"{prefix}00000", created_by="U0CSM", created_at=CREATED,
        )  # fmt: skip
        session.add(account)
        for n in range(count):
            person = Person(team_id=TEAM, user_id=f"{prefix}{n:05d}", side=Side.CUSTOMER, tz="Europe/London")
            session.add(person)
            session.flush()
            session.add(
                Commitment(
                    team_id=TEAM, account=account, side=Side.CUSTOMER, owner_id=person.id, action=f"Log bookings {n}",
                    rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=CREATED.date(), local_time=clock_time(10),
                    schedule_text="every Monday at 10:00", status=CommitmentStatus.ACTIVE,
                    scheduled_through=CREATED, agreed_at=CREATED, created_by="U0CSM", created_at=CREATED,
                )
            )  # fmt: skip


def delivered(emulator: SlackEmulator, users: list[str]) -> Counter[int]:
    """How many DMs Slack holds for each check-in ID, from the messages' metadata."""
    counts: Counter[int] = Counter()
    for user in users:
        for message in emulator.messages(user):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == CHECKIN_EVENT:
                counts.update(int(i) for i in metadata["event_payload"]["checkin_ids"])
    return counts


def settle(sessions: sessionmaker[Session]) -> tuple[dict[CheckInState, int], list[int]]:
    with sessions() as session:
        states = {
            state: int(n)
            for state, n in session.execute(select(CheckIn.state, func.count()).group_by(CheckIn.state))
        }
        ids = list(session.scalars(select(CheckIn.id)))
    return states, ids


def outcome(sessions: sessionmaker[Session], emulator: SlackEmulator, users: list[str]) -> dict[str, int]:
    states, ids = settle(sessions)
    counts = delivered(emulator, users)
    return {
        "delivered once": sum(1 for i in ids if counts[i] == 1),
        "lost": sum(1 for i in ids if counts[i] == 0),
        "doubled": sum(1 for i in ids if counts[i] > 1),
        "recorded sent": states.get(CheckInState.SENT, 0),
        "still pending": states.get(CheckInState.DUE, 0) + states.get(CheckInState.SENDING, 0),
    }


def flaky_slack(
    sessions: sessionmaker[Session], emulator: SlackEmulator, *, size: int, seed: int = 7
) -> FaultResult:
    """5 % of chat.postMessage calls answered 500/502/503/504, a third of those after the DM was posted."""
    seed_due(sessions, emulator, size)
    users = [f"UD{n:05d}" for n in range(size)]
    emulator.fail_randomly("chat.postMessage", rate=0.05, after_effect=0.33, seed=seed)
    gateway = SlackGateway(make_client(token=emulator.token, api_url=emulator.api_url, clock=True))
    now, passes = DUE, 0
    while passes < 30:
        run_due_work(sessions, gateway, now=now)
        passes += 1
        if outcome(sessions, emulator, users)["still pending"] == 0:
            break
        now += timedelta(minutes=11)  # past any back-off, and past an abandoned claim's age
    injected, after = emulator.random_faults_injected("chat.postMessage")
    return FaultResult(
        fault="5 % of check-in DMs answered 5xx (500/502/503/504), a third of them after Slack had posted",
        tried=size,
        outcome={
            **outcome(sessions, emulator, users),
            "5xx injected": injected,
            "of them after posting": after,
        },
        notes=f"settled in {passes} clock passes",
    )


def revoked_token_for_one_pass(
    sessions: sessionmaker[Session], emulator: SlackEmulator, *, size: int
) -> FaultResult:
    """The workspace's token refused for one pass: everything due stays due and goes out after."""
    seed_due(sessions, emulator, size, prefix="UR")
    users = [f"UR{n:05d}" for n in range(size)]
    gateway = SlackGateway(make_client(token=emulator.token, api_url=emulator.api_url, clock=True))
    emulator.error_next("chat.postMessage", "token_revoked")
    first = run_due_work(sessions, gateway, now=DUE)
    during = outcome(sessions, emulator, users)
    run_due_work(sessions, gateway, now=DUE + timedelta(minutes=6))
    after = outcome(sessions, emulator, users)
    return FaultResult(
        fault="the bot token refused (token_revoked) for one pass while check-ins were due",
        tried=size,
        outcome={**after, "sent during the refused pass": first.sent, "kept due": during["still pending"]},
    )


def clock_env(database_url: str, emulator: SlackEmulator) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": emulator.token,
        "SLACK_API_URL": emulator.api_url,
        "PYTHONUNBUFFERED": "1",
    }


def tick(at: datetime) -> list[str]:
    return [sys.executable, "-m", "scheduler", "tick", "--at", at.isoformat()]


def killed_clocks(
    sessions: sessionmaker[Session],
    emulator: SlackEmulator,
    *,
    database_url: str,
    size: int,
    kills: int,
    seed: int = 3,
) -> FaultResult:
    """A clock process SIGKILLed mid-pass `kills` times, then left to finish: each check-in once."""
    seed_due(sessions, emulator, size, prefix="UK")
    users = [f"UK{n:05d}" for n in range(size)]
    emulator.delay("chat.postMessage", 0.03)  # a pass takes long enough to be killed inside it
    rng = random.Random(seed)
    env = clock_env(database_url, emulator)
    now = DUE
    killed_mid_send = 0
    for _ in range(kills):
        posted_before = len(emulator.calls_to("chat.postMessage"))
        process = subprocess.Popen(
            tick(now), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        # Wait until the pass is sending, then kill it at a random point of the send.
        deadline = time.monotonic() + 60
        while len(emulator.calls_to("chat.postMessage")) == posted_before and process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)  # waiting for the child to reach its sends, not controlling time
        time.sleep(rng.uniform(0.0, 0.03 * max(1, size // 4)))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed_mid_send += 1
        process.wait(timeout=30)
        now += timedelta(minutes=11)  # the next clock finds the dead one's claims abandoned
    emulator.delay("chat.postMessage", 0)
    finishing = 0
    while outcome(sessions, emulator, users)["still pending"] and finishing < 5:
        done = subprocess.run(tick(now), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise AssertionError(done.stderr[-2000:])
        finishing += 1
        now += timedelta(minutes=11)
    return FaultResult(
        fault="the clock process SIGKILLed in the middle of sending check-ins",
        tried=kills,
        outcome={**outcome(sessions, emulator, users), "killed while sending": killed_mid_send},
        notes=f"{size} check-ins due; {finishing} clean passes afterwards",
    )


def seed_vendor_deadlines(sessions: sessionmaker[Session], emulator: SlackEmulator, count: int) -> None:
    """Vendor commitments due by a Friday, overdue at 18:00 in the owner's zone on the working day after
    it (the Monday), a whole working day after the due date's check-in."""
    emulator.add_user("U0ENG", team_id=TEAM, tz="Europe/London")
    with sessions.begin() as session:
        owner = Person(team_id=TEAM, user_id="U0ENG", side=Side.VENDOR, tz="Europe/London")
        session.add(owner)
        session.flush()
        for n in range(count):
            account = Account(
                team_id=TEAM, name=f"Deadline {n}", name_key=f"deadline {n}", shared_channel_id="C0SHARED",
                escalation_channel_id="C0ESCAL", csm_user_id="U0CSM", champion_user_id="U0CHAMP",
                created_by="U0CSM", created_at=CREATED,
            )  # fmt: skip
            session.add(account)
            session.add(
                Commitment(
                    team_id=TEAM, account=account, side=Side.VENDOR, owner_id=owner.id, action=f"Ship fix {n}",
                    due_on=date(2026, 11, 27), starts_on=CREATED.date(), local_time=clock_time(10),
                    schedule_text="by Fri 27 Nov", status=CommitmentStatus.ACTIVE,
                    scheduled_through=CREATED, agreed_at=CREATED, created_by="U0CSM", created_at=CREATED,
                )
            )  # fmt: skip


def racing_clocks(
    sessions: sessionmaker[Session], emulator: SlackEmulator, *, database_url: str, clocks: int, rounds: int
) -> FaultResult:
    """`clocks` clock processes passing at the same instants across a vendor deadline."""
    deadlines = 5
    seed_vendor_deadlines(sessions, emulator, deadlines)
    env = clock_env(database_url, emulator)
    instants = [datetime(2026, 11, 30, 18, 0, tzinfo=UTC) + timedelta(minutes=m) for m in range(rounds)]
    failed_processes = 0
    for at in instants:
        processes = [
            subprocess.Popen(
                tick(at), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            for _ in range(clocks)
        ]
        for process in processes:
            _, stderr = process.communicate(timeout=120)
            if process.returncode != 0 or "Traceback" in (stderr or ""):
                failed_processes += 1
    with sessions() as session:
        passes = list(session.scalars(select(ClockPass)))
        episodes = Counter(session.scalars(select(Escalation.commitment_id)))
    posts = [c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel") == "C0ESCAL"]
    return FaultResult(
        fault=f"{clocks} clock processes passing at the same instants across {deadlines} vendor deadlines",
        tried=clocks * rounds,
        outcome={
            "passes completed": len(passes),
            "passes with a failed step": sum(1 for p in passes if p.errors),
            "processes that crashed": failed_processes,
            "episodes opened": len(episodes),
            "episodes opened twice": sum(1 for n in episodes.values() if n > 1),
            "escalation posts": len(posts),
        },
    )
