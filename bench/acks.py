"""Request → ack latency of the real web process, beside a Bolt app that only acks, in one run.

Both are served by the Procfile's `web:` command line (gunicorn, its workers and threads) on a
loopback port; 20 clients send correctly signed requests over HTTP; the Slack emulator answers every
Web API call after 100 ms, as Slack does. Measured per kind: slash commands (`help`, and `account add`,
which opens a form), the check-in buttons Done (written inside the ack) and Not yet (opens the note
form: `views.open` within the trigger's 3 seconds), the note form's submission, and `GET /healthz`.
The product's work after the ack (redraws, forms) competes for the same cores, as in production; the
run waits for it to finish before reading CPU and memory.

Figures per database: p99 per kind against the bare app's p99 for the same kind (goal ≤ 250 ms and
≤ 1.5×), the slowest ack (goal ≤ 1 s), requests per second served by each, worker CPU per request,
and each web worker's peak RSS after the whole run (goal ≤ 150 MB).
Run: python bench/acks.py [--smoke]
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import bindparam, insert, update  # noqa: E402

from app import create_web_app  # noqa: E402
from bench.databases import fresh_schema, postgres_url, sqlite_url  # noqa: E402
from bench.figures import Figure, Result, cli  # noqa: E402
from bench.processes import peak_rss_mb, procfile_words  # noqa: E402
from bot.settings import Settings  # noqa: E402
from models import Account, CheckIn, CheckInState, Commitment, CommitmentStatus, Person, Side  # noqa: E402
from models.db import make_engine  # noqa: E402
from slack_emulator import SlackEmulator  # noqa: E402
from slack_emulator.methods import METHODS  # noqa: E402
from slack_emulator.outbound import HttpResult, SlackSender  # noqa: E402

TOKEN, SECRET, TEAM, CSM = "xoxb-bench", "bench-secret", "T0BENCH", "U0CSM"
CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SLACK_LATENCY = 0.1
CLIENTS = 20
PRODUCT = "app:wsgi_from_env()"
BARE = "bench.bare_bolt:wsgi()"
GOAL_P99_MS, GOAL_RATIO, GOAL_MAX_MS, GOAL_RSS_MB = 250.0, 1.5, 1000.0, 150.0


@dataclass(frozen=True)
class Sizes:
    done: int  # Done clicks, one open check-in each
    not_yet: int  # Not yet clicks, then their note forms submitted
    commands: int  # of each command
    health: int


FULL = Sizes(done=600, not_yet=200, commands=150, health=300)
SMOKE = Sizes(done=20, not_yet=10, commands=10, health=20)


def web_command(port: int, target: str) -> list[str]:
    """The Procfile's `web:` line, its port filled in and, for the floor, its app swapped."""
    return [target if w == PRODUCT else w.replace("$PORT", str(port)) for w in procfile_words("web")]


def seed(url: str, sizes: Sizes) -> list[tuple[int, str]]:
    """One open check-in per click, each owned by its own person: (check-in id, owner)."""
    fresh_schema(url)
    engine = make_engine(url)
    count = sizes.done + sizes.not_yet
    with engine.begin() as connection:
        connection.execute(
            insert(Account),
            [dict(id=1, team_id=TEAM, name="Bench", name_key="bench", shared_channel_id="C0S",
                  escalation_channel_id="C0E", csm_user_id=CSM, champion_user_id="U000000", created_by=CSM,
                  created_at=CREATED)],
        )  # fmt: skip
        connection.execute(
            insert(Person),
            [dict(id=i + 1, team_id=TEAM, user_id=f"U{i:06d}", side=Side.CUSTOMER, tz="Europe/London")
             for i in range(count)],
        )  # fmt: skip
        connection.execute(
            insert(Commitment),
            [dict(id=i + 1, team_id=TEAM, account_id=1, side=Side.CUSTOMER, owner_id=i + 1, action="Log bookings",
                  rrule="FREQ=WEEKLY;BYDAY=MO", starts_on=CREATED.date(), local_time=clock_time(10),
                  schedule_text="every Monday at 10:00", status=CommitmentStatus.ACTIVE, agreed_at=CREATED,
                  scheduled_through=CREATED, created_by=CSM, created_at=CREATED) for i in range(count)],
        )  # fmt: skip
        connection.execute(
            insert(CheckIn),
            [dict(id=i + 1, team_id=TEAM, commitment_id=i + 1, scheduled_at=CREATED, state=CheckInState.SENT,
                  channel_id=f"D{i:06d}", message_ts=f"1700000000.{i:06d}", send_attempts=1, reminders_sent=0,
                  sent_at=CREATED) for i in range(count)],
        )  # fmt: skip
    engine.dispose()
    return [(i + 1, f"U{i:06d}") for i in range(count)]


