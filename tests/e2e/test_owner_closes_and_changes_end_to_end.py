"""Owners close their own work and change their own answers, over signed HTTP and the emulator."""

from __future__ import annotations

import json
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import WebApp
from bot.clock_pass import run_due_work
from bot.digest.scorecard import kept_rates
from bot.slack.gateway import SlackGateway
from models import (
    Answer,
    CheckIn,
    CheckInState,
    Commitment,
    CommitmentStatus,
    DiaryEntry,
    Escalation,
    EscalationState,
    Side,
)
from slack_emulator import Call, SlackEmulator
from slack_emulator.outbound import HttpResult
from tests.conftest import CHAMPION, CUSTOMER_TEAM, ENGINEER, ESCALATION_CHANNEL, Clock, RunningApp
from tests.flows import ADD_ACME, agree_to_plan, buttons, run

COLLEAGUE = "U0CUST2"


def quiet(web: RunningApp) -> bool:
    """The listener may still be writing after its last Slack call."""
    app = web.server.get_app()
    assert isinstance(app, WebApp)
    return app.listeners.wait_quiet()


def commitment_id(sessions: sessionmaker[Session], action: str) -> int:
    with sessions() as session:
        found = session.scalar(select(Commitment.id).where(Commitment.action == action))
        assert found is not None
        return found


def checkins(sessions: sessionmaker[Session]) -> list[CheckIn]:
    with sessions() as session:
        return list(session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at)))


def diary(sessions: sessionmaker[Session]) -> list[DiaryEntry]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry).order_by(DiaryEntry.id)))


def dms(emulator: SlackEmulator, user_id: str) -> list[Call]:
    return [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == user_id]


def home_of(web: RunningApp, emulator: SlackEmulator, user_id: str) -> list[dict[str, Any]]:
    before = len(emulator.calls_to("views.publish"))
    web.slack.event({"type": "app_home_opened", "user": user_id, "channel": "D0X", "tab": "home"})
    blocks = emulator.wait_for("views.publish", count=before + 1)[before].params["view"]["blocks"]
    assert isinstance(blocks, list)
    return blocks


def accessories(blocks: list[dict[str, Any]], action_id: str) -> list[dict[str, Any]]:
    return [b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == action_id]


