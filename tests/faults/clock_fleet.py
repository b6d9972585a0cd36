"""Three clock processes sharing one PostgreSQL database, one of them SIGKILLed mid-pass.

The check-ins of two workspaces fall due at one instant; each workspace installed the app through OAuth,
so its bot token is read (encrypted) from the installation store, as in production. Three
`python -m scheduler tick --at` processes share the work out (SKIP LOCKED batches); one is frozen
while it holds claimed check-ins and killed, the other two finish. A later pass — its `--at` past the
dead clock's lease — takes over the stranded claims, reads Slack's history to learn which of them
went out, and sends the rest. What reached Slack is read from the emulator's recorded
chat.postMessage calls: every check-in's ID travels in its message's metadata.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.sending import CHECKIN_EVENT
from bot.clock_run import LEASE
from bot.installs.encryption import TokenCipher
from bot.installs.lifecycle import installed
from bot.installs.store import installation_store
from models import (
    Account,
    CheckIn,
    CheckInState,
    ClockHeartbeat,
    Commitment,
    CommitmentStatus,
    Person,
    Side,
    Tenant,
)
from slack_emulator import Call, SlackEmulator
from tests.faults import FaultResult

ROOT = Path(__file__).resolve().parent.parent.parent
CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday
DUE = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # the next Monday 10:00 London
PASS_AT = DUE + timedelta(minutes=1)
# Each workspace's team ID and its own bot token.
WORKSPACES = {"T0FLEETA": "xoxb-fleet-a", "T0FLEETB": "xoxb-fleet-b"}
DEFAULT_TOKEN = "xoxb-fleet-default"
# The distributed app's OAuth settings; the encryption key is the one the stored tokens are sealed with.
CLIENT_ID, CLIENT_SECRET, STATE_SECRET = "4444.5555", "fleet-client-secret", "fleet-state-secret"
KEY = Fernet.generate_key().decode()


def install_both(sessions: sessionmaker[Session]) -> None:
    """Each workspace as Bolt's OAuth flow leaves it: its bot token encrypted in the installation store
    and its installation live."""
    store = installation_store(sessions.kw["bind"], client_id=CLIENT_ID, cipher=TokenCipher(KEY))
    for team, token in WORKSPACES.items():
        store.save(
            Installation(
                app_id="A0ACCOUNTABILITY", team_id=team, bot_token=token, bot_id=f"B{team}",
                bot_user_id=f"U{team}BOT", bot_scopes="chat:write,im:write,users:read", user_id="U0CSM",
                installed_at=CREATED.timestamp(),
            )
        )  # fmt: skip
        installed(sessions, Tenant(team_id=team), team_name=team, now=CREATED)


def seed_two_workspaces(
    sessions: sessionmaker[Session], emulator: SlackEmulator, *, people: int, per_person: int
) -> dict[str, str]:
    """`people` customers split between the two workspaces, each owning `per_person` weekly commitments
    whose check-ins are due at DUE (already created, so the passes only send). Returns user → team."""
    teams = list(WORKSPACES)
    owners = {f"UF{n:05d}": teams[n % len(teams)] for n in range(people)}
    for user_id, team in owners.items():
        emulator.add_user(user_id, team_id=team, tz="Europe/London")
    with sessions.begin() as session:
        accounts = {}
        for team in teams:
            account = Account(
                team_id=team, name=f"Fleet {team}", name_key=f"fleet {team.lower()}", shared_channel_id=f"C{team}S",
                escalation_channel_id=f"C{team}E", csm_user_id="U0CSM", champion_user_id="UF00000",
                created_by="U0CSM", created_at=CREATED,
            )  # fmt: skip
            session.add(account)
            session.flush()
            accounts[team] = account.id
        person_ids = session.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [
                {"team_id": team, "user_id": user_id, "side": Side.CUSTOMER, "tz": "Europe/London"}
                for user_id, team in owners.items()
            ],
        ).all()
        commitments = [
            {
                "team_id": team,
                "account_id": accounts[team],
                "side": Side.CUSTOMER,
                "owner_id": person_id,
                "action": f"Log bookings {k}",
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
            for person_id, team in zip(person_ids, owners.values(), strict=True)
            for k in range(per_person)
        ]
        commitment_ids = session.scalars(
            insert(Commitment).returning(Commitment.id, sort_by_parameter_order=True), commitments
        ).all()
        session.execute(
            insert(CheckIn),
            [
                {
                    "team_id": c["team_id"],
                    "commitment_id": cid,
                    "scheduled_at": DUE,
                    "state": CheckInState.DUE,
                }
                for c, cid in zip(commitments, commitment_ids, strict=True)
            ],
        )
    return owners


def fleet_env(database_url: str, emulator: SlackEmulator) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_STATE_SECRET": STATE_SECRET,
        "ACCOUNTABILITY_ENCRYPTION_KEY": KEY,
        "SLACK_API_URL": emulator.api_url,
        "PYTHONUNBUFFERED": "1",
    }


def tick(at: datetime) -> list[str]:
    return [sys.executable, "-m", "scheduler", "tick", "--at", at.isoformat()]


def clock_id(pid: int) -> str:
    """The name a clock process gives its claims (`bot.clock_run.ClockRun`)."""
    return f"{socket.gethostname()[:64]}:{pid}"


def _held_by(sessions: sessionmaker[Session], clock: str) -> int:
    with sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(CheckIn)
                .where(CheckIn.state == CheckInState.SENDING, CheckIn.claimed_by == clock)
            )
            or 0
        )


def kill_while_holding_claims(sessions: sessionmaker[Session], process: subprocess.Popen[str]) -> int:
    """Freeze the clock, look at what it holds, and kill it only while it holds claimed check-ins (not
    between two batches), so the test always strands work. Returns how many it held."""
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and process.poll() is None:
        process.send_signal(signal.SIGSTOP)
        held = _held_by(sessions, clock_id(process.pid))
        if held:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            return held
        process.send_signal(signal.SIGCONT)
        time.sleep(0.02)  # letting the child claim its next batch, not controlling time
    _, stderr = process.communicate(timeout=10)
    raise AssertionError(
        f"the clock finished (exit {process.returncode}) before it could be killed holding claims: {stderr[-2000:]}"
    )


def checkin_ids_of(call: Call) -> list[int]:
    raw = call.params.get("metadata")
    metadata: Any = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(metadata, dict) or metadata.get("event_type") != CHECKIN_EVENT:
        return []
    return [int(i) for i in metadata["event_payload"]["checkin_ids"]]


@dataclass(frozen=True)
class FleetOutcome:
    result: FaultResult
    sent_per_checkin: Counter[int]
    wrong_token: int
    checkin_ids: list[int]
    stranded: int
    held_within_lease: int
    states: dict[CheckInState, int]
    senders: set[str | None]
    survivors: list[str]
    heartbeats: set[str]
    seconds: float


def three_clocks_one_killed(
    sessions: sessionmaker[Session], *, database_url: str, people: int, per_person: int
) -> FleetOutcome:
    started = time.monotonic()
    with SlackEmulator(token=DEFAULT_TOKEN, team_id="T0FLEETA").start() as emulator:
        for team, token in WORKSPACES.items():
            emulator.add_workspace(team, token=token)
        owners = seed_two_workspaces(sessions, emulator, people=people, per_person=per_person)
        install_both(sessions)
        env = fleet_env(database_url, emulator)
        clocks = [
            subprocess.Popen(
                tick(PASS_AT), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            for _ in range(3)
        ]
        victim, survivors = clocks[0], clocks[1:]
        try:
            held = kill_while_holding_claims(sessions, victim)
            for process in survivors:
                _, stderr = process.communicate(timeout=120)
                assert process.returncode == 0, stderr[-2000:]
        finally:
            for process in clocks:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        stranded = _held_by(sessions, clock_id(victim.pid))
        # Before the lease runs out a pass leaves the dead clock's claims alone; after it, one takes them.
        early = subprocess.run(
            tick(PASS_AT + LEASE - timedelta(minutes=1)), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )  # fmt: skip
        assert early.returncode == 0, early.stderr[-2000:]
        held_within_lease = _held_by(sessions, clock_id(victim.pid))
        later = subprocess.run(
            tick(PASS_AT + LEASE + timedelta(minutes=1)), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )  # fmt: skip
        assert later.returncode == 0, later.stderr[-2000:]

        posts = emulator.calls_to("chat.postMessage")
        opened = {c.params.get("users"): c for c in emulator.calls_to("conversations.open")}
        with sessions() as session:
            team_of = dict(session.execute(select(CheckIn.id, CheckIn.team_id)).all())
            states = dict(session.execute(select(CheckIn.state, func.count()).group_by(CheckIn.state)).all())
            senders = set(
                session.scalars(
                    select(CheckIn.claimed_by).where(CheckIn.state == CheckInState.SENT).distinct()
                )
            )
            heartbeats = set(session.scalars(select(ClockHeartbeat.clock_id)))
    sent: Counter[int] = Counter()
    wrong_token = 0
    for call in posts:
        ids = checkin_ids_of(call)
        sent.update(ids)
        token = call.headers.get("Authorization", "").removeprefix("Bearer ")
        wrong_token += sum(1 for i in ids if WORKSPACES.get(team_of.get(i, "")) != token)
    assert set(opened) <= set(owners)
    checkin_ids = sorted(team_of)
    result = FaultResult(
        fault=(
            f"three clock processes over {len(checkin_ids)} due check-ins in two workspaces, "
            "one SIGKILLed while holding claimed check-ins"
        ),
        tried=len(checkin_ids),
        outcome={
            "delivered once": sum(1 for i in checkin_ids if sent[i] == 1),
            "lost": sum(1 for i in checkin_ids if sent[i] == 0),
            "doubled": sum(1 for i in checkin_ids if sent[i] > 1),
            "sent with the wrong workspace's token": wrong_token,
            "held by the killed clock": held,
        },
        notes=f"{stranded} claims stranded until a pass past the 10-minute lease took them over",
    )
    return FleetOutcome(
        result=result,
        sent_per_checkin=sent,
        wrong_token=wrong_token,
        checkin_ids=checkin_ids,
        stranded=stranded,
        held_within_lease=held_within_lease,
        states=states,
        senders=senders,
        survivors=[clock_id(p.pid) for p in survivors],
        heartbeats=heartbeats,
        seconds=time.monotonic() - started,
    )
