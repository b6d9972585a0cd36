"""What an owner sees and does in the check-in DM: notes, snooze, reminders, no response, combined DMs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from models import Account, Answer, CheckIn, CheckInState, DiaryEntry
from slack_emulator import Call, SlackEmulator
from tests.conftest import CHAMPION, RunningApp
from tests.factories import make_account, make_commitment
from tests.flows import buttons

CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday
MON_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday 10:00 London (GMT = UTC)


def dms(emulator: SlackEmulator) -> list[Call]:
    """Check-ins and reminders to the champion (the escalation rules' courtesy nudges left out)."""
    return [
        c
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == CHAMPION and not c.params["text"].startswith("No worries")
    ]


def nudges(emulator: SlackEmulator) -> list[Call]:
    return [c for c in emulator.calls_to("chat.postMessage") if c.params["text"].startswith("No worries")]


def click(web: RunningApp, emulator: SlackEmulator, message: Call, action_id: str, *, index: int = 0) -> None:
    channel = emulator.dm_channel(CHAMPION)
    values = [
        element["value"]
        for block in message.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    ]
    ts = emulator.messages(channel)[dms(emulator).index(message)]["ts"]  # the DM's messages, in post order
    result = web.slack.click(
        action_id=action_id, value=values[index], user_id=CHAMPION, channel_id=channel, message_ts=ts
    )
    assert result.status == 200


def rows(sessions: sessionmaker[Session]) -> list[CheckIn]:
    with sessions() as session:
        return list(session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at, CheckIn.id)))


def kinds(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry.kind).order_by(DiaryEntry.id)))


def one_commitment(sessions: sessionmaker[Session], **kwargs: Any) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED, **kwargs)


def test_blocked_asks_for_a_note_and_records_it_with_the_answer(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    one_commitment(sessions)
    run_due_work(sessions, gateway, now=MON_10)
    click(web, emulator, dms(emulator)[0], "checkin_answer_blocked")
    # The form is opened right after the ack, while the trigger_id is still valid.
    form = emulator.wait_for("views.open")[0].params["view"]
    assert form["callback_id"] == "checkin_note_form" and form["blocks"][0].get("optional") is False
    empty = web.slack.submit_view(
        callback_id="checkin_note_form", values={"note": {"type": "plain_text_input", "value": None}},
        user_id=CHAMPION, private_metadata=form["private_metadata"],
    )  # fmt: skip
    assert "what is blocking it" in empty.json()["errors"]["note"]
    assert rows(sessions)[0].state is CheckInState.SENT
    web.slack.submit_view(
        callback_id="checkin_note_form", values={"note": {"type": "plain_text_input", "value": "Waiting on IT for SSO"}},
        user_id=CHAMPION, private_metadata=form["private_metadata"],
    )  # fmt: skip
    update = emulator.wait_for("chat.update")[0]
    assert "Blocked" in update.params["text"] and "Waiting on IT for SSO" in json.dumps(
        update.params["blocks"]
    )
    [row] = rows(sessions)
    assert (row.answer, row.note) == (Answer.BLOCKED, "Waiting on IT for SSO")
    assert kinds(sessions).count("answer_blocked") == 1


@pytest.mark.parametrize("answer", [Answer.PARTLY, Answer.NOT_YET])
def test_partly_and_not_yet_notes_are_optional(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    answer: Answer,
) -> None:
    one_commitment(sessions)
    run_due_work(sessions, gateway, now=MON_10)
    click(web, emulator, dms(emulator)[0], f"checkin_answer_{answer.value}")
    form = emulator.wait_for("views.open")[0].params["view"]
    result = web.slack.submit_view(
        callback_id="checkin_note_form", values={"note": {"type": "plain_text_input", "value": None}},
        user_id=CHAMPION, private_metadata=form["private_metadata"],
    )  # fmt: skip
    assert result.body == ""
    emulator.wait_for("chat.update")
    assert rows(sessions)[0].answer is answer
    assert kinds(sessions).count(f"answer_{answer.value}") == 1


def test_snooze_asks_again_the_next_working_morning_and_twice_at_most(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Any,
) -> None:
    one_commitment(sessions, every="every friday")
    run_due_work(sessions, gateway, now=datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    clock.now = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    click(web, emulator, dms(emulator)[0], "checkin_answer_snoozed")
    update = emulator.wait_for("chat.update")[0]
    assert "ask again on Mon 30 Nov, 09:00" in json.dumps(update.params["blocks"])
    assert "actions" not in [b["type"] for b in update.params["blocks"]]
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 8, 59, tzinfo=UTC))
    assert len(dms(emulator)) == 1
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    reminder = dms(emulator)[1]
    assert reminder.params["text"].startswith("Gentle reminder")
    assert "checkin_answer_done" in buttons(reminder.params["blocks"])
    clock.now = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
    click(web, emulator, reminder, "checkin_answer_snoozed")
    emulator.wait_for("chat.update", count=3)  # the first message (moved), then this snooze
    click(web, emulator, reminder, "checkin_answer_snoozed")
    refusal = emulator.wait_for("chat.postEphemeral")[0]
    assert "snoozed 2 times already" in refusal.params["text"]
    assert kinds(sessions).count("checkin_snoozed") == 2


