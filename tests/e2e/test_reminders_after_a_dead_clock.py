"""A clock that dies while sending a reminder, or whose answer from Slack is lost: the reminder is
neither lost nor sent twice.

The claim a dying clock leaves behind is taken over by a later pass once its lease has run out; where
the reminder would be — the owner's DMs, or the thread of a check-in posted in the shared channel —
says whether Slack got it (each reminder carries its tag in the message metadata).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.plan_reminders import PLAN_REMINDER_EVENT
from bot.checkins.reminders import REMINDER_EVENT
from bot.clock_pass import run_due_work
from bot.slack.gateway import PostedMessage, SlackGateway, make_client
from models import CheckIn, CheckInState, DiaryEntry
from slack_emulator import Call, SlackEmulator
from tests.conftest import CHAMPION, SHARED_CHANNEL, TOKEN, Clock, RunningApp
from tests.e2e.test_channel_checkins_end_to_end import set_up as channel_set_up
from tests.factories import make_account, make_commitment
from tests.flows import ADD_ACME, run

CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday
MON_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # the check-in, Monday 10:00 London
TUE_9 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the reminder, the next working morning
TUE_18 = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # the end of Tuesday's working day


class ClockDied(BaseException):
    """The process ends here: not an error the pass could catch, nothing after it runs."""


class DyingGateway(SlackGateway):
    """The clock's gateway, dying at its first reminder: before Slack got it, or after Slack posted it
    and before the answer could be recorded."""

    def __init__(self, emulator: SlackEmulator, *, after_slack: bool) -> None:
        super().__init__(make_client(token=TOKEN, api_url=emulator.api_url, clock=True))
        self.after_slack = after_slack

    def send_dm(
        self, user_id: str, *, text: str, blocks: list[dict[str, Any]], metadata: dict[str, Any] | None = None
    ) -> PostedMessage:
        if (metadata or {}).get("event_type") == REMINDER_EVENT:
            if self.after_slack:
                super().send_dm(user_id, text=text, blocks=blocks, metadata=metadata)
            raise ClockDied
        return super().send_dm(user_id, text=text, blocks=blocks, metadata=metadata)


@pytest.fixture
def clock_gateway(emulator: SlackEmulator) -> SlackGateway:
    return SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url, clock=True))


def reminders(emulator: SlackEmulator) -> list[Call]:
    return [
        c
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == CHAMPION and c.params["text"].startswith("Gentle reminder")
    ]


def the_checkin(sessions: sessionmaker[Session]) -> CheckIn:
    with sessions() as session:
        return session.scalars(select(CheckIn)).one()


def diary_kinds(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry.kind).order_by(DiaryEntry.id)))


def sent_and_dying(sessions: sessionmaker[Session], emulator: SlackEmulator, *, after_slack: bool) -> None:
    """Monday's check-in goes out; Tuesday morning's pass dies at the reminder."""
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    run_due_work(
        sessions, SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url, clock=True)), now=MON_10
    )
    with pytest.raises(ClockDied):
        run_due_work(sessions, DyingGateway(emulator, after_slack=after_slack), now=TUE_9)
    held = the_checkin(sessions)
    assert held.reminders_sent == 1 and held.reminder_lease_until is not None and held.reminder_claimed_by


def test_a_reminder_slack_got_before_its_clock_died_is_recorded_once_the_lease_runs_out_not_sent_again(
    sessions: sessionmaker[Session], emulator: SlackEmulator, clock_gateway: SlackGateway
) -> None:
    sent_and_dying(sessions, emulator, after_slack=True)
    [reminder] = reminders(emulator)
    reminder_ts = emulator.messages(emulator.dm_channel(CHAMPION))[-1]["ts"]
    assert "reminder_sent" not in diary_kinds(sessions)

    run_due_work(sessions, clock_gateway, now=TUE_9 + timedelta(minutes=5))  # within the lease: held
    assert the_checkin(sessions).reminder_lease_until is not None
    run_due_work(sessions, clock_gateway, now=TUE_9 + timedelta(minutes=11))  # the lease has run out

    assert reminders(emulator) == [reminder]  # read from the DMs, not sent again
    row = the_checkin(sessions)
    assert (row.reminders_sent, row.reminder_lease_until, row.message_ts) == (1, None, reminder_ts)
    assert diary_kinds(sessions).count("reminder_sent") == 1
    run_due_work(sessions, clock_gateway, now=TUE_18)
    assert the_checkin(sessions).state is CheckInState.NO_RESPONSE
    assert len(reminders(emulator)) == 1


def test_a_reminder_its_clock_died_before_sending_goes_out_once_the_lease_runs_out(
    sessions: sessionmaker[Session], emulator: SlackEmulator, clock_gateway: SlackGateway
) -> None:
    sent_and_dying(sessions, emulator, after_slack=False)
    assert reminders(emulator) == []

    run_due_work(sessions, clock_gateway, now=TUE_9 + timedelta(minutes=5))
    assert reminders(emulator) == []  # still held by the dead clock's lease
    run_due_work(sessions, clock_gateway, now=TUE_9 + timedelta(minutes=11))
    run_due_work(sessions, clock_gateway, now=TUE_9 + timedelta(minutes=12))

    [reminder] = reminders(emulator)
    assert reminder.params["metadata"]["event_type"] == REMINDER_EVENT
    row = the_checkin(sessions)
    assert (row.reminders_sent, row.reminder_lease_until) == (1, None)
    assert row.closes_at == TUE_18  # the last reminder sets the close, as on any morning
    assert diary_kinds(sessions).count("reminder_sent") == 1


def test_a_last_reminder_held_by_a_dead_clock_is_settled_before_the_checkin_closes(
    sessions: sessionmaker[Session], emulator: SlackEmulator, clock_gateway: SlackGateway
) -> None:
    sent_and_dying(sessions, emulator, after_slack=False)
    # No pass runs until the end of the day: the reminder still goes out before anything closes.
    run_due_work(sessions, clock_gateway, now=TUE_18)
    assert len(reminders(emulator)) == 1
    row = the_checkin(sessions)
    assert row.state is CheckInState.SENT and row.reminders_sent == 1
    assert "no_response" not in diary_kinds(sessions)


def test_a_reminder_answered_with_a_5xx_after_slack_posted_it_is_not_sent_twice(
    sessions: sessionmaker[Session], emulator: SlackEmulator, clock_gateway: SlackGateway
) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    run_due_work(sessions, clock_gateway, now=MON_10)
    emulator.fail_randomly("chat.postMessage", rate=1.0, after_effect=1.0)
    run_due_work(sessions, clock_gateway, now=TUE_9)
    injected, after_posting = emulator.random_faults_injected("chat.postMessage")
    assert injected == after_posting >= 1  # the reminder (and the diary's thread) posted, answered 5xx
    emulator.fail_randomly("chat.postMessage", rate=0.0)

    run_due_work(sessions, clock_gateway, now=TUE_9 + timedelta(minutes=5))  # past the retry wait
    assert len(reminders(emulator)) == 1
    row = the_checkin(sessions)
    assert (row.reminders_sent, row.reminder_lease_until, row.closes_at) == (1, None, TUE_18)
    assert diary_kinds(sessions).count("reminder_sent") == 1


class DyingAtThePlanReminder(SlackGateway):
    """Dies at the champion's plan reminder, after Slack posted it or before."""

    def __init__(self, emulator: SlackEmulator, *, after_slack: bool) -> None:
        super().__init__(make_client(token=TOKEN, api_url=emulator.api_url, clock=True))
        self.after_slack = after_slack

    def post_message(self, channel: str, **kwargs: Any) -> PostedMessage:
        if (kwargs.get("metadata") or {}).get("event_type") == PLAN_REMINDER_EVENT:
            if self.after_slack:
                super().post_message(channel, **kwargs)
            raise ClockDied
        return super().post_message(channel, **kwargs)


