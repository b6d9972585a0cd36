"""Clicks while the web side fails: a worker SIGKILLed mid-burst, the database gone mid-burst.

Every click Slack was told "200" about must be on record, or its person told it was not; a click
that got no 200 is one Slack itself shows as failed to the person.
"""

from __future__ import annotations

import contextlib
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app import create_web_app, serve_in_thread
from bot.recording import NOT_RECORDED
from bot.settings import Settings
from handlers.deps import Deps
from models import Account, CheckIn, CheckInState, Commitment, CommitmentStatus, Person, Side
from models.db import make_engine, session_factory
from slack_emulator import SlackEmulator
from slack_emulator.outbound import SlackSender
from tests.faults import FaultResult

ROOT = Path(__file__).resolve().parent.parent.parent
TEAM = "T0VENDOR"
SECRET = "test-signing-secret"
CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def seed_open_checkins(
    sessions: sessionmaker[Session], emulator: SlackEmulator, count: int, *, prefix: str
) -> list[tuple[int, str]]:
    """One open check-in per click, each owned by its own person: (check-in id, owner)."""
    out: list[tuple[int, str]] = []
    with sessions.begin() as session:
        account = Account(
            team_id=TEAM, name=f"Clicks {prefix}", name_key=f"clicks {prefix}".lower(), shared_channel_id="C0SHARED",
            escalation_channel_id="C0ESCAL", csm_user_id="U0CSM", champion_user_id=f"{prefix}00000",
            created_by="U0CSM", created_at=CREATED,
        )  # fmt: skip
        session.add(account)
        for n in range(count):
            owner = f"{prefix}{n:05d}"
            emulator.add_user(owner, team_id="T0CUSTOMER", tz="Europe/London")
            person = Person(
                team_id=TEAM, user_id=owner, side=Side.CUSTOMER, tz="Europe/London", is_external=True
            )
            commitment = Commitment(
                team_id=TEAM, account=account, side=Side.CUSTOMER, owner=person, action="Log bookings",
                rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=CREATED.date(), local_time=clock_time(10),
                schedule_text="every Monday at 10:00", status=CommitmentStatus.ACTIVE, agreed_at=CREATED,
                scheduled_through=CREATED, created_by="U0CSM", created_at=CREATED,
            )  # fmt: skip
            checkin = CheckIn(
                team_id=TEAM, commitment=commitment, scheduled_at=CREATED, state=CheckInState.SENT,
                channel_id=emulator.dm_channel(owner), message_ts=f"1700000000.{n:06d}", send_attempts=1,
                reminders_sent=0,
            )  # fmt: skip
            session.add_all([person, commitment, checkin])
            session.flush()
            out.append((checkin.id, owner))
    return out


def sender(url: str, emulator: SlackEmulator) -> SlackSender:
    return SlackSender(
        app_url=url,
        signing_secret=SECRET,
        team_id=TEAM,
        response_url=emulator.new_response_url,
        user_team=emulator.team_of,
        trigger_id=emulator.new_trigger_id,
    )


def click(slack: SlackSender, emulator: SlackEmulator, target: tuple[int, str]) -> int:
    """The HTTP status Slack would get for a Done click (0: no answer at all)."""
    checkin_id, owner = target
    try:
        return slack.click(
            action_id="checkin_answer_done",
            value=str(checkin_id),
            user_id=owner,
            channel_id=emulator.dm_channel(owner),
            message_ts="1700000000.000000",
        ).status
    except OSError:
        return 0


def answered(sessions: sessionmaker[Session], ids: list[int]) -> set[int]:
    with sessions() as session:
        return set(
            session.scalars(
                select(CheckIn.id).where(CheckIn.id.in_(ids), CheckIn.state == CheckInState.ANSWERED)
            )
        )


def told_not_recorded(emulator: SlackEmulator) -> set[str]:
    return {
        str(c.params.get("user"))
        for c in emulator.calls_to("chat.postEphemeral")
        if c.params.get("text") == NOT_RECORDED
    }


