"""Events: opening the App Home publishes that person's home; a message typed to the bot in its DM
becomes a note on their open check-in, answered in the thread either way."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps
from handlers.events.home import publish_home
from handlers.events.messages import on_direct_message
from models import CheckIn, DiaryEntry
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION
from tests.factories import make_account, make_commitment

CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
MON_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def checkin_sent(sessions: sessionmaker[Session], gateway: SlackGateway) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    run_due_work(sessions, gateway, now=MON_10)


def notes(sessions: sessionmaker[Session]) -> list[DiaryEntry]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "note")))


def typed(emulator: SlackEmulator, text: str, **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `event` and the envelope (`body`) of a message typed in the bot's DM."""
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": emulator.dm_channel(CHAMPION),
        "user": CHAMPION,
        "text": text,
        "ts": "1764500000.000100",
        **extra,
    }
    return event, {"type": "event_callback", "event_id": "Ev0TYPED", "event": event}


def test_opening_the_app_home_publishes_that_persons_home_with_their_open_checkin(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    checkin_sent(sessions, gateway)
    publish_home({"type": "app_home_opened", "user": CHAMPION, "tab": "home"}, client, deps=deps)

    [published] = emulator.calls_to("views.publish")
    assert published.params["user_id"] == CHAMPION
    home = json.dumps(published.params["view"])
    assert published.params["view"]["type"] == "home"
    assert "Send the weekly usage report" in home and "checkin_answer_done" in home


def test_a_message_typed_to_the_bot_becomes_a_note_on_the_open_checkin_and_is_answered_in_its_thread(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    checkin_sent(sessions, gateway)
    before = len(emulator.calls_to("chat.postMessage"))
    event, body = typed(emulator, "Running late — the report goes out Tuesday")
    on_direct_message(event, body, client, deps=deps)

    [reply] = emulator.calls_to("chat.postMessage")[before:]
    assert (reply.params["channel"], reply.params["thread_ts"]) == (event["channel"], event["ts"])
    assert "Noted on your check-in" in reply.params["text"]
    with sessions() as session:
        checkin = session.scalars(select(CheckIn)).one()
    assert checkin.note == "Running late — the report goes out Tuesday"
    [note] = notes(sessions)
    assert note.checkin_id == checkin.id


def test_a_message_typed_with_no_open_checkin_is_answered_so_and_not_recorded(
    emulator: SlackEmulator, client: WebClient, deps: Deps, sessions: sessionmaker[Session]
) -> None:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    event, body = typed(emulator, "hello?")
    on_direct_message(event, body, client, deps=deps)

    [reply] = emulator.calls_to("chat.postMessage")
    assert reply.params["thread_ts"] == event["ts"] and "no open check-in" in reply.params["text"]
    assert notes(sessions) == []


def test_edits_bot_messages_and_channel_messages_are_not_notes_and_get_no_reply(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    checkin_sent(sessions, gateway)
    before = len(emulator.calls_to("chat.postMessage"))
    for extra in ({"subtype": "message_changed"}, {"bot_id": "B0OTHER"}, {"channel_type": "channel"}):
        event, body = typed(emulator, "not a note", **extra)
        on_direct_message(event, body, client, deps=deps)

    assert emulator.calls_to("chat.postMessage")[before:] == []
    assert notes(sessions) == []