PLAN_POSTED = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # a Thursday afternoon
PLAN_REMINDER = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the second working day after, 09:00


def plan_reminders(emulator: SlackEmulator) -> list[Call]:
    return [
        c
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == CHAMPION and "gentle reminder" in c.params["text"]
    ]


def plan_awaiting_answer(web: RunningApp, emulator: SlackEmulator, clock: Clock) -> None:
    """Thursday afternoon: Acme's plan posted for its champion to answer."""
    clock.now = PLAN_POSTED
    run(web, emulator, ADD_ACME)
    run(web, emulator, 'commit Acme customer <@U0CHAMP> "Log the week\'s bookings" every monday at 10:00')
    run(web, emulator, "agreement Acme")


@pytest.mark.parametrize("after_slack", [True, False], ids=["slack-got-it", "slack-never-got-it"])
def test_a_plan_reminder_whose_clock_died_is_sent_exactly_once(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    clock_gateway: SlackGateway,
    clock: Clock,
    after_slack: bool,
) -> None:
    plan_awaiting_answer(web, emulator, clock)
    with pytest.raises(ClockDied):
        run_due_work(sessions, DyingAtThePlanReminder(emulator, after_slack=after_slack), now=PLAN_REMINDER)
    assert len(plan_reminders(emulator)) == (1 if after_slack else 0)
    assert "agreement_reminder" not in diary_kinds(sessions)

    run_due_work(sessions, clock_gateway, now=PLAN_REMINDER + timedelta(minutes=5))  # within the lease
    assert len(plan_reminders(emulator)) == (1 if after_slack else 0)
    run_due_work(sessions, clock_gateway, now=PLAN_REMINDER + timedelta(minutes=11))
    run_due_work(sessions, clock_gateway, now=PLAN_REMINDER + timedelta(days=2))

    [reminder] = plan_reminders(emulator)
    assert reminder.params["metadata"]["event_type"] == PLAN_REMINDER_EVENT
    assert diary_kinds(sessions).count("agreement_reminder") == 1
    with sessions() as session:
        entry = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "agreement_reminder")).one()
    assert entry.text.startswith("Reminder sent to")


