"""What the web process does with work listeners leave for after their ack, and how SQLite writers
from many threads of one process take turns."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from app import AFTER_ACK_THREADS, ListenerExecutor, after_ack_on
from models.db import make_engine


def test_work_after_the_ack_that_fails_is_logged_with_its_name_and_the_next_work_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = ListenerExecutor(max_workers=AFTER_ACK_THREADS, name="after-ack")
    after_ack = after_ack_on(pool)
    shown: list[str] = []

    def redraw_that_fails(user_id: str) -> None:
        raise RuntimeError(f"Slack went away while redrawing for {user_id}")

    with caplog.at_level(logging.ERROR, logger="accountability"):
        after_ack(redraw_that_fails, "U0CHAMP")
        after_ack(shown.append, "the next answer")
        assert pool.wait_quiet()
    pool.shutdown()

    [failure] = [r for r in caplog.records if r.name == "accountability"]
    assert "work after the ack failed: redraw_that_fails" in failure.getMessage()
    assert failure.exc_info is not None and "U0CHAMP" in str(failure.exc_info[1])
    assert shown == ["the next answer"]


def test_the_listener_pool_is_quiet_only_once_the_work_it_handed_on_is_done_too() -> None:
    listeners = ListenerExecutor()
    later = ListenerExecutor(max_workers=1, name="after-ack", counter=listeners.running)
    after_ack = after_ack_on(later)
    release = threading.Event()
    done: list[str] = []

    def redraw() -> None:
        release.wait(5)
        done.append("redrawn")

    def listener() -> None:
        after_ack(redraw)

    listeners.submit(listener)
    assert not listeners.wait_quiet(timeout=0.2)  # the listener has returned; its redraw has not
    release.set()
    assert listeners.wait_quiet()
    assert done == ["redrawn"]
    listeners.shutdown()
    later.shutdown()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE answers (id INTEGER PRIMARY KEY, who TEXT NOT NULL)"))
    return engine


def test_sqlite_writers_on_many_threads_all_commit_and_a_failed_one_lets_the_next_in(
    sqlite_engine: Engine,
) -> None:
    """A writer that rolls back (here: a NOT NULL refused) hands the turn on; none is left waiting."""
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with sqlite_engine.begin() as connection:
                connection.execute(text("INSERT INTO answers (who) VALUES (:who)"), {"who": f"U{n}"})
                if n % 5 == 0:
                    connection.execute(text("INSERT INTO answers (who) VALUES (NULL)"))
        except Exception as exc:  # the refused ones are expected, and counted below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert len(failures) == 8  # n = 0, 5, …, 35: rolled back whole
    with sqlite_engine.connect() as connection:
        written = connection.execute(text("SELECT count(*) FROM answers")).scalar()
    assert written == 32
    sqlite_engine.dispose()


def test_a_read_between_writes_on_another_thread_is_not_held_up_by_an_open_writer(
    sqlite_engine: Engine,
) -> None:
    with sqlite_engine.connect() as writer:
        writer.execute(text("INSERT INTO answers (who) VALUES ('U1')"))  # holds the turn, uncommitted
        seen: list[int] = []

        def read() -> None:
            with sqlite_engine.connect() as reader:
                seen.append(int(reader.execute(text("SELECT count(*) FROM answers")).scalar() or 0))

        reading = threading.Thread(target=read)
        reading.start()
        reading.join(timeout=10)
        assert seen == [0]  # WAL: the reader sees the last commit at once
        writer.commit()
    sqlite_engine.dispose()
