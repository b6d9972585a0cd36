"""How close the clock comes to Slack's rate limit when many check-ins fall due at once, losing and
doubling none — beside a naive one-after-another sender on its own emulator, in the same run.

Each run seeds N check-ins due now (one person each, so one DM each) in PostgreSQL and starts K clock
processes with the Procfile's `clock:` line, as production does (a pass at start, then one a minute).
The emulator answers every call after 100 ms, limits `chat.postMessage` to a ceiling per minute
counted over a one-second sliding window (429 with `Retry-After` above it), and answers 5 % of calls
with a 5xx, half of those after the message was posted (the answer lost on the way back). Deliveries
are read from Slack's side: check-ins carried by the messages the emulator stored. Figures: seconds
until the last check-in was delivered; delivered per second as a share of the ceiling (goal ≥ 0.9);
lost (the product holds it delivered yet Slack never stored it, or gave up on it; goal 0) apart from
not yet delivered when measured (the product's rows still have it due again later, or claimed by a
send whose fate a later pass settles from Slack's history; goal 0); doubled (delivered twice; goal 0);
the same for two and three clocks (throughput must not fall); the clock's peak RSS (goal ≤ 250 MB).
One, two and three clocks send the same N at the same ceiling, so start-up and ramp-up weigh the same
on each, and the rate is read the same way for each: check-ins delivered (whichever clock sent them)
over the seconds from the first Slack call any clock made to the last delivery seen — process start-up
and seeding are outside that span, ramp-up and the tail inside it.
The naive sender loops over the same people with slack_sdk's default client (no retries beyond its
defaults), on its own emulator with the same settings, while the product's run at that ceiling goes on.
Run: python bench/sending.py [--smoke]. While iterating, BENCH_SENDING_N sets the N of the one-,
two- and three-clock cases and BENCH_SENDING_CLOCKS (e.g. "1,2") which of them run, without the 600/min
case and its naive sender; BENCH_SENDING_LOGS names a folder for the clocks' logs.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slack_sdk import WebClient  # noqa: E402
from slack_sdk.errors import SlackApiError, SlackClientError  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bench.databases import fresh_schema, postgres_url  # noqa: E402
from bench.figures import Figure, Result, cli  # noqa: E402
from bench.processes import peak_rss_mb, procfile_words  # noqa: E402
from bot.checkins.sending import CHECKIN_EVENT  # noqa: E402
from bot.slack.pacing import POSTS_PER_MINUTE_ENV  # noqa: E402
from models import Account, CheckIn, CheckInState, Commitment, CommitmentStatus, Person, Side  # noqa: E402
from models.db import make_engine  # noqa: E402
from slack_emulator import SlackEmulator  # noqa: E402
from slack_emulator.methods import METHODS  # noqa: E402

TEAM, TOKEN = "T0BENCH", "xoxb-bench"
LATENCY, FAILURES, AFTER_EFFECT = 0.1, 0.05, 0.5
GOAL_SHARE, GOAL_RSS_MB = 0.9, 250.0


@dataclass(frozen=True)
class Case:
    checkins: int
    per_minute: int
    clocks: int


# Sized for this module's 8-minute budget: one, two and three clocks each send the same 4,000 at
# 3,000/min (80 s at the ceiling), so their rates compare like for like; at 600/min 4,000 would take
# 7 minutes, so 1,000 there, with one clock and the naive sender beside it.
CLOCKS_CHECKINS = 4000
FULL = [Case(CLOCKS_CHECKINS, 3000, clocks) for clocks in (1, 2, 3)] + [Case(1000, 600, 1)]
SMOKE = [Case(30, 600, 1), Case(60, 3000, 1), Case(60, 3000, 2)]
N_ENV, CLOCKS_ENV, LOGS_ENV = "BENCH_SENDING_N", "BENCH_SENDING_CLOCKS", "BENCH_SENDING_LOGS"
# The naive sender runs beside the product's run at this ceiling (10 calls a second at most, one
# after another at 100 ms each: at 3,000/min it could reach a fifth of the ceiling at best).
NAIVE_CEILING = 600


def users(n: int) -> list[str]:
    return [f"UB{i:06d}" for i in range(n)]


def configure(emulator: SlackEmulator, per_minute: int) -> None:
    for method in METHODS:
        emulator.delay(method, LATENCY)
        emulator.fail_randomly(method, rate=FAILURES, after_effect=AFTER_EFFECT, seed=len(method))
    emulator.set_rate_limit("chat.postMessage", per_minute=per_minute, window_seconds=1)
    emulator.set_channel_rate_limit("chat.postMessage", per_second=1, burst=10)


def seed(url: str, people: list[str], due: datetime) -> None:
    fresh_schema(url)
    engine = make_engine(url)
    created = due - timedelta(days=10)
    with engine.begin() as connection:
        connection.execute(
            insert(Account),
            [dict(id=1, team_id=TEAM, name="Bench", name_key="bench", shared_channel_id="C0S", escalation_channel_id="C0E",
                  csm_user_id="U0CSM", champion_user_id=people[0], created_by="U0CSM", created_at=created)],
        )  # fmt: skip
        connection.execute(
            insert(Person),
            [dict(id=i + 1, team_id=TEAM, user_id=u, side=Side.CUSTOMER, tz="Europe/London") for i, u in enumerate(people)],
        )  # fmt: skip
        connection.execute(
            insert(Commitment),
            [dict(id=i + 1, team_id=TEAM, account_id=1, side=Side.CUSTOMER, owner_id=i + 1, action="Log bookings",
                  rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=created.date(), local_time=clock_time(10),
                  schedule_text="every Monday at 10:00", status=CommitmentStatus.ACTIVE, scheduled_through=due,
                  next_checkin_at=due + timedelta(days=7), agreed_at=created, created_by="U0CSM", created_at=created)
             for i in range(len(people))],
        )  # fmt: skip
        connection.execute(
            insert(CheckIn),
            [dict(team_id=TEAM, commitment_id=i + 1, scheduled_at=due, state=CheckInState.DUE) for i in range(len(people))],
        )  # fmt: skip
    engine.dispose()


def delivered(emulator: SlackEmulator) -> Counter[str]:
    """Check-in IDs carried by the messages Slack stored, with how many messages carried each."""
    seen: Counter[str] = Counter()
    for _, _, metadata in emulator.posted_metadata():
        if metadata.get("event_type") == CHECKIN_EVENT:
            seen.update(str(i) for i in metadata["event_payload"]["checkin_ids"])
    return seen


@dataclass
class Outcome:
    seconds: float  # from the first Slack call to the last delivery seen (process start-up not counted)
    delivered: int
    doubled: int
    lost: int  # the product holds them delivered (sent, or later), yet Slack never stored them
    peak_rss_mb: float
    # Not in Slack when the run stopped counting, and the product knows it: due again later, or
    # claimed by a send whose fate a later pass settles from Slack's history. Not lost: still coming.
    waiting: int = 0
    failed: int = 0  # recorded undeliverable (a person would be told); none expected here


def clock_log(case: Case, number: int) -> int | IO[bytes]:
    """Where a clock's log goes: nowhere, or a file under BENCH_SENDING_LOGS while iterating."""
    folder = os.environ.get(LOGS_ENV, "").strip()
    if not folder:
        return subprocess.DEVNULL
    Path(folder).mkdir(parents=True, exist_ok=True)
    return open(Path(folder) / f"{case.checkins}-{case.per_minute}-{case.clocks}-{number}.log", "wb")