def post_checkin_messages(
    emulator: SlackEmulator, url: str, targets: list[tuple[int, str]]
) -> dict[int, tuple[str, str]]:
    """Each check-in's DM, posted in the emulator and recorded on its row, so a Done's redraw updates a
    message Slack holds — as in production — rather than failing and falling back to a second DM."""
    client = WebClient(token=TOKEN, base_url=emulator.api_url)
    emulator.delay("chat.postMessage", 0)  # setting the scene is not what is measured
    placed: dict[int, tuple[str, str]] = {}
    for checkin_id, owner in targets:
        posted = client.chat_postMessage(channel=owner, text="Did you log this week's bookings?")
        placed[checkin_id] = (str(posted["channel"]), str(posted["ts"]))
    emulator.delay("chat.postMessage", SLACK_LATENCY)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            update(CheckIn).where(CheckIn.id == bindparam("row_id")),
            [{"row_id": i, "channel_id": channel, "message_ts": ts} for i, (channel, ts) in placed.items()],
        )
    engine.dispose()
    return placed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def workers_of(master: int) -> list[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children]


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


@dataclass
class Served:
    latencies: dict[str, list[float]]
    requests_per_second: float
    cpu_ms_per_request: float
    worker_rss_mb: list[float]
    requests: int
    not_acked: int  # requests whose listener missed Bolt's 3-second ack (Slack would show an error)


