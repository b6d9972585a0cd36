"""A workspace's `chat.postMessage` pace kept in PostgreSQL, shared by every clock process.

Each clock's `Pacer` spaces its own threads; alone, each would go to the workspace's whole ceiling, so
K clocks would send K times it and 429s would stop them in turn. Here one row per bot token holds the
next start time no clock has taken: a pacer takes a short run of start times with one statement
(`UPDATE … SET next_slot = GREATEST(next_slot, now) + run RETURNING …`), so the runs of all clocks
follow one another at the ceiling's spacing, at one round trip per several posts. A 429 one clock sees
moves the row's pause and next start time, and the others take their next run after it.

Times in the row are the database's clock (`clock_timestamp()`), the one clock every process reads
alike; each answer also carries the database's now, from which the start times are turned into this
process's `time.monotonic()`. That reading is off by up to half its round trip, so the one taken over
the shortest round trip is kept (as NTP does), lest a slow answer under load move one clock's starts
onto another's. On SQLite the clock is one process: its pacer alone keeps the pace, and nothing here is
used.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from sqlalchemy import ColumnElement, Double, Engine, cast, extract, func
from sqlalchemy.dialects.postgresql import insert

from models import WorkspacePace

# A kept reading of the database's clock counts as this much worse per second of its age, so a newer one
# replaces it in time however the two clocks drift (NTP slews a clock by at most 0.5 ms a second).
OFFSET_AGEING = 0.001


def token_digest(token: str) -> str:
    """The row's key: Slack limits an app per workspace, which is what its bot token speaks for."""
    return hashlib.sha256(token.encode()).hexdigest()


def _db_now() -> ColumnElement[float]:
    """Seconds since the epoch on the database's clock, now (not at the transaction's start)."""
    return cast(extract("epoch", func.clock_timestamp()), Double)


class DatabasePace:
    """`bot.slack.pacing.SharedPace` in the `workspace_paces` row of one bot token."""

    def __init__(self, engine: Engine, token: str, *, now: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._key = token_digest(token)
        self._now = now
        # Database time minus this process's monotonic time, from the reading with the best round trip.
        self._offset = 0.0
        self._offset_error = float("inf")
        self._offset_at = 0.0

    def reserve(self, count: int, interval: float, *, not_before: float) -> tuple[float, float]:
        span = count * interval
        asked = self._now()
        ahead = max(0.0, not_before - asked)
        earliest = _db_now() + ahead
        table = WorkspacePace.__table__
        statement = (
            insert(WorkspacePace)
            .values(token_digest=self._key, next_slot=earliest + span, paused_until=0.0)
            .on_conflict_do_update(
                index_elements=[WorkspacePace.token_digest],
                set_={"next_slot": func.greatest(table.c.next_slot, table.c.paused_until, earliest) + span},
            )
            .returning(WorkspacePace.next_slot - span, WorkspacePace.paused_until, _db_now())
        )
        with self._engine.begin() as connection:
            first, paused_until, db_now = connection.execute(statement).one()
        offset = self._keep_offset(db_now, asked, self._now())
        return first - offset, paused_until - offset

    def _keep_offset(self, db_now: float, asked: float, answered: float) -> float:
        """The offset between the database's clock and ours, from the reading whose round trip was
        shortest, allowing for its age."""
        error = (answered - asked) / 2
        kept_error = self._offset_error + OFFSET_AGEING * (answered - self._offset_at)
        if error <= kept_error:
            self._offset = db_now - (asked + answered) / 2
            self._offset_error, self._offset_at = error, answered
        return self._offset

    def pause(self, seconds: float) -> None:
        until = _db_now() + seconds
        table = WorkspacePace.__table__
        statement = (
            insert(WorkspacePace)
            .values(token_digest=self._key, next_slot=until, paused_until=until)
            .on_conflict_do_update(
                index_elements=[WorkspacePace.token_digest],
                set_={
                    "paused_until": func.greatest(table.c.paused_until, until),
                    "next_slot": func.greatest(table.c.next_slot, until),
                },
            )
        )
        with self._engine.begin() as connection:
            connection.execute(statement)


def shared_pace(engine: Engine | None, token: str | None) -> DatabasePace | None:
    """The pace a clock's client shares with the other clocks: on PostgreSQL only, where several clock
    processes can share the work."""
    if engine is None or token is None or engine.dialect.name != "postgresql":
        return None
    return DatabasePace(engine, token)