def test_unanswered_checkin_is_reminded_next_morning_then_closes_as_no_response(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    one_commitment(sessions)
    run_due_work(sessions, gateway, now=MON_10)
    first_ts = emulator.messages(emulator.dm_channel(CHAMPION))[0]["ts"]
    run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # Tuesday morning
    [_, reminder] = dms(emulator)
    assert reminder.params["text"].startswith("Gentle reminder")
    moved = [u for u in emulator.calls_to("chat.update") if u.params["ts"] == first_ts][-1]
    assert "actions" not in [b["type"] for b in moved.params["blocks"]]
    assert "sent below" in json.dumps(moved.params["blocks"])

    run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 17, 59, tzinfo=UTC))
    assert rows(sessions)[0].state is CheckInState.SENT
    run_due_work(
        sessions, gateway, now=datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    )  # end of Tuesday's working day
    [row] = rows(sessions)
    assert row.state is CheckInState.NO_RESPONSE
    closed = emulator.calls_to("chat.update")[-1]
    assert "Closed with no response" in json.dumps(closed.params["blocks"])
    assert "actions" not in [b["type"] for b in closed.params["blocks"]]
    assert kinds(sessions).count("reminder_sent") == 1 and kinds(sessions).count("no_response") == 1
    run_due_work(sessions, gateway, now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert len(dms(emulator)) == 2  # no further reminders once closed
    assert len(nudges(emulator)) == 1  # a first miss: a courteous nudge, nothing escalated
    assert not [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == "C0ESCAL"]


def test_a_reminder_slack_did_not_take_is_sent_on_a_later_pass_before_anything_closes(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    one_commitment(sessions)
    run_due_work(sessions, gateway, now=MON_10)
    emulator.error_next("chat.postMessage", "internal_error", channel=CHAMPION)
    tuesday_9 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    run_due_work(sessions, gateway, now=tuesday_9)
    [row] = rows(sessions)
    assert (row.reminders_sent, row.closes_at, row.remind_at) == (0, None, tuesday_9 + timedelta(minutes=5))
    run_due_work(sessions, gateway, now=tuesday_9 + timedelta(minutes=5))
    [_, _, reminder] = [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == CHAMPION]
    assert reminder.params["text"].startswith("Gentle reminder")
    [row] = rows(sessions)
    assert (row.reminders_sent, row.closes_at) == (1, datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
    assert "reminder_failed" not in kinds(sessions) and kinds(sessions).count("reminder_sent") == 1


def test_reminder_count_is_configurable_per_account(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    account_id = make_account(sessions, now=CREATED)
    with sessions.begin() as session:
        session.get_one(Account, account_id).reminder_count = 0
    make_commitment(sessions, account_id=account_id, now=CREATED)
    run_due_work(sessions, gateway, now=MON_10)
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 18, 0, tzinfo=UTC))
    assert rows(sessions)[0].state is CheckInState.NO_RESPONSE  # same day, no reminder
    assert len(dms(emulator)) == 1


def test_checkins_due_together_arrive_in_one_dm_and_are_answered_separately(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    account_id = make_account(sessions, now=CREATED)
    make_commitment(sessions, account_id=account_id, now=CREATED)
    make_commitment(sessions, account_id=account_id, now=CREATED)
    run_due_work(sessions, gateway, now=MON_10)
    [dm] = dms(emulator)
    assert len([b for b in dm.params["blocks"] if b["type"] == "actions"]) == 2
    click(web, emulator, dm, "checkin_answer_done", index=0)
    update = emulator.wait_for("chat.update")[0]
    assert len([b for b in update.params["blocks"] if b["type"] == "actions"]) == 1  # the other is still open
    assert [r.state for r in rows(sessions)] == [CheckInState.ANSWERED, CheckInState.SENT]


def test_reminders_for_one_person_are_one_message_and_missed_ones_go_out_once(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    account_id = make_account(sessions, now=CREATED)
    make_commitment(sessions, account_id=account_id, now=CREATED, at=time(10, 0))
    make_commitment(sessions, account_id=account_id, now=CREATED, at=time(14, 0))
    run_due_work(sessions, gateway, now=MON_10)
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 14, 0, tzinfo=UTC))
    assert len(dms(emulator)) == 2
    # The clock is down from Monday afternoon until Thursday 10:00: one reminder, with both check-ins.
    run_due_work(sessions, gateway, now=datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    run_due_work(sessions, gateway, now=datetime(2026, 12, 3, 10, 30, tzinfo=UTC))
    reminders = [c for c in dms(emulator) if c.params["text"].startswith("Gentle reminder")]
    assert len(reminders) == 1
    assert len([b for b in reminders[0].params["blocks"] if b["type"] == "actions"]) == 2
    run_due_work(sessions, gateway, now=datetime(2026, 12, 3, 18, 0, tzinfo=UTC))
    assert [r.state for r in rows(sessions)] == [CheckInState.NO_RESPONSE] * 2


def test_dm_shows_the_streak_so_far(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    one_commitment(sessions)
    run_due_work(sessions, gateway, now=MON_10)
    click(web, emulator, dms(emulator)[0], "checkin_answer_done")
    emulator.wait_for("chat.update")
    run_due_work(sessions, gateway, now=datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    assert "done 1 of the last 1" in json.dumps(dms(emulator)[-1].params["blocks"])


def dm_event(emulator: SlackEmulator, text: str, **extra: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": emulator.dm_channel(CHAMPION),
        "user": CHAMPION,
        "text": text,
        "ts": "1764500000.000100",
        **extra,
    }


def test_typed_reply_becomes_a_note_on_the_open_checkin_once(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    one_commitment(sessions)
    run_due_work(sessions, gateway, now=MON_10)
    event = dm_event(emulator, "Running late — the report goes out Tuesday")
    assert web.slack.event(event, event_id="Ev0NOTE1").status == 200
    assert web.slack.event(event, event_id="Ev0NOTE1", retry_num=1).status == 200
    reply = emulator.wait_for(
        "chat.postMessage", where=lambda c: "thread_ts" in c.params and c.params["channel"].startswith("D")
    )[0]
    assert "Noted on your check-in" in reply.params["text"]
    with sessions() as session:
        notes = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "note")).all()
        assert len(notes) == 1
        assert notes[0].checkin_id == rows(sessions)[0].id and "report goes out Tuesday" in notes[0].text
    assert rows(sessions)[0].note == "Running late — the report goes out Tuesday"


def test_a_typed_note_followed_by_a_done_click_keeps_the_note(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    one_commitment(sessions)
    run_due_work(sessions, gateway, now=MON_10)
    web.slack.event(dm_event(emulator, "Sent to finance first"))
    emulator.wait_for("chat.postMessage", where=lambda c: "Noted on your check-in" in c.params["text"])
    click(web, emulator, dms(emulator)[0], "checkin_answer_done")
    emulator.wait_for("chat.update")
    [row] = rows(sessions)
    assert (row.answer, row.note) == (Answer.DONE, "Sent to finance first")


def test_typed_reply_with_nothing_open_is_answered_and_not_recorded(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    one_commitment(sessions)
    web.slack.event(dm_event(emulator, "hello?"))
    reply = emulator.wait_for(
        "chat.postMessage", where=lambda c: "thread_ts" in c.params and c.params["channel"].startswith("D")
    )[0]
    assert "no open check-in" in reply.params["text"]
    assert "note" not in kinds(sessions)


def test_bot_and_edited_messages_are_not_notes(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    one_commitment(sessions)
    run_due_work(sessions, gateway, now=MON_10)
    web.slack.event(dm_event(emulator, "edited", subtype="message_changed"))
    web.slack.event(dm_event(emulator, "from a bot", bot_id="B0OTHER"))
    web.slack.event(dm_event(emulator, "the real one"))
    emulator.wait_for(
        "chat.postMessage", where=lambda c: "thread_ts" in c.params and c.params["channel"].startswith("D")
    )
    assert kinds(sessions).count("note") == 1


def test_many_checkins_due_together_are_split_across_messages_within_slacks_limits(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    account_id = make_account(sessions, now=CREATED)
    for _ in range(12):
        make_commitment(sessions, account_id=account_id, now=CREATED)
    run_due_work(sessions, gateway, now=MON_10)
    messages = dms(emulator)
    assert [len([b for b in m.params["blocks"] if b["type"] == "actions"]) for m in messages] == [10, 2]
    assert all(len(m.params["blocks"]) <= 50 for m in messages)
    # Every check-in is answerable from the message that shows it.
    click(web, emulator, messages[1], "checkin_answer_done", index=1)
    emulator.wait_for("chat.update")
    assert len([r for r in rows(sessions) if r.state is CheckInState.ANSWERED]) == 1


def test_long_texts_are_cut_cleanly_to_slacks_limits(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> None:
    account_id = make_account(sessions, now=CREATED)
    with sessions.begin() as session:
        session.get_one(Account, account_id).desired_outcome = "o" * 5000
    make_commitment(sessions, account_id=account_id, now=CREATED)
    run_due_work(sessions, gateway, now=MON_10)
    [dm] = dms(emulator)
    section = dm.params["blocks"][0]["text"]["text"]
    assert len(section) <= 3000 and section.endswith("…")
    assert rows(sessions)[0].state is CheckInState.SENT


def test_reply_in_a_checkins_thread_goes_to_that_checkin(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    account_id = make_account(sessions, now=CREATED)
    make_commitment(sessions, account_id=account_id, now=CREATED, every="every monday", at=time(10, 0))
    make_commitment(sessions, account_id=account_id, now=CREATED, every="every monday", at=time(16, 0))
    run_due_work(sessions, gateway, now=MON_10)
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 16, 0, tzinfo=UTC))
    monday_ts = emulator.messages(emulator.dm_channel(CHAMPION))[0]["ts"]
    web.slack.event(
        dm_event(emulator, "Monday's was late, sorry", thread_ts=monday_ts, ts="1764600000.000200")
    )
    emulator.wait_for("chat.postMessage", where=lambda c: c.params.get("thread_ts") == monday_ts)
    with sessions() as session:
        note = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "note")).one()
    monday = next(r for r in rows(sessions) if r.scheduled_at == MON_10)
    assert note.checkin_id == monday.id  # the 10:00 one whose thread it is, not the latest open one
