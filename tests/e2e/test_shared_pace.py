"""Clock processes on one PostgreSQL share each workspace's `chat.postMessage` ceiling
(`bot.slack.shared_pace`): each pacer has its own engine here, so its own connections and sessions, as
two clock processes would."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete

from bot.slack.pacing import Pacer
from bot.slack.shared_pace import DatabasePace, shared_pace
from models import WorkspacePace
from models.db import make_engine

TOKEN = "xoxb-shared-pace"
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


def starts_of(pacers: list[Pacer]) -> list[float]:
    """Each pacer's threads start `POSTS_EACH` posts as fast as it lets them; the starts, sorted."""
    starts: list[float] = []
    lock = threading.Lock()

    def post(pacer: Pacer, count: int) -> None:
        for _ in range(count):
            pacer.acquire()
            started = time.monotonic()
            with lock:
                starts.append(started)

    threads = [
        threading.Thread(target=post, args=(pacer, POSTS_EACH // THREADS_EACH))
        for pacer in pacers
        for _ in range(THREADS_EACH)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(starts)


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
    pacers = [Pacer(PER_MINUTE, shared=shared_pace(each, TOKEN)) for each in clock_engines]
    starts = starts_of(pacers)
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
