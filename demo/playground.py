"""`python -m demo.playground` (`scripts/run --playground`): the demo's workspace in a browser.

The same people, channels, real web app and emulator as `python -m demo`, seeded with the demo's first
scenes (the account, its commitments, the agreed plan) and run on to the champion's first front-desk
check-in, so there is something to click at once; `--empty` starts with only the people and channels.
The clock is the real clock pass, once a minute, at the playground's own now: the demo's date moving
on in real time, which the page's buttons jump forward (running the pass at the new instant, the way
`python -m scheduler tick --at` does).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock_pass import run_due_work
from demo.__main__ import (
    CHAMPION,
    CHANNELS,
    CSM,
    DESK,
    ENGINEER,
    ESCALATIONS,
    MANAGER,
    OPS,
    PEOPLE,
    SHARED,
    START,
    Demo,
    DemoClock,
    agreement,
    running_demo,
    set_up_account,
)
from scheduler.jobs import PASS_INTERVAL_SECONDS
from slack_emulator.playground import Person, Playground

# The seed ends just after the champion's first Thursday front-desk check-in arrives (15:00 London).
SEEDED_UNTIL = datetime(2026, 11, 26, 15, 5, tzinfo=UTC)
ROLES = {SHARED: "shared with FitCo", ESCALATIONS: "escalations", DESK: "digest (CSM desk)"}
SWITCHER = (CSM, CHAMPION, ENGINEER, MANAGER, OPS)


class RunningClock(DemoClock):
    """The app's now: an instant that moves on with real time, and jumps when told to."""

    def __init__(self, now: datetime) -> None:
        self._lock = threading.Lock()
        super().__init__(now)

    @property
    def now(self) -> datetime:
        with self._lock:
            return self._set_at + timedelta(seconds=time.monotonic() - self._set_when)

    @now.setter
    def now(self, instant: datetime) -> None:
        with self._lock:
            self._set_at, self._set_when = instant, time.monotonic()


class PlaygroundClock:
    """One clock pass a minute at the running clock's now, and jumps that run a pass at once."""

    def __init__(self, demo: Demo, clock: RunningClock) -> None:
        self.demo = demo
        self.running = clock
        self.passes = threading.Lock()  # a jump and the minute's pass never overlap
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.scheduler.add_job(
            self.run_pass,
            "interval",
            seconds=PASS_INTERVAL_SECONDS,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=PASS_INTERVAL_SECONDS,
        )

    def now(self) -> datetime:
        return self.running.now

    def run_pass(self) -> None:
        with self.passes:
            run_due_work(self.demo.sessions, self.demo.gateway, now=self.running.now)

    def advance_to(self, instant: datetime) -> None:
        with self.passes:
            if instant > self.running.now:
                self.running.now = instant
            run_due_work(self.demo.sessions, self.demo.gateway, now=self.running.now)


def seed(demo: Demo) -> None:
    """The demo's own opening scenes, then its clock run on to the first check-in the champion answers."""
    with contextlib.redirect_stdout(io.StringIO()):
        set_up_account(demo)
        agreement(demo)
        demo.run_clock(SEEDED_UNTIL)


@contextmanager
def running_playground(
    *, empty: bool = False, host: str = "127.0.0.1", port: int = 0, database_url: str | None = None
) -> Iterator[tuple[str, Playground]]:
    """The playground served on the emulator's port; yields its URL and the playground."""
    database_url = database_url or "sqlite:///{}".format(
        Path(tempfile.mkdtemp(prefix="accountability-playground-db-")) / "playground.db"
    )
    output = Path(tempfile.mkdtemp(prefix="accountability-playground-"))
    clock = RunningClock(START)
    with running_demo(
        database_url=database_url, output=output, clock=clock, host=host, emulator_port=port
    ) as demo:
        if not empty:
            seed(demo)
        ticking = PlaygroundClock(demo, clock)
        playground = Playground(
            demo.slack,
            demo.people,
            people=[Person(user_id, PEOPLE[user_id][0]) for user_id in SWITCHER],
            channels=[(channel_id, ROLES[channel_id]) for channel_id in CHANNELS],
            clock=ticking,
        )
        demo.slack.serve_pages(playground.handle)
        ticking.scheduler.start()
        try:
            yield demo.slack.base_url, playground
        finally:
            ticking.scheduler.shutdown(wait=True)
            demo.slack.serve_pages(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.playground", description=__doc__)
    parser.add_argument("--empty", action="store_true", help="start with only the people and channels")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3002, help="the page's port (0: any free one)")
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database (default: a new SQLite file)")
    args = parser.parse_args(argv)
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    with running_playground(empty=args.empty, host=args.host, port=args.port, database_url=args.database) as (
        url,
        _playground,
    ):
        print(f"Playground: {url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
