"""Schedules typed as commands, checked by clock passes: each form, DST, weekends, holidays, downtime."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.schedule import zone
from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway, make_client
from models import CheckIn, CheckInState, Commitment
from slack_emulator import SlackEmulator
from tests.conftest import ENGINEER, TOKEN, Clock, RunningApp
from tests.flows import ADD_ACME, run

TOKYO = zone("Asia/Tokyo")


def vendor_commit(web: RunningApp, emulator: SlackEmulator, schedule: str, owner: str = ENGINEER) -> str:
    return run(web, emulator, f'commit Acme vendor <@{owner}> "Publish the status page" {schedule}')


def local_checkins(sessions: sessionmaker[Session], tz_name: str) -> list[str]:
    tz = zone(tz_name)
    with sessions() as session:
        rows = session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at)).all()
    return [f"{r.scheduled_at.astimezone(tz):%a %Y-%m-%d %H:%M}" for r in rows]


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("every day", ["Tue 2026-11-24 09:00", "Wed 2026-11-25 09:00", "Thu 2026-11-26 09:00", "Fri 2026-11-27 09:00", "Mon 2026-11-30 09:00"]),
        ("every weekday at 08:15", ["Tue 2026-11-24 08:15", "Wed 2026-11-25 08:15", "Thu 2026-11-26 08:15", "Fri 2026-11-27 08:15", "Mon 2026-11-30 08:15"]),
        ("every monday", ["Mon 2026-11-30 09:00", "Mon 2026-12-07 09:00", "Mon 2026-12-14 09:00"]),
        ("every tuesday, thursday at 14:00", ["Tue 2026-11-24 14:00", "Thu 2026-11-26 14:00", "Tue 2026-12-01 14:00"]),
        ("every 2 weeks on friday", ["Fri 2026-11-27 09:00", "Fri 2026-12-11 09:00", "Fri 2026-12-25 09:00"]),
        ("every month on the 1st", ["Tue 2026-12-01 09:00", "Fri 2027-01-01 09:00", "Mon 2027-02-01 09:00"]),
        ("every RRULE:FREQ=WEEKLY;BYDAY=WE", ["Wed 2026-11-25 09:00", "Wed 2026-12-02 09:00", "Wed 2026-12-09 09:00"]),
        ("by 2026-12-15 at 17:00", ["Tue 2026-12-15 17:00"]),
        ("by dec 16", ["Wed 2026-12-16 09:00"]),
        ("by tomorrow", ["Tue 2026-11-24 09:00"]),
        ("by next friday", ["Fri 2026-11-27 09:00"]),
        ("by in 3 days", ["Thu 2026-11-26 09:00"]),
    ],
)  # fmt: skip
def test_each_schedule_form_produces_its_checkins(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    schedule: str,
    expected: list[str],
) -> None:
    # Created Monday 23 Nov, 15:00 UTC: Tokyo has already reached Tuesday 00:00.
    run(web, emulator, ADD_ACME)
    reply = vendor_commit(web, emulator, schedule)
    assert "Recorded #" in reply, reply
    instants = [datetime.strptime(e, "%a %Y-%m-%d %H:%M").replace(tzinfo=TOKYO) for e in expected]
    for instant in instants[:3]:
        assert f"{instant:%a %d %b %H:%M}" in reply, reply
    # Passes a minute after each expected check-in and half a day later: nothing else may appear.
    for instant in instants:
        run_due_work(sessions, gateway, now=(instant + timedelta(minutes=1)).astimezone(UTC))
        run_due_work(sessions, gateway, now=(instant + timedelta(hours=12)).astimezone(UTC))
    assert local_checkins(sessions, "Asia/Tokyo") == expected
    first_asks = [
        c
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == ENGINEER and not c.params["text"].startswith("Gentle reminder")
    ]
    assert len(first_asks) == len(expected)


def test_checkin_stays_at_local_nine_across_a_dst_change(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    emulator.add_user("U0NYC", team_id="T0VENDOR", name="nyc", tz="America/New_York")
    clock.now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    run(web, emulator, ADD_ACME)
    vendor_commit(web, emulator, "every monday", owner="U0NYC")
    for day in (26, 2, 9):  # New York leaves daylight saving on Sunday 1 November
        month = 10 if day == 26 else 11
        run_due_work(sessions, gateway, now=datetime(2026, month, day, 15, 0, tzinfo=UTC))
    with sessions() as session:
        instants = [c.scheduled_at for c in session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at))]
    assert [f"{i:%H:%M}" for i in instants] == ["13:00", "14:00", "14:00"]  # UTC moves …
    assert local_checkins(sessions, "America/New_York") == [
        "Mon 2026-10-26 09:00",
        "Mon 2026-11-02 09:00",
        "Mon 2026-11-09 09:00",
    ]  # … local time does not


def test_weekend_and_holiday_are_skipped(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    emulator.add_user("U0CHI", team_id="T0VENDOR", name="chi", tz="America/Chicago")
    run(web, emulator, ADD_ACME + " holidays:US")
    vendor_commit(web, emulator, "every day at 10:00", owner="U0CHI")
    for day in range(23, 31):
        run_due_work(sessions, gateway, now=datetime(2026, 11, day, 17, 0, tzinfo=UTC))
    # Thanksgiving (Thu 26) and the weekend have no check-in.
    assert local_checkins(sessions, "America/Chicago") == [
        "Mon 2026-11-23 10:00",
        "Tue 2026-11-24 10:00",
        "Wed 2026-11-25 10:00",
        "Fri 2026-11-27 10:00",
        "Mon 2026-11-30 10:00",
    ]


def test_two_ticks_at_once_send_one_dm_per_occurrence(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    vendor_commit(web, emulator, "every day")
    emulator.delay("chat.postMessage", 0.05)
    barrier = threading.Barrier(3)

    def tick() -> None:
        gateway = SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url))
        barrier.wait()
        run_due_work(sessions, gateway, now=datetime(2026, 11, 24, 0, 30, tzinfo=UTC))

    threads = [threading.Thread(target=tick) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    emulator.delay("chat.postMessage", 0)
    assert len([c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == ENGINEER]) == 1
    with sessions() as session:
        assert [c.state for c in session.scalars(select(CheckIn))] == [CheckInState.SENT]


def test_downtime_gives_skipped_occurrences_and_one_catch_up_dm(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    run(web, emulator, ADD_ACME)
    vendor_commit(web, emulator, "every day")
    # The clock comes back on Friday 27 Nov at 11:00 Tokyo time after being down since Monday.
    run_due_work(sessions, gateway, now=datetime(2026, 11, 27, 2, 0, tzinfo=UTC))
    with sessions() as session:
        states = [c.state for c in session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at))]
    assert states == [CheckInState.SKIPPED] * 3 + [CheckInState.SENT]
    assert len([c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == ENGINEER]) == 1


def test_clock_passes_over_a_commitment_until_its_next_checkin(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    run(web, emulator, ADD_ACME)
    vendor_commit(web, emulator, "every monday")
    run_due_work(sessions, gateway, now=datetime(2026, 11, 24, 0, 0, tzinfo=UTC))
    with sessions() as session:
        commitment = session.scalars(select(Commitment)).one()
        assert commitment.next_checkin_at == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Mon 09:00 Tokyo
        marked = commitment.scheduled_through
    run_due_work(sessions, gateway, now=datetime(2026, 11, 27, 0, 0, tzinfo=UTC))
    with sessions() as session:
        # Not even looked at: nothing could fall before Monday.
        assert session.scalars(select(Commitment)).one().scheduled_through == marked


def test_removing_a_holiday_calendar_brings_the_checkin_back_on_time(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    emulator.add_user("U0CHI", team_id="T0VENDOR", name="chi", tz="America/Chicago")
    run(web, emulator, ADD_ACME + " holidays:US")
    vendor_commit(web, emulator, "every thursday at 10:00", owner="U0CHI")
    run_due_work(sessions, gateway, now=datetime(2026, 11, 25, 17, 0, tzinfo=UTC))
    with sessions() as session:
        # Thanksgiving moves this week's check-in to Friday.
        assert session.scalars(select(Commitment)).one().next_checkin_at == datetime(
            2026, 11, 27, 16, 0, tzinfo=UTC
        )
    run(web, emulator, "account edit Acme holidays:none")
    run_due_work(sessions, gateway, now=datetime(2026, 11, 26, 16, 5, tzinfo=UTC))
    assert local_checkins(sessions, "America/Chicago") == ["Thu 2026-11-26 10:00"]
    assert len([c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == "U0CHI"]) == 1