def choose(web: RunningApp, *, user_id: str, value: str, channel_id: str, message_ts: str) -> HttpResult:
    """An overflow menu choice on a message, as Slack sends it."""
    own_team = web.slack.user_team(user_id)
    payload = {
        "type": "block_actions",
        "team": {"id": own_team, "domain": "vendor"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": own_team},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "trigger_id": web.slack.new_trigger_id(),
        "response_url": web.slack.new_response_url(),
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id},
        "channel": {"id": channel_id, "name": "directmessage"},
        "message": {"type": "message", "ts": message_ts, "text": "check-in"},
        "actions": [
            {
                "type": "overflow",
                "action_id": "checkin_change",
                "block_id": "outcome",
                "selected_option": {"text": {"type": "plain_text", "text": "Change"}, "value": value},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    return web.slack.post(body, content_type="application/x-www-form-urlencoded")


def test_owner_marks_their_overdue_vendor_commitment_done_from_the_app_home_and_its_escalation_resolves(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    run(web, emulator, ADD_ACME + " reminders:2")  # two reminders: the check-in is still open on Thursday
    run(web, emulator, 'commit Acme vendor <@U0ENG> "Ship the import fix" by 2026-12-01 at 10:00')
    # 10:00 in Tokyo on Tuesday: the check-in; 18:00 there (09:00 UTC) on Wednesday, a whole working day
    # later: overdue, escalated.
    run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    run_due_work(sessions, gateway, now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    [post] = [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == ESCALATION_CHANNEL]
    assert "overdue" in post.params["text"].lower()

    clock.now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    [mark] = accessories(home_of(web, emulator, ENGINEER), "commitment_mark_done")
    assert mark["value"] == str(commitment_id(sessions, "Ship the import fix"))
    web.slack.click(action_id="commitment_mark_done", value=mark["value"], user_id=ENGINEER,
                    channel_id=None, message_ts=None, container_type="view")  # fmt: skip
    resolved = emulator.wait_for(
        "chat.update",
        where=lambda c: (
            c.params["channel"] == ESCALATION_CHANNEL and "the commitment is done" in json.dumps(c.params)
        ),
    )
    assert resolved and quiet(web)
    with sessions() as session:
        [episode] = session.scalars(select(Escalation))
        assert (
            episode.state is EscalationState.RESOLVED and episode.resolution_note == "the commitment is done"
        )
        assert episode.resolved_at == clock.now and not episode.post_pending
        commitment = session.get_one(Commitment, episode.commitment_id)
        assert commitment.status is CommitmentStatus.DONE
    # The owner's own word is their answer to the check-in still open.
    [checkin] = checkins(sessions)
    assert (checkin.state, checkin.answer, checkin.answered_by) == (
        CheckInState.ANSWERED,
        Answer.DONE,
        ENGINEER,
    )
    done = [e for e in diary(sessions) if e.kind == "commitment_done"]
    assert len(done) == 1 and "Marked done by its owner <@U0ENG>" in done[0].text
    assert done[0].actor_user_id == ENGINEER
    # Nothing more is asked of it.
    run_due_work(sessions, gateway, now=datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    assert len(checkins(sessions)) == 1


def test_a_customer_owner_may_mark_their_own_commitment_done_and_a_colleague_may_not(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    emulator.add_user(COLLEAGUE, team_id=CUSTOMER_TEAM, name="sam", tz="Europe/London")
    run(web, emulator, ADD_ACME)
    run(web, emulator, 'commit Acme customer <@U0CHAMP> "Invite the sales team" by 2026-12-04 at 10:00')
    agree_to_plan(web, emulator)
    number = commitment_id(sessions, "Invite the sales team")

    refused = run(web, emulator, f"done #{number}", user_id=COLLEAGUE)
    assert "Its owner, <@U0CHAMP>, may also mark" in refused
    with sessions() as session:
        assert session.get_one(Commitment, number).status is CommitmentStatus.ACTIVE

    reply = run(web, emulator, f'done #{number} "All 40 invited"', user_id=CHAMPION)
    assert "is completed" in reply
    with sessions() as session:
        assert session.get_one(Commitment, number).status is CommitmentStatus.DONE
    [entry] = [e for e in diary(sessions) if e.kind == "commitment_done"]
    assert entry.actor_user_id == CHAMPION and "All 40 invited" in entry.text and entry.side is Side.CUSTOMER


def answer_not_yet(web: RunningApp, emulator: SlackEmulator, checkin_id: int) -> None:
    updates = len(emulator.calls_to("chat.update"))
    web.slack.submit_view(
        callback_id="checkin_note_form",
        values={"note": {"type": "plain_text_input", "value": "Waiting on IT"}},
        user_id=CHAMPION,
        private_metadata=json.dumps({"checkin_id": checkin_id, "answer": "not_yet"}),
    )
    emulator.wait_for("chat.update", count=updates + 1)


def test_not_yet_on_a_due_date_brings_a_follow_up_each_working_morning_until_it_is_done(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    run(web, emulator, ADD_ACME)
    run(web, emulator, 'commit Acme customer <@U0CHAMP> "Invite the sales team" by 2026-12-04 at 10:00')
    agree_to_plan(web, emulator)
    friday = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # 10:00 London
    run_due_work(sessions, gateway, now=friday)
    [first] = checkins(sessions)
    clock.now = friday + timedelta(hours=1)
    answer_not_yet(web, emulator, first.id)

    run_due_work(sessions, gateway, now=friday + timedelta(hours=2))
    run_due_work(sessions, gateway, now=datetime(2026, 12, 6, 9, 0, tzinfo=UTC))  # Sunday: never
    assert len(checkins(sessions)) == 1
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 09:00 London, the next working morning
    run_due_work(sessions, gateway, now=monday)
    run_due_work(sessions, gateway, now=monday)  # a second pass creates nothing more
    follow_ups = checkins(sessions)
    assert [c.scheduled_at for c in follow_ups] == [friday, monday]
    assert follow_ups[1].state is CheckInState.SENT and len(dms(emulator, CHAMPION)) >= 2

    clock.now = monday + timedelta(hours=1)
    answer_not_yet(web, emulator, follow_ups[1].id)
    tuesday = monday + timedelta(days=1)
    run_due_work(sessions, gateway, now=tuesday)
    third = checkins(sessions)[-1]
    assert third.scheduled_at == tuesday and third.state is CheckInState.SENT

    # Done on Tuesday's: no more follow-ups.
    clock.now = tuesday + timedelta(hours=1)
    dm = dms(emulator, CHAMPION)[-1]
    channel = emulator.dm_channel(CHAMPION)
    web.slack.click(action_id="checkin_answer_done", value=buttons(dm.params["blocks"])["checkin_answer_done"],
                    user_id=CHAMPION, channel_id=channel, message_ts=emulator.messages(channel)[-1]["ts"])  # fmt: skip
    emulator.wait_for(
        "chat.update", where=lambda c: "answered by" in json.dumps(c.params) and "Done" in c.params["text"]
    )
    for day in (8, 9, 10):
        run_due_work(sessions, gateway, now=datetime(2026, 12, day + 1, 9, 0, tzinfo=UTC))
    assert len(checkins(sessions)) == 3
    with sessions() as session:
        assert session.get_one(Commitment, third.commitment_id).status is CommitmentStatus.DONE


def test_an_answer_changed_within_24_hours_keeps_both_entries_and_counts_the_latest_then_is_refused(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    run(web, emulator, ADD_ACME)
    run(web, emulator, 'commit Acme customer <@U0CHAMP> "Send the usage report" every monday at 10:00')
    agree_to_plan(web, emulator)
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    run_due_work(sessions, gateway, now=monday)
    dm = dms(emulator, CHAMPION)[-1]
    channel = emulator.dm_channel(CHAMPION)
    ts = emulator.messages(channel)[-1]["ts"]
    clock.now = monday + timedelta(minutes=5)
    web.slack.click(action_id="checkin_answer_done", value=buttons(dm.params["blocks"])["checkin_answer_done"],
                    user_id=CHAMPION, channel_id=channel, message_ts=ts)  # fmt: skip
    answered = emulator.wait_for("chat.update", where=lambda c: c.params["channel"] == channel)[-1]
    [menu] = accessories(answered.params["blocks"], "checkin_change")
    options = {o["text"]["text"]: o["value"] for o in menu["options"]}
    assert set(options) == {"Change answer to Partly", "Change answer to Blocked", "Change answer to Not yet"}

    # The App Home offers the same change for the last day's answers.
    [in_home] = accessories(home_of(web, emulator, CHAMPION), "checkin_change")
    assert {o["value"] for o in in_home["options"]} == set(options.values())

    clock.now = monday + timedelta(hours=3)
    before = len(emulator.calls_to("chat.update"))
    choose(
        web, user_id=CHAMPION, value=options["Change answer to Not yet"], channel_id=channel, message_ts=ts
    )
    changed = emulator.wait_for("chat.update", count=before + 1)[before]
    assert "Not yet" in changed.params["text"]
    [checkin] = checkins(sessions)
    assert checkin.answer is Answer.NOT_YET and checkin.answered_by == CHAMPION
    first, second = [e for e in diary(sessions) if e.kind.startswith("answer_")]
    assert (first.kind, second.kind, second.corrects_id) == ("answer_done", "answer_not_yet", first.id)
    assert "from Done to Not yet" in second.text
    account_id = _account(sessions)
    with sessions() as session:
        rate = kept_rates(session, [account_id], since=monday - timedelta(days=1))[
            (account_id, Side.CUSTOMER)
        ]
        assert (rate.kept, rate.total) == (0, 1)
    # The rules see the change like a new answer: the first miss is noted with a nudge.
    run_due_work(sessions, gateway, now=monday + timedelta(hours=4))
    assert [e.kind for e in diary(sessions)].count("miss_noted") == 1

    # After 24 hours the clock takes the control off the message, and a change is refused.
    before = len(emulator.calls_to("chat.update"))
    run_due_work(sessions, gateway, now=monday + timedelta(hours=24, minutes=10))
    redrawn = [c for c in emulator.calls_to("chat.update")[before:] if c.params["channel"] == channel]
    assert redrawn and not accessories(redrawn[-1].params["blocks"], "checkin_change")
    assert checkins(sessions)[0].answer_change_closed
    run_due_work(sessions, gateway, now=monday + timedelta(hours=24, minutes=11))
    assert len(emulator.calls_to("chat.update")) == before + len(redrawn)  # closed once

    clock.now = monday + timedelta(hours=25)
    assert not accessories(home_of(web, emulator, CHAMPION), "checkin_change")
    ephemerals = len(emulator.calls_to("chat.postEphemeral"))
    choose(web, user_id=CHAMPION, value=options["Change answer to Partly"], channel_id=channel, message_ts=ts)
    refusal = emulator.wait_for("chat.postEphemeral", count=ephemerals + 1)[ephemerals]
    assert "Answers can be changed for 24 hours; ask your CSM to `correct` it." in refusal.params["text"]
    assert checkins(sessions)[0].answer is Answer.NOT_YET


def _account(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        found = session.scalar(select(Commitment.account_id).limit(1))
        assert found is not None
        return found


def test_a_reminder_redrawing_a_shared_message_keeps_the_change_control_of_an_answer_in_it(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    run(web, emulator, ADD_ACME)
    run(web, emulator, 'commit Acme customer <@U0CHAMP> "Send the usage report" every monday at 10:00')
    run(web, emulator, 'commit Acme customer <@U0CHAMP> "Log the bookings" every monday at 10:00')
    agree_to_plan(web, emulator)
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    run_due_work(sessions, gateway, now=monday)
    channel = emulator.dm_channel(CHAMPION)
    [message] = emulator.messages(channel)
    first, second = checkins(sessions)
    assert first.message_ts == second.message_ts == message["ts"]
    clock.now = monday + timedelta(minutes=5)
    web.slack.click(action_id="checkin_answer_done", value=str(first.id), user_id=CHAMPION,
                    channel_id=channel, message_ts=message["ts"])  # fmt: skip
    emulator.wait_for("chat.update", where=lambda c: c.params["channel"] == channel)
    assert quiet(web)
    with sessions() as session:
        remind_at = session.get_one(CheckIn, second.id).remind_at
    assert remind_at is not None and remind_at < monday + timedelta(hours=24)

    before = len(emulator.calls_to("chat.update"))
    assert run_due_work(sessions, gateway, now=remind_at).reminded == 1
    redrawn = [c for c in emulator.calls_to("chat.update")[before:] if c.params.get("ts") == message["ts"]]
    assert redrawn, "the first message is redrawn without the buttons the reminder now carries"
    [menu] = accessories(redrawn[-1].params["blocks"], "checkin_change")
    assert {o["value"] for o in menu["options"]} == {
        f"{first.id}:partly",
        f"{first.id}:blocked",
        f"{first.id}:not_yet",
    }