def serve_and_load(
    target: str,
    url: str,
    emulator: SlackEmulator,
    targets: list[tuple[int, str]],
    placed: dict[int, tuple[str, str]],
    sizes: Sizes,
) -> Served:
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": emulator.api_url, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}  # fmt: skip
    env.pop("SLACK_CLIENT_ID", None)
    server = subprocess.Popen(
        web_command(port, target), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
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
                    raise RuntimeError(f"{target} did not start") from None
                time.sleep(0.2)  # waiting for gunicorn to bind
        sender = SlackSender(
            app_url=base, signing_secret=SECRET, team_id=TEAM,
            response_url=emulator.new_response_url, trigger_id=emulator.new_trigger_id,
        )  # fmt: skip
        done, not_yet = targets[: sizes.done], targets[sizes.done : sizes.done + sizes.not_yet]

        def health() -> HttpResult:
            with urllib.request.urlopen(f"{base}/healthz", timeout=10) as reply:
                return HttpResult(reply.status, reply.read().decode())

        def click(action_id: str, target: tuple[int, str]) -> Callable[[], HttpResult]:
            checkin_id, owner = target
            channel, ts = placed[checkin_id]
            return lambda: sender.click(
                action_id=action_id, value=str(checkin_id), user_id=owner, channel_id=channel, message_ts=ts
            )

        def submit(target: tuple[int, str]) -> Callable[[], HttpResult]:
            checkin_id, owner = target
            return lambda: sender.submit_view(
                callback_id="checkin_note_form", user_id=owner,
                values={"note": {"type": "plain_text_input", "value": "Waiting on the export"}},
                private_metadata=json.dumps({"checkin_id": checkin_id, "answer": "not_yet"}),
            )  # fmt: skip

        kinds: dict[str, list[Callable[[], HttpResult]]] = {
            "GET /healthz": [health] * sizes.health,
            "/accountability help": [lambda: sender.command("help", user_id=CSM)] * sizes.commands,
            "/accountability account add (opens a form)": [lambda: sender.command("account add", user_id=CSM)]
            * sizes.commands,
            "click Done": [click("checkin_answer_done", t) for t in done],
            "click Not yet (opens a form)": [click("checkin_answer_not_yet", t) for t in not_yet],
            "submit the note form": [submit(t) for t in not_yet],
        }
        # Warm up as a running server is: each worker has connected, imported and asked auth.test once.
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            list(pool.map(lambda _: sender.command("help", user_id=CSM), range(2 * CLIENTS)))
        workers = workers_of(server.pid)
        cpu_before = cpu_seconds(workers)
        latencies: dict[str, list[float]] = {}
        refused: dict[str, int] = {}
        busy = 0.0
        for kind, requests in kinds.items():

            def timed(request: Callable[[], HttpResult], kind: str = kind) -> float:
                started = time.perf_counter()
                result = request()
                elapsed = time.perf_counter() - started
                if result.status == 404 and "unhandled request" in result.body:
                    # Bolt's answer when a listener did not ack within its 3 seconds: Slack shows an error.
                    refused[kind] = refused.get(kind, 0) + 1
                elif result.status != 200:
                    raise RuntimeError(f"{kind}: answered {result.status} {result.body[:200]}")
                return elapsed

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
                latencies[kind] = list(pool.map(timed, requests))
            busy += time.perf_counter() - started
        answered = sum(len(v) for v in latencies.values())
        time.sleep(3 * SLACK_LATENCY + 1)  # the work after the last acks
        if target == PRODUCT:
            emulator.wait_for("chat.update", count=len(done), timeout=120)
        cpu = cpu_seconds(workers) - cpu_before
        return Served(
            latencies=latencies,
            requests_per_second=answered / busy,
            cpu_ms_per_request=cpu / answered * 1000,
            worker_rss_mb=[peak_rss_mb(pid) for pid in workers],
            requests=answered,
            not_acked=sum(refused.values()),
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


def figures_for(backend: str, product: Served, bare: Served) -> list[Figure]:
    out = []
    for kind, values in product.latencies.items():
        p99 = percentile(values, 0.99) * 1000
        floor = percentile(bare.latencies[kind], 0.99) * 1000
        out.append(
            Figure(
                section="Acks",
                name=f"{kind}: ack p99, {backend}",
                value=p99,
                unit="ms",
                goal=f"≤ {GOAL_P99_MS:.0f} ms and ≤ {GOAL_RATIO}× bare Bolt",
                met=p99 <= GOAL_P99_MS and p99 <= GOAL_RATIO * floor,
                baseline_name="bare Bolt p99",
                baseline=floor,
            )
        )
    slowest = max(max(v) for v in product.latencies.values()) * 1000
    out.append(
        Figure(
            section="Acks",
            name=f"slowest ack of {product.requests} requests, {backend}",
            value=slowest,
            unit="ms",
            goal=f"≤ {GOAL_MAX_MS:.0f} ms",
            met=slowest <= GOAL_MAX_MS,
            baseline_name="bare Bolt slowest",
            baseline=max(max(v) for v in bare.latencies.values()) * 1000,
        )
    )
    out.append(
        Figure(
            section="Acks",
            name=f"requests not acknowledged within 3 s, {backend}",
            value=product.not_acked,
            unit="count",
            goal="0",
            met=product.not_acked == 0,
            baseline_name="bare Bolt",
            baseline=bare.not_acked,
        )
    )
    out.append(
        Figure(
            section="Acks",
            name=f"requests per second served ({CLIENTS} clients), {backend}",
            value=product.requests_per_second,
            unit="/s",
            baseline_name="bare Bolt",
            baseline=bare.requests_per_second,
        )
    )
    out.append(
        Figure(
            section="Acks",
            name=f"worker CPU per request, incl. work after the ack, {backend}",
            value=product.cpu_ms_per_request,
            unit="ms",
            baseline_name="bare Bolt",
            baseline=bare.cpu_ms_per_request,
        )
    )
    peak = max(product.worker_rss_mb, default=0.0)
    out.append(
        Figure(
            section="Memory",
            name=f"web worker peak RSS after {product.requests} requests, {backend}",
            value=peak,
            unit="MB",
            goal=f"≤ {GOAL_RSS_MB:.0f} MB",
            met=0 < peak <= GOAL_RSS_MB,
            baseline_name="bare Bolt worker",
            baseline=max(bare.worker_rss_mb, default=0.0),
        )
    )
    return out


class InlineExecutor(Executor):
    """Runs each listener in the submitting thread, so cProfile sees the listener's share of the ack
    too (in production Bolt runs it on its listener pool while the request's thread polls for the
    ack, and a profiler of the request's thread sees only the polling)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


class InProcessSender(SlackSender):
    """Signs requests as Slack does but hands them to the WSGI app in this thread, so a profiler sees
    the ack path itself (the work after the ack runs on the after-ack pool, not profiled here)."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app_url="http://in-process", **kwargs)
        self.app = app

    def post(
        self,
        body: str,
        *,
        content_type: str,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> HttpResult:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        raw = body.encode()
        environ: dict[str, Any] = {}
        setup_testing_defaults(environ)
        environ.update(
            {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/slack/events",
                "CONTENT_TYPE": content_type,
                "CONTENT_LENGTH": str(len(raw)),
                "wsgi.input": io.BytesIO(raw),
                "HTTP_X_SLACK_REQUEST_TIMESTAMP": ts,
                "HTTP_X_SLACK_SIGNATURE": signature
                or self.verifier.generate_signature(timestamp=ts, body=body),
            }
        )
        status: list[str] = []
        chunks = self.app(environ, lambda s, _h, _e=None: status.append(s))
        return HttpResult(int(status[0].split()[0]), b"".join(chunks).decode())


def profile_done_clicks(clicks: int) -> list[str]:
    """cProfile over Done clicks handled in this process (SQLite, Slack answering in 100 ms): the
    functions holding the most time on the ack path, as sentences for the document."""
    url = sqlite_url()
    targets = seed(url, Sizes(done=clicks, not_yet=0, commands=0, health=0))
    with SlackEmulator(token=TOKEN, team_id=TEAM).start() as emulator:
        for method in METHODS:
            emulator.delay(method, SLACK_LATENCY)
        for _, owner in targets:
            emulator.add_user(owner, team_id=TEAM, tz="Europe/London")
        settings = Settings(
            bot_token=TOKEN, signing_secret=SECRET, api_url=emulator.api_url, database_url=url
        )
        web_app = create_web_app(settings)
        web_app.slack.app.listener_runner.listener_executor = InlineExecutor()
        sender = InProcessSender(
            web_app, signing_secret=SECRET, team_id=TEAM, response_url=emulator.new_response_url
        )
        sender.command("help", user_id=CSM)  # the first request asks auth.test: not what a click costs
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for checkin_id, owner in targets:
            sender.click(action_id="checkin_answer_done", value=str(checkin_id), user_id=owner,
                         channel_id=f"D{int(owner[1:]):06d}", message_ts=f"1700000000.{int(owner[1:]):06d}")  # fmt: skip
        profiler.disable()
        elapsed = (time.perf_counter() - started) / clicks * 1000
        web_app.listeners.wait_quiet(timeout=60)
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_, calls, own, total, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((total, own, calls, filename, line, name))
    ours = [
        r
        for r in rows
        if str(ROOT) in r[3] and not any(part in r[3] for part in ("/.venv/", "/bench/", "/slack_emulator/"))
    ]
    notes = [f"Profile of {clicks} Done clicks in one process (cProfile, SQLite): {elapsed:.1f} ms per ack."]
    for total, own, calls, filename, line, name in sorted(ours, reverse=True)[:12]:
        where = f"{Path(filename).relative_to(ROOT)}:{line} {name}"
        notes.append(
            f"  {where}: {total / clicks * 1000:.2f} ms per click inclusive, {own / clicks * 1000:.2f} ms own "
            f"({calls // clicks} calls per click)"
        )
    library = sorted((r for r in rows if "/.venv/" in r[3]), key=lambda r: r[1], reverse=True)[:4]
    for _total, own, _calls, filename, line, name in library:
        package = filename.split("site-packages/", 1)[-1]
        notes.append(f"  library, own time: {package}:{line} {name}: {own / clicks * 1000:.2f} ms per click")
    return notes


def run(smoke: bool) -> Result:
    sizes = SMOKE if smoke else FULL
    result = Result()
    with SlackEmulator(token=TOKEN, team_id=TEAM).start() as emulator:
        for method in METHODS:
            emulator.delay(method, SLACK_LATENCY)
        emulator.delay("response_url", SLACK_LATENCY)
        for backend, url in (("SQLite", sqlite_url()), ("PostgreSQL", postgres_url())):
            emulator.reset()
            for method in METHODS:
                emulator.delay(method, SLACK_LATENCY)
            emulator.delay("response_url", SLACK_LATENCY)
            emulator.add_user(CSM, team_id=TEAM, tz="America/New_York")
            targets = seed(url, sizes)
            for _, owner in targets:
                emulator.add_user(owner, team_id=TEAM, tz="Europe/London")
            placed = post_checkin_messages(emulator, url, targets)
            bare = serve_and_load(BARE, url, emulator, targets, placed, sizes)
            product = serve_and_load(PRODUCT, url, emulator, targets, placed, sizes)
            result.figures += figures_for(backend, product, bare)
    result.notes += profile_done_clicks(20 if smoke else 300)
    result.notes.append(
        f"Acks: {CLIENTS} concurrent clients, every Web API call answered after {SLACK_LATENCY * 1000:.0f} ms; "
        f"per database {sizes.done} Done clicks, {sizes.not_yet} Not yet clicks and as many note forms, "
        f"{sizes.commands} of each command, {sizes.health} health checks; the product and the bare Bolt app "
        f"served by the Procfile's web line (`{' '.join(web_command(0, PRODUCT)[1:]).replace(':0 ', ':$PORT ')}`), each warmed up with {2 * CLIENTS} commands first."
    )
    return result


if __name__ == "__main__":
    raise SystemExit(cli(run, __doc__))