@pytest.mark.parametrize("posted", [True, False], ids=["slack-posted-it", "slack-never-posted-it"])
def test_a_plan_reminder_answered_with_a_5xx_is_delivered_once_and_recorded_sent(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    clock_gateway: SlackGateway,
    clock: Clock,
    posted: bool,
) -> None:
    """Posted: the champion's DMs show it at once. Not posted: the claim waits out its lease, and the
    pass after it reads the DMs again and sends it. Either way no "could not be delivered" for a blip."""
    plan_awaiting_answer(web, emulator, clock)
    emulator.fail_randomly("chat.postMessage", rate=1.0, after_effect=1.0 if posted else 0.0)
    run_due_work(sessions, clock_gateway, now=PLAN_REMINDER)
    emulator.fail_randomly("chat.postMessage", rate=0.0)
    assert diary_kinds(sessions).count("agreement_reminder") == (1 if posted else 0)

    run_due_work(sessions, clock_gateway, now=PLAN_REMINDER + timedelta(minutes=5))  # within the lease
    assert len(plan_reminders(emulator)) == 1  # only the attempt the 5xx answered
    run_due_work(sessions, clock_gateway, now=PLAN_REMINDER + timedelta(minutes=11))
    run_due_work(sessions, clock_gateway, now=PLAN_REMINDER + timedelta(days=2))

    assert len([m for m in emulator.messages(CHAMPION) if "gentle reminder" in m["text"]]) == 1
    with sessions() as session:
        [entry] = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "agreement_reminder"))
    assert entry.text.startswith("Reminder sent to")


# -- reminders in the thread of a check-in posted in the shared channel --------------------------

