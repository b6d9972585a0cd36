"""What a clock pass costs as answered history piles up, what the digest costs, and whether passes leak.

Seeds N weekly commitments (ten per account, one owner each) with a year of answered history as the
product leaves it: 52 check-ins each, answered, judged by the escalation rules, their answer window
closed, each answer a diary entry copied into the account's weekly thread. Then, on SQLite and on
PostgreSQL, at 10,000 and at 100,000 commitments:

- an idle pass (nothing due; steady state, every commitment's next check-in already known), the
  10,000 figure the baseline of the 100,000 one (goal: ratio ≤ 2);
- a pass sending 100 due check-ins (the emulator answering at once), same goal;
and, once: the weekly digest of 1,000 accounts × 52 weeks on PostgreSQL (goal < 5 s) with its
statement count beside the count for 100 accounts (goal: the same), and the clock process's RSS over
500 idle passes (after pass 50 vs after pass 500; goal: no growth beyond 5 %, allocator noise).
Run: python bench/history.py [--smoke]
"""

from __future__ import annotations

import gc
import itertools
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from enum import Enum
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, insert, select  # noqa: E402

from bench.databases import fresh_schema, postgres_url, sqlite_url  # noqa: E402
from bench.figures import Figure, Result, cli  # noqa: E402
from bot.clock_pass import run_due_work  # noqa: E402
from bot.digest.report import build_digest  # noqa: E402
from bot.digest.settings import DigestSchedule  # noqa: E402
from bot.slack.gateway import SlackGateway, make_client  # noqa: E402
from models import (  # noqa: E402
    Account,
    CheckIn,
    CheckInState,
    CommitmentStatus,
    Side,
)
from models.base import Base  # noqa: E402
from models.db import make_engine, session_factory  # noqa: E402
from slack_emulator import SlackEmulator  # noqa: E402

TEAM, TOKEN = "T0BENCH", "xoxb-bench"
WEEKS = 52
FIRST_MONDAY = datetime(2025, 12, 1, 10, 0, tzinfo=UTC)
LAST_MONDAY = FIRST_MONDAY + timedelta(weeks=WEEKS - 1)  # 2026-11-23
NEXT_MONDAY = LAST_MONDAY + timedelta(weeks=1)
IDLE_AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday: nothing due
DUE_AT = IDLE_AT + timedelta(minutes=30)
GOAL_RATIO, GOAL_DIGEST_S, GOAL_GROWTH = 2.0, 5.0, 0.05
DUE = 100  # check-ins due in the busy pass


@dataclass(frozen=True)
class Sizes:
    small: int
    large: int
    passes: int  # idle passes timed at each size (the median is reported)
    digest_accounts: int
    digest_weeks: int
    memory_passes: int


FULL = Sizes(small=10_000, large=100_000, passes=5, digest_accounts=1000, digest_weeks=52, memory_passes=500)
SMOKE = Sizes(small=50, large=300, passes=2, digest_accounts=20, digest_weeks=8, memory_passes=20)


def _plain(value: Any, *, sqlite: bool) -> Any:
    """A value as the driver takes it in bulk: what the models' column types would have bound."""
    if isinstance(value, Enum):
        return value.value
    if sqlite and isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if sqlite and isinstance(value, bool):
        return int(value)
    if sqlite and isinstance(value, clock_time):
        return value.strftime("%H:%M:%S.%f")
    if sqlite and isinstance(value, date):
        return value.isoformat()
    return value


def bulk(connection: Any, table: str, rows: Iterator[dict[str, Any]]) -> None:
    """Rows straight to the driver — COPY on PostgreSQL, executemany on SQLite — since the ORM and even
    Core's per-row type processing would make seeding millions of rows take most of the bench's budget."""
    first = next(rows, None)
    if first is None:
        return
    # Python-side column defaults, which the models would have filled in.
    defaults = {
        c.name: getattr(c.default, "arg", None)
        for c in Base.metadata.tables[table].columns
        if c.name not in first and c.default is not None and c.default.is_scalar
    }
    first = {**first, **defaults}
    rows = ({**row, **defaults} for row in rows)
    columns = list(first)
    driver = connection.connection.driver_connection
    sqlite = connection.dialect.name == "sqlite"
    values = ([_plain(row[c], sqlite=sqlite) for c in columns] for row in itertools.chain([first], rows))
    cursor = driver.cursor()
    if sqlite:
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)
    else:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    cursor.close()