def web_command(port: int) -> list[str]:
    """The Procfile's `web:` line, as the platform would run it."""
    line = next(
        line.split(":", 1)[1]
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.startswith("web:")
    )
    words = shlex.split(line.replace("$PORT", str(port)))
    words[0] = shutil.which(words[0], path=str(Path(sys.executable).parent)) or words[0]
    return [w.replace("0.0.0.0", "127.0.0.1") for w in words]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def killed_worker(
    sessions: sessionmaker[Session],
    emulator: SlackEmulator,
    *,
    database_url: str,
    size: int,
    clients: int = 8,
) -> FaultResult:
    """Clicks from several clients into the production web command while one worker is SIGKILLed."""
    targets = seed_open_checkins(sessions, emulator, size, prefix="UW")
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": emulator.token, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": emulator.api_url, "DATABASE_URL": database_url, "PORT": str(port)}  # fmt: skip
    server = subprocess.Popen(
        web_command(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the web process did not start") from None
                time.sleep(0.2)  # waiting for the server to bind
        slack = sender(base, emulator)
        done = 0
        lock = threading.Lock()
        killed: list[int] = []

        def one(target: tuple[int, str]) -> int:
            nonlocal done
            status = click(slack, emulator, target)
            with lock:
                done += 1
                if done == size // 3 and not killed:
                    workers = children(server.pid)
                    if workers:
                        victim = random.Random(size).choice(workers)
                        os.kill(victim, signal.SIGKILL)
                        killed.append(victim)
            return status

        with ThreadPoolExecutor(max_workers=clients) as pool:
            statuses = list(pool.map(one, targets))
        time.sleep(1.0)  # let the surviving worker finish redrawing what it acknowledged
    finally:
        server.terminate()
        server.wait(timeout=20)
    ids = [checkin_id for checkin_id, _ in targets]
    recorded = answered(sessions, ids)
    told = told_not_recorded(emulator)
    acked = [(target, status) for target, status in zip(targets, statuses, strict=True) if status == 200]
    return FaultResult(
        fault="a web worker SIGKILLed in the middle of a burst of Done clicks (the Procfile's web command)",
        tried=size,
        outcome={
            "acked and recorded": sum(1 for (cid, _), _ in acked if cid in recorded),
            "acked and told it was not recorded": sum(
                1 for (cid, owner), _ in acked if cid not in recorded and owner in told
            ),
            "acked and lost": sum(
                1 for (cid, owner), _ in acked if cid not in recorded and owner not in told
            ),
            "no 200 (Slack shows the click failed)": size - len(acked),
            "workers killed": len(killed),
        },
        notes=f"{clients} concurrent clients",
    )


class DatabaseProxy:
    """A TCP hop between the app and PostgreSQL that can be cut, as a database that stops would be."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.cut_off = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.cut_off.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut_off.is_set():
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """No new connections, and every open one dropped."""
        self.cut_off.set()
        # shutdown() wakes the thread blocked in accept(); close() alone would leave it listening.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


def database_stopped(
    sessions: sessionmaker[Session], emulator: SlackEmulator, *, database_url: str, size: int
) -> FaultResult:
    """Done clicks before and after the database goes away under the running app."""
    url = make_url(database_url.replace("postgres://", "postgresql://", 1))
    targets = seed_open_checkins(sessions, emulator, size, prefix="UB")
    proxy = DatabaseProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    settings = Settings(bot_token=emulator.token, signing_secret=SECRET, api_url=emulator.api_url)
    server = serve_in_thread(
        create_web_app(settings, engine=proxied, deps=Deps(sessions=session_factory(proxied)))
    )
    try:
        slack = sender(f"http://127.0.0.1:{server.server_address[1]}", emulator)
        half = size // 2
        statuses = [click(slack, emulator, target) for target in targets[:half]]
        proxy.cut()
        statuses += [click(slack, emulator, target) for target in targets[half:]]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            expected = sum(1 for s in statuses[half:] if s == 200)
            if len(told_not_recorded(emulator)) >= expected:
                break
            time.sleep(0.05)  # waiting for the listeners after their acks
    finally:
        server.shutdown()
        server.server_close()
        proxied.dispose()
    ids = [checkin_id for checkin_id, _ in targets]
    recorded = answered(sessions, ids)
    told = told_not_recorded(emulator)
    acked = [target for target, status in zip(targets, statuses, strict=True) if status == 200]
    return FaultResult(
        fault="the database stopped halfway through a series of Done clicks",
        tried=size,
        outcome={
            "acked and recorded": sum(1 for cid, _ in acked if cid in recorded),
            "acked and told it was not recorded": sum(
                1 for cid, owner in acked if cid not in recorded and owner in told
            ),
            "acked and lost": sum(1 for cid, owner in acked if cid not in recorded and owner not in told),
            "no 200 (Slack shows the click failed)": size - len(acked),
        },
        notes=f"{size // 2} clicks before the stop, {size - size // 2} after",
    )