CHANNEL_TUE = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday's check-in goes out in the channel
CHANNEL_WED = CHANNEL_TUE + timedelta(days=1)  # its reminder, in the post's thread


class DyingAtTheThreadReminder(SlackGateway):
    """Dies at a reminder in a shared channel's thread, after Slack posted it or before."""

    def __init__(self, emulator: SlackEmulator, *, after_slack: bool) -> None:
        super().__init__(make_client(token=TOKEN, api_url=emulator.api_url, clock=True))
        self.after_slack = after_slack

    def post_message(self, channel: str, **kwargs: Any) -> PostedMessage:
        if kwargs.get("thread_ts") and (kwargs.get("metadata") or {}).get("event_type") == REMINDER_EVENT:
            if self.after_slack:
                super().post_message(channel, **kwargs)
            raise ClockDied
        return super().post_message(channel, **kwargs)


def thread_reminders(emulator: SlackEmulator, sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Reminders Slack holds in the thread of Tuesday's post."""
    with sessions() as session:
        tuesday = session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at)).first()
    assert tuesday is not None and tuesday.place == "channel"
    return [
        m
        for m in emulator.messages(SHARED_CHANNEL)
        if m.get("thread_ts") == tuesday.message_ts and "reminder" in m["text"]
    ]


def channel_checkin_sent(web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]) -> None:
    channel_set_up(web, emulator, checkins="channel")
    report = run_due_work(
        sessions,
        SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url, clock=True)),
        now=CHANNEL_TUE,
    )
    assert not report.errors, report.errors


@pytest.mark.parametrize("after_slack", [True, False], ids=["slack-got-it", "slack-never-got-it"])
def test_a_thread_reminder_whose_clock_died_is_in_the_thread_exactly_once(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    clock_gateway: SlackGateway,
    after_slack: bool,
) -> None:
    channel_checkin_sent(web, emulator, sessions)
    with pytest.raises(ClockDied):
        run_due_work(sessions, DyingAtTheThreadReminder(emulator, after_slack=after_slack), now=CHANNEL_WED)
    assert len(thread_reminders(emulator, sessions)) == (1 if after_slack else 0)

    run_due_work(sessions, clock_gateway, now=CHANNEL_WED + timedelta(minutes=5))  # within the lease
    assert len(thread_reminders(emulator, sessions)) == (1 if after_slack else 0)
    run_due_work(sessions, clock_gateway, now=CHANNEL_WED + timedelta(minutes=11))
    run_due_work(sessions, clock_gateway, now=CHANNEL_WED + timedelta(minutes=12))

    [reminder] = thread_reminders(emulator, sessions)
    assert reminder["metadata"]["event_type"] == REMINDER_EVENT
    with sessions() as session:
        tuesday = session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at)).first()
        assert tuesday is not None
        assert (tuesday.reminders_sent, tuesday.reminder_lease_until) == (1, None)
        sent = session.scalars(
            select(DiaryEntry).where(DiaryEntry.kind == "reminder_sent", DiaryEntry.checkin_id == tuesday.id)
        ).all()
    assert len(sent) == 1
    assert emulator.calls_to("conversations.replies")  # read where the reminder would be


def test_a_thread_reminder_answered_with_a_5xx_after_slack_posted_it_is_not_sent_twice(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock_gateway: SlackGateway
) -> None:
    channel_checkin_sent(web, emulator, sessions)
    emulator.fail_randomly("chat.postMessage", rate=1.0, after_effect=1.0)
    run_due_work(sessions, clock_gateway, now=CHANNEL_WED)
    emulator.fail_randomly("chat.postMessage", rate=0.0)

    run_due_work(sessions, clock_gateway, now=CHANNEL_WED + timedelta(minutes=6))  # past the retry wait
    assert len(thread_reminders(emulator, sessions)) == 1
    with sessions() as session:
        tuesday = session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at)).first()
        assert tuesday is not None and tuesday.reminder_lease_until is None and tuesday.reminders_sent == 1