def undelivered_states(url: str, checkin_ids: list[int]) -> Counter[CheckInState]:
    """What the product's rows say of the check-ins Slack never stored."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return Counter(connection.scalars(select(CheckIn.state).where(CheckIn.id.in_(checkin_ids))).all())
    finally:
        engine.dispose()


def run_product(url: str, case: Case, *, allowed: float) -> Outcome:
    people = users(case.checkins)
    with SlackEmulator(token=TOKEN, team_id=TEAM).start() as emulator:
        for user in people:
            emulator.add_user(user, team_id="T0BENCHCUST", tz="Europe/London")
        configure(emulator, case.per_minute)
        due = datetime.now(UTC) - timedelta(minutes=1)
        seed(url, people, due)
        # The operator tells the clock the workspace's ceiling (Slack does not publish it); the clocks
        # share it through the database, and Slack's 429s pause them if together they go over.
        env = {**os.environ, "DATABASE_URL": url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": emulator.api_url,
               "PYTHONPATH": str(ROOT), POSTS_PER_MINUTE_ENV: str(case.per_minute)}  # fmt: skip
        for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET", "SLACK_BOT_TOKENS"):
            env.pop(name, None)
        started = time.monotonic()
        clocks = [
            subprocess.Popen(
                procfile_words("clock"),
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=clock_log(case, number),
            )
            for number in range(case.clocks)
        ]
        # Polled by a count that copies nothing: reading every message's metadata twice a second
        # would hold the emulator's lock, and slow the Slack being measured, as the posts pile up.
        last, posts, peak = started, 0, 0.0
        try:
            while time.monotonic() - started < allowed:
                time.sleep(0.5)
                count = emulator.posted_metadata_count()
                if count != posts:
                    last, posts = time.monotonic(), count
                peak = max(max(peak, peak_rss_mb(c.pid)) for c in clocks)
                if count >= case.checkins and len(delivered(emulator)) == case.checkins:
                    time.sleep(2)  # anything still in flight that would double a check-in
                    break
        finally:
            for clock in clocks:
                peak = max(peak, peak_rss_mb(clock.pid))
                clock.terminate()
            for clock in clocks:
                clock.wait(timeout=30)
        seen = delivered(emulator)
        first_call = min((c.received_at for c in emulator.calls), default=started)
    missing = [i for i in range(1, case.checkins + 1) if str(i) not in seen]
    states = undelivered_states(url, missing) if missing else Counter[CheckInState]()
    waiting = states[CheckInState.DUE] + states[CheckInState.SENDING]
    failed = states[CheckInState.FAILED]
    return Outcome(
        seconds=last - first_call,
        delivered=len(seen),
        doubled=sum(1 for count in seen.values() if count > 1),
        lost=len(missing) - waiting - failed,
        peak_rss_mb=peak,
        waiting=waiting,
        failed=failed,
    )


def run_naive(case: Case, result: dict[str, Outcome]) -> None:
    """One chat.postMessage after another, each error logged and passed over: what a first version of
    a check-in bot does."""
    people = users(case.checkins)
    with SlackEmulator(token=TOKEN, team_id=TEAM).start() as emulator:
        for user in people:
            emulator.add_user(user, team_id="T0BENCHCUST", tz="Europe/London")
        configure(emulator, case.per_minute)
        client = WebClient(token=TOKEN, base_url=emulator.api_url, timeout=10)
        for number, user in enumerate(people, start=1):
            metadata = {"event_type": CHECKIN_EVENT, "event_payload": {"checkin_ids": [str(number)]}}
            try:
                client.chat_postMessage(
                    channel=user, text="Did you log the week's bookings?", metadata=metadata
                )
            except (SlackApiError, SlackClientError, OSError):
                continue
        seconds = time.monotonic() - emulator.calls[0].received_at if emulator.calls else 0.0
        seen = delivered(emulator)
    result["naive"] = Outcome(
        seconds=seconds,
        delivered=len(seen),
        doubled=sum(1 for count in seen.values() if count > 1),
        lost=case.checkins - len(seen),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def figures(case: Case, outcome: Outcome, *, who: str, one_clock: Outcome | None) -> list[Figure]:
    ceiling = case.per_minute / 60
    rate = outcome.delivered / outcome.seconds if outcome.seconds else 0.0
    label = f"{case.checkins:,} due, ceiling {case.per_minute:,}/min, {who}"
    out = [
        Figure(
            section="Sending",
            name=f"delivered per second as a share of the ceiling, {label}",
            value=rate / ceiling,
            unit="share",
            goal=f"≥ {GOAL_SHARE}",
            met=rate / ceiling >= GOAL_SHARE and outcome.lost == outcome.waiting == outcome.failed == 0,
        ),
        Figure(
            section="Sending",
            name=f"seconds to the last delivery, {label}",
            value=outcome.seconds,
            unit="s",
            baseline_name="at the ceiling",
            baseline=case.checkins / ceiling,
        ),
        Figure(
            section="Sending",
            name=f"lost (held delivered, not in Slack; or given up), {label}",
            value=outcome.lost,
            unit="count",
            goal="0",
            met=outcome.lost == 0,
        ),
        Figure(
            section="Sending",
            name=f"not yet delivered when measured (due again, or a claim a later pass settles), {label}",
            value=outcome.waiting,
            unit="count",
            goal="0",
            met=outcome.waiting == 0,
        ),
        Figure(
            section="Sending",
            name=f"doubled, {label}",
            value=outcome.doubled,
            unit="count",
            goal="0",
            met=outcome.doubled == 0,
        ),
    ]
    if one_clock is not None:
        base = one_clock.delivered / one_clock.seconds if one_clock.seconds else 0.0
        out.append(
            Figure(
                section="Sending",
                name=f"delivered per second, {label}",
                value=rate,
                unit="/s",
                goal="not below one clock",
                met=rate >= base * 0.95,
                baseline_name="one clock",
                baseline=base,
            )
        )
    return out


def chosen_cases(smoke: bool) -> list[Case]:
    """The full or smoke cases, or while iterating those `BENCH_SENDING_N`/`BENCH_SENDING_CLOCKS` ask."""
    n, clocks = os.environ.get(N_ENV, "").strip(), os.environ.get(CLOCKS_ENV, "").strip()
    if not n and not clocks:
        return SMOKE if smoke else FULL
    counts = [int(c) for c in clocks.split(",")] if clocks else [1, 2, 3]
    return [Case(int(n or CLOCKS_CHECKINS), 3000, c) for c in counts]


def run(smoke: bool) -> Result:
    cases = chosen_cases(smoke)
    # In CI a run only has to show the machinery works: a check-in held for the next minute's pass
    # counts as not yet delivered.
    smoke_allowed = 12.0
    url = postgres_url()
    result = Result()
    # Each case is compared with one clock's run of the same size at the same ceiling.
    one_clock: dict[tuple[int, int], Outcome] = {}
    peak = 0.0
    for case in cases:
        allowed = smoke_allowed if smoke else 3 * case.checkins / (case.per_minute / 60) + 90
        naive: dict[str, Outcome] = {}
        thread = None
        if case.clocks == 1 and case.per_minute == NAIVE_CEILING:
            thread = threading.Thread(target=run_naive, args=(case, naive))
            thread.start()
        outcome = run_product(url, case, allowed=allowed)
        peak = max(peak, outcome.peak_rss_mb)
        if thread is not None:
            thread.join()
        who = f"{case.clocks} clock{'s' if case.clocks > 1 else ''}"
        key = (case.checkins, case.per_minute)
        result.figures += figures(case, outcome, who=who, one_clock=one_clock.get(key))
        if case.clocks == 1:
            one_clock[key] = outcome
        if "naive" in naive:
            result.figures += figures(case, naive["naive"], who="naive sequential sender", one_clock=None)
    result.figures.append(
        Figure(
            section="Memory",
            name="clock process peak RSS while sending",
            value=peak,
            unit="MB",
            goal=f"≤ {GOAL_RSS_MB:.0f} MB",
            met=0 < peak <= GOAL_RSS_MB,
        )
    )
    result.notes.append(
        f"Sending: PostgreSQL; the emulator answers after {LATENCY * 1000:.0f} ms, limits chat.postMessage per "
        f"one-second window, and fails {FAILURES:.0%} of calls with a 5xx ({AFTER_EFFECT:.0%} of those after "
        "posting). Cases: "
        + "; ".join(f"{c.checkins:,} due at {c.per_minute:,}/min with {c.clocks} clock(s)" for c in cases)
        + f". The naive sender: the {NAIVE_CEILING}/min case's people, on its own emulator, at the same time. "
        "One, two and three clocks send the same number at the same ceiling; each rate is delivered "
        "over the span from the first Slack call any clock made to the last delivery. The clock sends with a bounded pool of threads, "
        "spaced per workspace by the ceiling it is told (SLACK_POSTS_PER_MINUTE), shared between the clocks "
        "through PostgreSQL, and per channel a second apart; a 429 pauses that workspace, in every clock, "
        "for Retry-After; after a 5xx the post is sent again "
        "in the same pass once the history shows it did not land."
    )
    return result


if __name__ == "__main__":
    raise SystemExit(cli(run, __doc__))
