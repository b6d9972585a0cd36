"""The clock pass: each occurrence exactly once, downtime never blamed on people, failures kept visible."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.sending import checkin_metadata
from bot.clock_pass import run_due_work
from bot.settings import Settings
from bot.slack.gateway import SlackGateway, make_client
from models import CheckIn, CheckInState, ClockPass, DiaryEntry
from slack_emulator import Call, SlackEmulator
from tests.conftest import CHAMPION, TOKEN
from tests.factories import make_account, make_commitment

CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday afternoon
FIRST_CHECKIN = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday 10:00 in London (GMT)


def checkin_dms(emulator: SlackEmulator) -> list[Call]:
    """DMs to owners (posted to a user ID), leaving out the diary's copies in shared channels."""
    return [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"].startswith("U")]


def checkins(sessions: sessionmaker[Session]) -> list[CheckIn]:
    with sessions() as session:
        return list(session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at)))


def test_tick_run_twice_sends_one_dm_per_occurrence(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    first = run_due_work(sessions, gateway, now=FIRST_CHECKIN + timedelta(minutes=1))
    second = run_due_work(sessions, gateway, now=FIRST_CHECKIN + timedelta(minutes=2))
    assert (first.sent, second.sent, second.created) == (1, 0, 0)
    assert len(checkin_dms(emulator)) == 1
    assert [c.state for c in checkins(sessions)] == [CheckInState.SENT]


def test_nothing_is_sent_before_the_first_occurrence(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    report = run_due_work(sessions, gateway, now=FIRST_CHECKIN - timedelta(minutes=1))
    assert report.created == 0
    assert checkin_dms(emulator) == []


def test_two_concurrent_ticks_send_each_occurrence_once(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    account_id = make_account(sessions, now=CREATED)
    for owner in ("U0CHAMP", "U0OTHER", "U0ENG"):
        make_commitment(sessions, account_id=account_id, now=CREATED, owner=owner, every="every day")
    emulator.delay("chat.postMessage", 0.05)  # widen the window in which the two passes overlap
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            gateway = SlackGateway(make_client(token="xoxb-test-token", api_url=emulator.api_url))
            barrier.wait()
            run_due_work(sessions, gateway, now=datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    emulator.delay("chat.postMessage", 0)
    assert errors == []
    # Tue 24 and Wed 25 Nov for three owners; each owner's Tuesday one is >2 h late and not today: skipped.
    states = [c.state for c in checkins(sessions)]
    assert len(states) == 6
    assert states.count(CheckInState.SENT) == 3 and states.count(CheckInState.SKIPPED) == 3
    recipients = sorted(call.params["channel"] for call in checkin_dms(emulator))
    assert recipients == ["U0CHAMP", "U0ENG", "U0OTHER"]


def test_downtime_records_skipped_occurrences_and_sends_one_catch_up(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    account_id = make_account(sessions, now=CREATED)
    make_commitment(sessions, account_id=account_id, now=CREATED, every="every day", at=time(9, 0))
    # The clock was down from Monday afternoon until Thursday 11:30 London time.
    report = run_due_work(sessions, gateway, now=datetime(2026, 11, 26, 11, 30, tzinfo=UTC))
    rows = checkins(sessions)
    assert [(c.scheduled_at.day, c.state) for c in rows] == [
        (24, CheckInState.SKIPPED),
        (25, CheckInState.SKIPPED),
        (26, CheckInState.SENT),
    ]
    assert (report.skipped, report.sent) == (2, 1)
    assert len(checkin_dms(emulator)) == 1
    with sessions() as session:
        skipped_entries = session.scalars(
            select(DiaryEntry).where(DiaryEntry.kind == "checkin_skipped")
        ).all()
        assert len(skipped_entries) == 2
        assert all("bot was down" in entry.text for entry in skipped_entries)


def test_latest_occurrence_from_an_earlier_day_is_skipped_not_sent(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    # Monday's 10:00 check-in is reached only on Tuesday: a new day, so it is not sent late.
    report = run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert (report.skipped, report.sent) == (1, 0)
    assert checkin_dms(emulator) == []


def test_rate_limited_send_is_retried_on_a_later_pass_after_the_wait_slack_asks_for(
    sessions: sessionmaker[Session], emulator: SlackEmulator
) -> None:
    """The clock does not sleep through a 429 (everyone else's check-ins would wait): that person's
    DM is deferred by Retry-After and sent by the first pass after it."""
    clock_gateway = SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url, clock=True))
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    emulator.rate_limit_next("chat.postMessage", retry_after=120)
    report = run_due_work(sessions, clock_gateway, now=FIRST_CHECKIN)
    assert (report.sent, report.deferred, len(checkin_dms(emulator))) == (0, 1, 1)
    [row] = checkins(sessions)
    assert row.state is CheckInState.DUE and row.next_attempt_at == FIRST_CHECKIN + timedelta(seconds=120)
    assert run_due_work(sessions, clock_gateway, now=FIRST_CHECKIN + timedelta(seconds=60)).sent == 0
    assert run_due_work(sessions, clock_gateway, now=FIRST_CHECKIN + timedelta(seconds=120)).sent == 1
    assert checkins(sessions)[0].state is CheckInState.SENT
    assert len(checkin_dms(emulator)) == 2


def test_server_errors_are_retried_then_the_send_succeeds(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    emulator.fail_next("chat.postMessage", status=503, count=2)
    report = run_due_work(sessions, gateway, now=FIRST_CHECKIN)
    assert len(checkin_dms(emulator)) == 3
    assert report.sent == 1


def test_send_that_keeps_failing_is_recorded_as_failed_and_in_the_diary(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    emulator.error_next("chat.postMessage", "channel_not_found")
    report = run_due_work(sessions, gateway, now=FIRST_CHECKIN)
    assert report.failed == 1
    [row] = checkins(sessions)
    assert row.state is CheckInState.FAILED
    assert row.last_error == "channel_not_found"
    with sessions() as session:
        [entry] = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "checkin_failed")).all()
        assert "could not be delivered" in entry.text and CHAMPION in entry.text
    # A later pass does not resend it silently: the failure stays on record.
    run_due_work(sessions, gateway, now=FIRST_CHECKIN + timedelta(minutes=5))
    assert len([c for c in checkin_dms(emulator) if c.params["channel"] == CHAMPION]) == 1


def test_each_pass_is_recorded_for_the_health_check(
    sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    run_due_work(sessions, gateway, now=FIRST_CHECKIN)
    with sessions() as session:
        [record] = session.scalars(select(ClockPass)).all()
        assert record.as_of == FIRST_CHECKIN


def test_scheduler_tick_command_sends_the_due_dm(
    sessions: sessionmaker[Session], emulator: SlackEmulator, settings: Settings, repo_root: Path
) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_API_URL": emulator.api_url,
    }
    command = [sys.executable, "-m", "scheduler", "tick", "--at", "2026-11-30T10:00:00Z"]
    for _ in range(2):
        done = subprocess.run(command, cwd=repo_root, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    assert "sent 0" in done.stdout
    assert len(checkin_dms(emulator)) == 1


def test_scheduler_tick_refuses_an_instant_without_offset(repo_root: Path, settings: Settings) -> None:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "SLACK_BOT_TOKEN": "xoxb-test-token"}
    done = subprocess.run(
        [sys.executable, "-m", "scheduler", "tick", "--at", "2026-11-30T10:00"],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "has no offset" in done.stderr


def claim_then_die(sessions: sessionmaker[Session], *, posted: bool, gateway: SlackGateway) -> int:
    """A pass that claimed the check-in and died — after Slack took the DM, or before it did."""
    with sessions.begin() as session:
        row = session.scalars(select(CheckIn)).one()
        row.state, row.claimed_at, row.send_attempts = CheckInState.SENDING, FIRST_CHECKIN, 1
        checkin_id = row.id
    if posted:
        gateway.send_dm(CHAMPION, text="Check-in", blocks=[], metadata=checkin_metadata([checkin_id]))
    return checkin_id


def created_only(sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    emulator.error_next("chat.postMessage", "internal_error", count=3)
    run_due_work(sessions, gateway, now=FIRST_CHECKIN)
    emulator.reset()


def test_a_send_interrupted_before_slack_had_it_is_sent_once_after_the_claim_expires(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    created_only(sessions, gateway, emulator)
    claim_then_die(sessions, posted=False, gateway=gateway)
    soon = run_due_work(sessions, gateway, now=FIRST_CHECKIN + timedelta(minutes=5))
    assert soon.sent == 0 and checkins(sessions)[0].state is CheckInState.SENDING
    later = run_due_work(sessions, gateway, now=FIRST_CHECKIN + timedelta(minutes=11))
    assert (later.reconciled_unsent, later.sent) == (1, 1)
    assert checkins(sessions)[0].state is CheckInState.SENT
    assert len(checkin_dms(emulator)) == 1


def test_a_send_interrupted_after_slack_had_it_is_recorded_sent_and_not_resent(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    created_only(sessions, gateway, emulator)
    checkin_id = claim_then_die(sessions, posted=True, gateway=gateway)
    later = run_due_work(sessions, gateway, now=FIRST_CHECKIN + timedelta(minutes=11))
    assert (later.reconciled_sent, later.sent) == (1, 0)
    [row] = checkins(sessions)
    dm = emulator.messages(CHAMPION)[0]
    assert (row.id, row.state, row.message_ts) == (checkin_id, CheckInState.SENT, dm["ts"])
    assert row.remind_at is not None  # answerable and reminded like any delivered check-in
    assert len(checkin_dms(emulator)) == 1
    history = emulator.calls_to("conversations.history")
    assert history and history[0].params["include_all_metadata"] == "true"