def seed(url: str, n: int) -> None:
    """N commitments and their year, inserted in bulk."""
    fresh_schema(url)
    engine = make_engine(url)
    accounts = max(1, n // 10)
    created = FIRST_MONDAY - timedelta(days=7)
    with engine.begin() as connection:
        bulk(connection, "accounts", (
            dict(id=a + 1, team_id=TEAM, name=f"Account {a}", name_key=f"account {a}", shared_channel_id=f"C{a:07d}",
                 escalation_channel_id="C0ESC", csm_user_id="U0CSM", champion_user_id=f"U{a * 10:07d}",
                 created_by="U0CSM", created_at=created)
            for a in range(accounts)
        ))  # fmt: skip
        bulk(connection, "people", (
            dict(id=i + 1, team_id=TEAM, user_id=f"U{i:07d}", side=Side.CUSTOMER, tz="Europe/London")
            for i in range(n)
        ))  # fmt: skip
        bulk(connection, "commitments", (
            dict(id=i + 1, team_id=TEAM, account_id=i // 10 + 1, side=Side.CUSTOMER, owner_id=i + 1,
                 action="Log the week's bookings", rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=created.date(),
                 local_time=clock_time(10), schedule_text="every Monday at 10:00", status=CommitmentStatus.ACTIVE,
                 agreed_at=created, scheduled_through=LAST_MONDAY, next_checkin_at=NEXT_MONDAY,
                 created_by="U0CSM", created_at=created)
            for i in range(n)
        ))  # fmt: skip
        bulk(connection, "diary_threads", (
            dict(id=a * WEEKS + w + 1, team_id=TEAM, account_id=a + 1, week_start=(FIRST_MONDAY + timedelta(weeks=w)).date(),
                 channel_id=f"C{a:07d}", message_ts=f"1700000000.{a * WEEKS + w:07d}", claimed_at=FIRST_MONDAY + timedelta(weeks=w))
            for a in range(accounts) for w in range(WEEKS)
        ))  # fmt: skip
        if engine.dialect.name == "postgresql":
            history(connection, n)
        if engine.dialect.name == "postgresql":  # explicit ids leave the sequences behind: catch them up
            for table in ("accounts", "people", "commitments", "diary_threads", "checkins", "diary_entries"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            connection.exec_driver_sql("ANALYZE")
    if engine.dialect.name == "sqlite":
        # A connection of its own, without foreign-key checks or fsyncs: the rows are generated whole.
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.exec_driver_sql("PRAGMA synchronous = OFF")
            connection.commit()
            history(connection, n)
            connection.commit()
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            connection.exec_driver_sql("PRAGMA synchronous = FULL")
    engine.dispose()


def history(connection: Any, n: int) -> None:
    """The year itself, generated by the database (weeks × commitments), since shipping 3 × 52 × N rows
    from Python would take most of the bench's budget at 100,000 commitments."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        weeks = f"(WITH RECURSIVE w(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM w WHERE k < {WEEKS - 1}) SELECT k FROM w) AS w"
        yes = "1"

        def at(hours: int, minutes: int = 0) -> str:
            return (
                "strftime('%Y-%m-%d %H:%M:%S', '2025-12-01 10:00:00', '+' || (w.k * 7) || ' days', "
                f"'+{hours * 60 + minutes} minutes') || '.000000'"
            )
    else:
        weeks = f"generate_series(0, {WEEKS - 1}) AS w(k)"
        yes = "true"

        def at(hours: int, minutes: int = 0) -> str:
            return f"timestamptz '2025-12-01 10:00:00+00' + make_interval(weeks => w.k, mins => {hours * 60 + minutes})"

    row_id = f"(w.k * {n} + c.id)"
    statements = [
        f"""INSERT INTO checkins (id, team_id, commitment_id, scheduled_at, state, send_attempts, reminders_sent,
            snoozes, sent_at, channel_id, place, message_ts, evaluated, answer, answered_by, answered_at,
            answer_change_closed)
            SELECT {row_id}, '{TEAM}', c.id, {at(0)}, 'answered', 1, 0, 0, {at(0)}, 'D' || c.id, 'dm',
                   '1700000000.' || {row_id}, {yes}, 'done', 'U' || c.id, {at(2)}, {yes}
            FROM {weeks} CROSS JOIN commitments AS c""",
        f"""INSERT INTO diary_entries (id, team_id, account_id, commitment_id, checkin_id, occurred_at,
            actor_user_id, side, kind, text, private, dedupe_key)
            SELECT {row_id}, '{TEAM}', c.account_id, c.id, {row_id}, {at(2)}, 'U' || c.id, 'customer',
                   'checkin_answered', 'Done: the week''s bookings logged', {"0" if sqlite else "false"},
                   'checkin:' || {row_id} || ':answer'
            FROM {weeks} CROSS JOIN commitments AS c""",
        f"""INSERT INTO diary_shares (entry_id, team_id, thread_id, message_ts, claimed_at)
            SELECT {row_id}, '{TEAM}', (c.account_id - 1) * {WEEKS} + w.k + 1, '1700000001.' || {row_id}, {at(2, 1)}
            FROM {weeks} CROSS JOIN commitments AS c""",
    ]
    # Indexes are built once over the finished tables rather than kept up row by row (several times
    # faster), and PostgreSQL checks no foreign keys for rows whose parents were just written.
    tables = ("checkins", "diary_entries", "diary_shares")
    indexes = _drop_indexes(connection, tables)
    if not sqlite:
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
    for statement in statements:
        connection.exec_driver_sql(statement)
    if not sqlite:
        connection.exec_driver_sql("SET LOCAL session_replication_role = origin")
    for create in indexes:
        connection.exec_driver_sql(create)


def _drop_indexes(connection: Any, tables: tuple[str, ...]) -> list[str]:
    """Drops the tables' secondary indexes (not primary keys or unique constraints) and returns the
    statements that make them again."""
    names = ", ".join(f"'{t}'" for t in tables)
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({names}) AND sql IS NOT NULL"
        ).all()
    else:
        rows = connection.exec_driver_sql(
            f"""SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.tablename IN ({names}) AND i.schemaname = 'public'
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""
        ).all()
    for name, _ in rows:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return [create for _, create in rows]


def due_now(url: str, count: int, at: datetime) -> None:
    """`count` check-ins due at `at` (an extra occurrence for the first commitments)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            insert(CheckIn),
            [dict(team_id=TEAM, commitment_id=i + 1, scheduled_at=at, state=CheckInState.DUE, send_attempts=0,
                  reminders_sent=0, snoozes=0) for i in range(count)],
        )  # fmt: skip
    engine.dispose()


@dataclass
class PassCosts:
    idle: float  # seconds, median
    busy: float  # seconds, the pass sending 100
    statements: int  # in one idle pass
    costliest: list[tuple[float, str]]  # (ms, what) of one idle pass's slowest statements


def pass_costs(url: str, emulator: SlackEmulator, sizes: Sizes, *, due: int) -> PassCosts:
    engine = make_engine(url)
    sessions = session_factory(engine)
    gateway = SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url, clock=True))
    run_due_work(sessions, gateway, now=IDLE_AT - timedelta(minutes=5))  # warm: connections, caches
    timings = []
    for k in range(sizes.passes):
        started = time.perf_counter()
        report = run_due_work(sessions, gateway, now=IDLE_AT + timedelta(minutes=k))
        timings.append(time.perf_counter() - started)
        if report.sent or report.created or report.errors:
            raise RuntimeError(f"an idle pass did work: {report}")
    statements = count_statements(
        engine, lambda: run_due_work(sessions, gateway, now=IDLE_AT + timedelta(minutes=20))
    )
    costliest = statement_profile(
        engine, lambda: run_due_work(sessions, gateway, now=IDLE_AT + timedelta(minutes=21))
    )
    due_now(url, due, DUE_AT - timedelta(minutes=1))
    started = time.perf_counter()
    report = run_due_work(sessions, gateway, now=DUE_AT)
    busy = time.perf_counter() - started
    if report.sent != due:
        raise RuntimeError(f"the busy pass sent {report.sent} of {due}: {report}")
    engine.dispose()
    return PassCosts(idle=statistics.median(timings), busy=busy, statements=statements, costliest=costliest)


def count_statements(engine: Engine, work: Any) -> int:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def statement_profile(engine: Engine, work: Any, top: int = 3) -> list[tuple[float, str]]:
    """The slowest statements of `work`, timed at the driver: what a pass reads that costs."""
    started: dict[int, float] = {}
    seen: list[tuple[float, str]] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        elapsed = (time.perf_counter() - started.pop(id(cursor), time.perf_counter())) * 1000
        seen.append((elapsed, _what(statement)))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return sorted(seen, reverse=True)[:top]


def _what(statement: str) -> str:
    """A statement in a few words: its verb, its table and its condition, cut short."""
    words = " ".join(statement.split())
    verb = words.split(" ", 1)[0]
    table = words.split(" FROM ", 1)[1].split(" ", 1)[0] if " FROM " in words else words.split(" ")[2]
    where = words.split(" WHERE ", 1)[1][:80] if " WHERE " in words else ""
    return f"{verb} {table}" + (f" WHERE {where}…" if where else "")


def digest_figures(url: str, sizes: Sizes) -> list[Figure]:
    """A year of digests for every account: the clock's digest query over the history seeded above."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    end = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def build(accounts: int) -> tuple[float, int]:
        with sessions() as session:
            chosen = list(session.scalars(select(Account).order_by(Account.id).limit(accounts)))
            seen: list[float] = []

            def work() -> None:
                started = time.perf_counter()
                build_digest(session, chosen, schedule=DigestSchedule(), period_end=end)
                seen.append(time.perf_counter() - started)

            statements = count_statements(engine, work)
            return seen[0], statements

    build(1)  # warm the pool and the statement caches
    small_time, small_statements = build(sizes.digest_accounts // 10)
    full_time, full_statements = build(sizes.digest_accounts)
    engine.dispose()
    n = sizes.digest_accounts
    return [
        Figure(
            section="History",
            name=f"digest of {n:,} accounts × {WEEKS} weeks, PostgreSQL",
            value=full_time,
            unit="s",
            goal=f"< {GOAL_DIGEST_S:.0f} s",
            met=full_time < GOAL_DIGEST_S,
            baseline_name=f"{n // 10} accounts",
            baseline=small_time,
        ),
        Figure(
            section="History",
            name=f"digest statements for {n:,} accounts, PostgreSQL",
            value=full_statements,
            unit="count",
            goal="the same as for a tenth of the accounts",
            met=full_statements == small_statements,
            baseline_name=f"{n // 10} accounts",
            baseline=small_statements,
        ),
    ]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory_figure(url: str, emulator: SlackEmulator, sizes: Sizes, backend: str) -> Figure:
    engine = make_engine(url)
    sessions = session_factory(engine)
    gateway = SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url, clock=True))
    early = 0.0
    checkpoint = max(1, sizes.memory_passes // 10)
    for k in range(sizes.memory_passes):
        run_due_work(sessions, gateway, now=DUE_AT + timedelta(minutes=1, seconds=10 * k))
        if k + 1 == checkpoint:
            gc.collect()
            early = rss_mb()
    gc.collect()
    late = rss_mb()
    engine.dispose()
    growth = (late - early) / early if early else 0.0
    return Figure(
        section="Memory", name=f"clock RSS after {sizes.memory_passes} idle passes ({sizes.small:,} commitments), {backend}",
        value=late, unit="MB", goal=f"≤ {1 + GOAL_GROWTH:.2f}× the RSS after pass {checkpoint}",
        met=growth <= GOAL_GROWTH, baseline_name=f"after pass {checkpoint}", baseline=early,
    )  # fmt: skip


def run(smoke: bool) -> Result:
    sizes = SMOKE if smoke else FULL
    result = Result()
    seeding: list[str] = []
    with SlackEmulator(token=TOKEN, team_id=TEAM).start() as emulator:
        for i in range(sizes.large):
            emulator.add_user(f"U{i:07d}", team_id=TEAM, tz="Europe/London")
        for backend, database in (("SQLite", sqlite_url), ("PostgreSQL", postgres_url)):
            costs: dict[int, PassCosts] = {}
            for n in (sizes.small, sizes.large):
                # A new SQLite file per size: emptying one that holds millions of rows, foreign keys
                # checked row by row, would take longer than the measurement.
                url = database()
                started = time.perf_counter()
                seed(url, n)
                seeding.append(f"{n:,} commitments on {backend} in {time.perf_counter() - started:.0f} s")
                costs[n] = pass_costs(url, emulator, sizes, due=min(DUE, sizes.small))
                if n == sizes.small:  # after the timed passes, which it would otherwise warm
                    result.figures.append(memory_figure(url, emulator, sizes, backend))
                if backend == "PostgreSQL" and n == sizes.large:
                    result.figures += digest_figures(url, sizes)
                emulator.reset()
            small, large = costs[sizes.small], costs[sizes.large]
            result.figures += [
                Figure(
                    section="History",
                    name=f"idle pass, {sizes.large:,} commitments × {WEEKS} weeks answered, {backend}",
                    value=large.idle * 1000,
                    unit="ms",
                    goal=f"≤ {GOAL_RATIO:.0f}× the {sizes.small:,} figure",
                    met=large.idle <= GOAL_RATIO * small.idle,
                    baseline_name=f"{sizes.small:,} commitments",
                    baseline=small.idle * 1000,
                ),
                Figure(
                    section="History",
                    name=f"pass sending {min(DUE, sizes.small)} due, {sizes.large:,} commitments, {backend}",
                    value=large.busy * 1000,
                    unit="ms",
                    goal=f"≤ {GOAL_RATIO:.0f}× the {sizes.small:,} figure",
                    met=large.busy <= GOAL_RATIO * small.busy,
                    baseline_name=f"{sizes.small:,} commitments",
                    baseline=small.busy * 1000,
                ),
                Figure(
                    section="History",
                    name=f"statements in an idle pass, {sizes.large:,} commitments, {backend}",
                    value=large.statements,
                    unit="count",
                    baseline_name=f"{sizes.small:,} commitments",
                    baseline=small.statements,
                ),
            ]
            for n, cost in costs.items():
                slowest = "; ".join(f"{ms:.1f} ms {what}" for ms, what in cost.costliest)
                result.notes.append(
                    f"Idle pass at {n:,} commitments on {backend}: {cost.statements} statements, "
                    f"the slowest {slowest}."
                )
    result.notes.append(
        "What an idle pass read that was not due: the shared-diary step joined every diary entry ever "
        "written against every copy ever posted to find the few not yet shared (the pass's costliest "
        "read, growing with history), and asked whether any copy was abandoned by scanning every copy; "
        "it now reads a short list of entries still to share (diary_to_share, written with the entry and "
        "cleared once its copy is posted) and a partial index over copies still in flight. Time off "
        "reads people by an index on away_until, and the weekly-review step joins each account's "
        "champion instead of sending an IN list of every champion. The weekly-review and digest steps "
        "loaded every account each pass to work out whose local review or digest time had come; each "
        "account now stores its next review and digest instant (next_review_at, next_digest_at: set by "
        "the clock once the review or digest due is dealt with, reset to None by any change of review "
        "day, champion, champion's zone, digest channel or workspace digest schedule), and the pass reads "
        "only the accounts whose instant has come, through an index. Ended pauses and passed vendor due "
        "dates are read through indexes of their own; the scheduling read lost its ORDER BY, which made "
        "SQLite walk every commitment in ID order instead of using the index on next_checkin_at. Claims "
        "of reviews and digests left behind, escalation posts to retry and plans awaiting an answer are "
        "indexed too, so that history does not grow them."
    )
    result.notes.append(
        f"History: {WEEKS} answered weekly check-ins per commitment, each with its diary entry copied to the "
        f"weekly thread; idle pass = median of {sizes.passes}. Seeding: {'; '.join(seeding)}."
    )
    return result


if __name__ == "__main__":
    raise SystemExit(cli(run, __doc__))
