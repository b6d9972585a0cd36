"""Clock processes on one PostgreSQL share each workspace's `chat.postMessage` ceiling
(`bot.slack.shared_pace`): each pacer has its own engine here, so its own connections and sessions, as
two clock processes would."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from bot.slack.pacing import POSTS_PER_MINUTE_ENV, Pacer
from bot.slack.shared_pace import DatabasePace, shared_pace
from bot.slack.workspaces import WorkspaceGateways
from models import WorkspacePace
from models.db import make_engine
from slack_emulator import SlackEmulator
from tests.conftest import TOKEN as CONFTEST_TOKEN

TOKEN = CONFTEST_TOKEN  # the emulator's own workspace
PER_MINUTE = 600  # ten a second: each window of one second may hold ten starts
POSTS_EACH = 24
THREADS_EACH = 3


def needs_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgres"):
        pytest.skip("only PostgreSQL runs several clock processes at once; on SQLite one clock paces alone")


@pytest.fixture
def clock_engines(engine: Engine, database_url: str) -> Iterator[list[Engine]]:
    """Two engines besides the test's own: two clocks' connection pools. `engine` has upgraded the
    schema; the `sessions` fixture is not used, so the rows are cleared here."""
    needs_postgresql(database_url)
    engines = [make_engine(database_url), make_engine(database_url)]
    yield engines
    for each in engines:
        each.dispose()
    with engine.begin() as connection:
        connection.execute(delete(WorkspacePace))


class Schedule:
    """The start times pacers give their threads, as the pacers set them: a thread's start is the end
    of its sleep in `acquire`, or the instant it asked if it did not sleep. So the test judges the
    pacers' schedule, not how late a loaded machine wakes a thread."""

    def __init__(self) -> None:
        self._thread = threading.local()
        self._lock = threading.Lock()
        self.starts: list[float] = []

    def pacer(self, shared: DatabasePace | None) -> Pacer:
        return Pacer(PER_MINUTE, now=self._now, sleep=self._sleep, shared=shared)

    def _now(self) -> float:
        self._thread.read = time.monotonic()
        if self._thread.first is None:
            self._thread.first = self._thread.read
        return float(self._thread.read)

    def _sleep(self, seconds: float) -> None:
        self._thread.until = self._thread.read + seconds
        time.sleep(seconds)

    def post(self, pacer: Pacer) -> None:
        self._thread.first = self._thread.until = None
        pacer.acquire()
        start = self._thread.until
        if start is None:  # it did not wait: it starts as it asks
            start = self._thread.first
        with self._lock:
            self.starts.append(start)

    def posts(self, pacer: Pacer, count: int) -> None:
        for _ in range(count):
            self.post(pacer)


def starts_of(schedule: Schedule, pacers: list[Pacer]) -> list[float]:
    """Each pacer's threads start `POSTS_EACH` posts as fast as it lets them; the starts, sorted."""
    threads = [
        threading.Thread(target=schedule.posts, args=(pacer, POSTS_EACH // THREADS_EACH))
        for pacer in pacers
        for _ in range(THREADS_EACH)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(schedule.starts)


def most_in_a_second(starts: list[float]) -> int:
    """The most starts any one-second window holds (Slack counts its ceiling over such windows)."""
    most, first = 0, 0
    for last, at in enumerate(starts):
        while at - starts[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_two_clocks_sharing_a_workspace_start_no_more_than_its_ceiling_in_any_second(
    clock_engines: list[Engine],
) -> None:
    schedule = Schedule()
    starts = starts_of(schedule, [schedule.pacer(shared_pace(each, TOKEN)) for each in clock_engines])
    assert len(starts) == 2 * POSTS_EACH
    assert most_in_a_second(starts) <= PER_MINUTE / 60


def test_a_429_one_clock_sees_holds_the_other(clock_engines: list[Engine]) -> None:
    first, second = (Pacer(PER_MINUTE, shared=DatabasePace(each, TOKEN)) for each in clock_engines)
    first.acquire()
    first.pause(1.5)
    asked = time.monotonic()
    second.acquire()
    # The other clock learns of the pause from the shared row: it does not start within it.
    assert time.monotonic() - asked >= 1.4


def test_other_workspaces_keep_their_own_pace(clock_engines: list[Engine]) -> None:
    tokens = [TOKEN, "xoxb-other-workspace"]
    held, other = (
        Pacer(PER_MINUTE, shared=DatabasePace(each, token))
        for each, token in zip(clock_engines, tokens, strict=True)
    )
    held.acquire()
    held.pause(10.0)
    asked = time.monotonic()
    other.acquire()
    # Slack limits each workspace apart: another workspace's 429 holds nobody here.
    assert time.monotonic() - asked < 5.0


def test_sqlite_keeps_the_pace_in_the_process(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/pace.db")
    try:
        assert shared_pace(engine, TOKEN) is None
    finally:
        engine.dispose()


def test_two_clocks_gateways_post_at_the_workspace_ceiling_without_a_429(
    clock_engines: list[Engine], emulator: SlackEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock's own wiring: gateways made as `python -m scheduler` makes them, each on its own
    connections, against Slack's per-workspace ceiling; a post that met a 429 would be sent again. The
    clocks are told a ceiling a fifth under Slack's, so that what is judged is their sharing, not how
    late a loaded machine delivers a request: each pacing alone, together they would send 1.6 times it."""
    monkeypatch.setenv(POSTS_PER_MINUTE_ENV, str(PER_MINUTE * 0.8))
    emulator.set_rate_limit("chat.postMessage", per_minute=PER_MINUTE, window_seconds=1)
    people = [f"U0PACE{i:02d}" for i in range(32)]
    for user in people:
        emulator.add_user(user)
    clocks = [
        WorkspaceGateways.from_tokens(
            default_token=TOKEN, team_tokens={}, api_url=emulator.api_url, engine=each
        )
        for each in clock_engines
    ]
    with ThreadPoolExecutor(max_workers=2 * THREADS_EACH) as senders:
        sent = list(
            senders.map(
                lambda i: clocks[i % 2].default.send_dm(people[i], text="Did you?", blocks=[]),
                range(len(people)),
            )
        )
    assert len(sent) == len(people)
    assert len(emulator.calls_to("chat.postMessage")) == len(people)
    assert all(len(emulator.messages(user)) == 1 for user in people)
