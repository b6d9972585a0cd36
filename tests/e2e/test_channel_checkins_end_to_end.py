"""Check-ins in the account's shared channel, over signed HTTP and the emulator: a champion who can't be
DMed answers there (and no one else can), `auto` falls back after one refused DM and tries the DM again a
week later, reminders are thread replies, and a check-in that can go nowhere is recorded undeliverable,
counts against no one, and the CSM is told once with the fix — never a Slack code where customers read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.digest.message import digest_blocks
from bot.digest.report import build_digest
from bot.digest.settings import DigestSchedule
from bot.slack.errors import CANNOT_DM_ERRORS, PERMANENT_ERRORS
from bot.slack.gateway import SlackGateway, make_client
from models import Account, Answer, CheckIn, CheckInState, Commitment, DiaryEntry, Escalation, Person
from slack_emulator import Call, SlackEmulator
from tests.conftest import (
    ADMIN,
    CHAMPION,
    CSM,
    CUSTOMER_TEAM,
    ENGINEER,
    OUTSIDER_VENDOR,
    SHARED_CHANNEL,
    TOKEN,
    Clock,
    RunningApp,
)
from tests.flows import ADD_ACME, agree_to_plan, buttons, run

DAILY = 'commit Acme customer <@U0CHAMP|jo> "Log the day\'s onboarding calls" every day at 10:00'
# The plan is agreed on Monday 23 November at 15:00 UTC; the champion is in London (UTC in winter).
TUE = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CODES = PERMANENT_ERRORS | CANNOT_DM_ERRORS | {"owner_not_in_channel"}


def set_up(web: RunningApp, emulator: SlackEmulator, *, checkins: str | None = None) -> None:
    add = ADD_ACME + (f" checkins:{checkins}" if checkins else "")
    assert "created" in run(web, emulator, add)
    assert "Recorded #" in run(web, emulator, DAILY)
    agree_to_plan(web, emulator)


def passes(sessions: sessionmaker[Session], gateway: SlackGateway, *days: int) -> None:
    for day in days:
        report = run_due_work(sessions, gateway, now=TUE + timedelta(days=day))
        assert not report.errors, report.errors


def channel_posts(emulator: SlackEmulator) -> list[Call]:
    """Check-in posts in the shared channel (not the plan, not thread replies)."""
    return [
        c
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == SHARED_CHANNEL
        and "thread_ts" not in c.params
        and "checkin_answer_done" in buttons(c.params.get("blocks") or [])
    ]


def dms_to(emulator: SlackEmulator, user: str) -> list[Call]:
    return [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == user]


def checkin_dms(emulator: SlackEmulator) -> list[Call]:
    """Check-in DMs to the champion, refused ones included (not a slip's gentle word)."""
    return [
        c
        for c in dms_to(emulator, CHAMPION)
        if "checkin_answer_done" in buttons(c.params.get("blocks") or [])
    ]


def checkins(sessions: sessionmaker[Session]) -> list[CheckIn]:
    with sessions() as session:
        return list(session.scalars(select(CheckIn).order_by(CheckIn.scheduled_at)))


def person(sessions: sessionmaker[Session], user_id: str) -> Person:
    with sessions() as session:
        return session.scalars(select(Person).where(Person.user_id == user_id)).one()


def diary_texts(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry.text)))


def assert_no_code(texts: list[str]) -> None:
    for text in texts:
        for code in CODES:
            assert code not in text, f"{code} shown in {text!r}"


def click(web: RunningApp, checkin: CheckIn, *, user_id: str, answer: str = "done", **extra: Any) -> None:
    result = web.slack.click(
        action_id=f"checkin_answer_{answer}",
        value=str(checkin.id),
        user_id=user_id,
        channel_id=checkin.channel_id,
        message_ts=checkin.message_ts,
        **extra,
    )
    assert result.status == 200


def test_a_champion_who_cannot_be_dmed_answers_a_channel_checkin_and_only_they_can(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    emulator.set_dm_error(CHAMPION, "invalid_user_combination")
    set_up(web, emulator, checkins="channel")
    passes(sessions, gateway, 0)

    assert dms_to(emulator, CHAMPION) == []  # `channel`: no DM is even tried
    [post] = channel_posts(emulator)
    assert f"<@{CHAMPION}>" in post.params["text"]
    assert set(buttons(post.params["blocks"])) == {
        f"checkin_answer_{a}" for a in ("done", "partly", "blocked", "not_yet", "snoozed")
    } | {"proposal_open", "away_open"}
    [checkin] = checkins(sessions)
    assert (checkin.state, checkin.place, checkin.channel_id) == (
        CheckInState.SENT,
        "channel",
        SHARED_CHANNEL,
    )

    clock.now = TUE + timedelta(minutes=30)
    public_before = len(emulator.messages(SHARED_CHANNEL))
    click(web, checkin, user_id=ENGINEER)
    click(web, checkin, user_id=OUTSIDER_VENDOR, answer="blocked")  # a note-form button, too
    refusals = emulator.wait_for("chat.postEphemeral", count=2)
    assert {c.params["user"] for c in refusals} == {ENGINEER, OUTSIDER_VENDOR}
    assert all(c.params["channel"] == SHARED_CHANNEL for c in refusals)
    assert all(f"belongs to <@{CHAMPION}>" in c.params["text"] for c in refusals)
    assert emulator.calls_to("views.open") == []
    assert len(emulator.messages(SHARED_CHANNEL)) == public_before  # refused privately, never in public
    assert all(c.params["ts"] != checkin.message_ts for c in emulator.calls_to("chat.update"))
    [still] = checkins(sessions)
    assert still.state is CheckInState.SENT and still.answer is None
    assert not any(t.startswith("Done") for t in diary_texts(sessions))

    click(web, checkin, user_id=CHAMPION, user_team_id=CUSTOMER_TEAM)
    update = emulator.wait_for(
        "chat.update",
        where=lambda c: c.params["channel"] == SHARED_CHANNEL and c.params["ts"] == checkin.message_ts,
    )[0]
    assert all(block["type"] != "actions" for block in update.params["blocks"])
    assert "Done" in update.params["text"] and f"<@{CHAMPION}>" in update.params["text"]
    shown = [m for m in emulator.messages(SHARED_CHANNEL) if m["ts"] == checkin.message_ts]
    assert shown[0]["text"] == update.params["text"]  # updated in place, for everyone
    [answered] = checkins(sessions)
    assert (answered.state, answered.answer, answered.answered_by) == (
        CheckInState.ANSWERED,
        Answer.DONE,
        CHAMPION,
    )


def test_auto_falls_back_to_the_channel_after_one_refused_dm_and_tries_the_dm_again_a_week_later(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    set_up(web, emulator)  # auto, the default
    emulator.set_dm_error(CHAMPION, "cannot_dm_bot")
    passes(sessions, gateway, 0)

    assert len(checkin_dms(emulator)) == 1  # tried once, refused
    [post] = channel_posts(emulator)  # the same check-in, in the same pass
    assert f"<@{CHAMPION}>" in post.params["text"]
    [first] = checkins(sessions)
    assert (first.state, first.place) == (CheckInState.SENT, "channel")
    assert person(sessions, CHAMPION).dm_retry_at == TUE + timedelta(days=7)
    assert person(sessions, CHAMPION).delivery_problem is None  # the channel reached them: nothing to fix

    passes(sessions, gateway, 1)  # Wednesday: straight to the channel, no DM tried
    assert len(checkin_dms(emulator)) == 1
    assert len(channel_posts(emulator)) == 2
    # The CSM hears once why the champion's check-ins now appear in the channel, and how to keep it so.
    [told] = [c for c in dms_to(emulator, CSM) if "won't let me send direct messages" in c.params["text"]]
    assert f"<#{SHARED_CHANNEL}>" in told.params["text"] and "checkins:channel" in told.params["text"]

    emulator.set_dm_error(CHAMPION, None)
    passes(sessions, gateway, 7)  # a week later: the DM is tried again, and works
    assert len(checkin_dms(emulator)) == 2
    assert len(channel_posts(emulator)) == 2
    latest = checkins(sessions)[-1]
    assert (latest.state, latest.place) == (CheckInState.SENT, "dm")
    assert person(sessions, CHAMPION).dm_retry_at is None


def test_a_channel_checkin_is_reminded_in_its_thread_and_the_post_shows_it_closed(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    set_up(web, emulator, checkins="channel")
    passes(sessions, gateway, 0, 1)  # Tuesday's check-in; on Wednesday morning its reminder
    tuesday = checkins(sessions)[0]
    replies = [
        c
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == SHARED_CHANNEL and c.params.get("thread_ts") == tuesday.message_ts
    ]
    assert len(replies) == 1
    assert f"<@{CHAMPION}>" in replies[0].params["text"] and "reminder" in replies[0].params["text"]
    assert dms_to(emulator, CHAMPION) == []

    passes(sessions, gateway, 2)  # Tuesday's closes at the end of Wednesday
    closed = [
        c
        for c in emulator.calls_to("chat.update")
        if c.params["channel"] == SHARED_CHANNEL and c.params["ts"] == tuesday.message_ts
    ]
    assert len(closed) == 1 and "Closed with no response" in closed[0].params["text"]
    assert all(block["type"] != "actions" for block in closed[0].params["blocks"])
    assert checkins(sessions)[0].state is CheckInState.NO_RESPONSE


def test_a_checkin_the_bot_cannot_post_tells_the_csm_once_and_counts_against_nobody(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    set_up(web, emulator, checkins="channel")
    emulator.set_channel(SHARED_CHANNEL, bot_member=False)
    passes(sessions, gateway, 0, 1, 2, 3)

    rows = checkins(sessions)
    assert len(rows) == 4 and all(r.state is CheckInState.FAILED for r in rows)
    told = [c for c in dms_to(emulator, CSM) if "can't deliver" in c.params["text"]]
    assert len(told) == 1
    assert f"invite me to <#{SHARED_CHANNEL}>" in told[0].params["text"]
    assert "(not_in_channel)" in told[0].params["text"]  # the CSM may see the code; no one else does
    texts = diary_texts(sessions)
    assert sum("could not be delivered" in t for t in texts) == 4
    assert_no_code(texts)
    assert_no_code([m["text"] for m in emulator.messages(SHARED_CHANNEL)])
    with sessions() as session:
        # Four check-ins gone nowhere are no misses: no escalation, no unresponsive champion.
        assert session.scalars(select(Escalation)).all() == []
        accounts = list(session.scalars(select(Account)))
        report = build_digest(
            session, accounts, schedule=DigestSchedule(), period_end=TUE + timedelta(days=6)
        )
    [listed] = report.undeliverable
    assert (listed.user_id, listed.checkins) == (CHAMPION, 4)
    assert listed.reason == "the bot is not a member of the shared channel"
    shown = str(digest_blocks(report, now=TUE + timedelta(days=6), heading="Weekly digest"))
    assert "Check-ins that could not be delivered" in shown and "not a member of the shared channel" in shown

    # Invited back: the next check-in goes out, and a new failure would be told again.
    emulator.set_channel(SHARED_CHANNEL, bot_member=True)
    passes(sessions, gateway, 6)
    assert checkins(sessions)[-1].state is CheckInState.SENT
    assert person(sessions, CHAMPION).delivery_problem is None


def test_an_archived_channel_or_a_champion_who_left_it_is_told_with_its_own_fix(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    set_up(web, emulator, checkins="channel")
    emulator.set_channel(SHARED_CHANNEL, members=[CSM, ADMIN, ENGINEER])
    passes(sessions, gateway, 0, 1)
    emulator.set_channel(SHARED_CHANNEL, members=[CSM, ADMIN, ENGINEER, CHAMPION], is_archived=True)
    passes(sessions, gateway, 2, 3)

    told = [c.params["text"] for c in dms_to(emulator, CSM) if "can't deliver" in c.params["text"]]
    assert len(told) == 2
    assert f"<@{CHAMPION}> has left <#{SHARED_CHANNEL}>" in told[0]
    assert f"`/accountability handover <@{CHAMPION}> @new-champion Acme`" in told[0]
    assert f"unarchive <#{SHARED_CHANNEL}>" in told[1]
    assert all(r.state is CheckInState.FAILED for r in checkins(sessions))
    assert_no_code(diary_texts(sessions))


def test_under_dm_a_person_who_cannot_be_dmed_is_undeliverable_and_the_csm_told_how_to_choose_the_channel(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    set_up(web, emulator, checkins="dm")
    emulator.set_dm_error(CHAMPION, "invalid_user_combination")
    passes(sessions, gateway, 0, 1)

    assert channel_posts(emulator) == []
    assert all(r.state is CheckInState.FAILED for r in checkins(sessions))
    told = [c.params["text"] for c in dms_to(emulator, CSM) if "can't deliver" in c.params["text"]]
    assert len(told) == 1
    assert f"`/accountability person <@{CHAMPION}> checkins:channel`" in told[0]
    assert_no_code(diary_texts(sessions))

    # The CSM does what the message says; the next check-in is posted in the channel.
    assert "Done" in run(web, emulator, f"person <@{CHAMPION}|jo> checkins:channel")
    passes(sessions, gateway, 2)
    assert len(channel_posts(emulator)) == 1
    assert checkins(sessions)[-1].place == "channel"


def test_person_command_shows_and_sets_where_checkins_go_and_a_missing_time_zone(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    emulator.add_user(CHAMPION, team_id=CUSTOMER_TEAM, name="jo", tz=None)  # Slack has no zone for them
    set_up(web, emulator)

    shown = run(web, emulator, f"person <@{CHAMPION}|jo>")
    assert "Time zone: unknown" in shown and "Acme: `auto`" in shown

    refused = run(web, emulator, f"person <@{CHAMPION}|jo> checkins:channel", user_id=OUTSIDER_VENDOR)
    assert refused.startswith("Only the CSM") and person(sessions, CHAMPION).checkin_delivery is None

    assert "Done" in run(web, emulator, f"person <@{CHAMPION}|jo> checkins:channel tz:Europe/Paris")
    changed = person(sessions, CHAMPION)
    assert (changed.checkin_delivery, changed.tz) == ("channel", "Europe/Paris")
    with sessions() as session:
        assert session.scalars(select(Commitment.next_checkin_at)).all() == [None]
        entries = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "person_settings")).all()
        assert len(entries) == 1 and "Europe/Paris" in entries[0].text

    # A profile refresh a few days later, with still no zone from Slack, keeps the one set here.
    clock.now += timedelta(days=3)
    assert "updated" in run(web, emulator, f"account edit Acme champion:<@{CHAMPION}|jo>").lower()
    assert person(sessions, CHAMPION).tz == "Europe/Paris"

    assert "Done" in run(web, emulator, f"person <@{CHAMPION}|jo> checkins:account", user_id=ADMIN)
    assert person(sessions, CHAMPION).checkin_delivery is None

    # Someone Slack does know the zone of changes it in Slack: refused, said why.
    refused = run(web, emulator, f"person <@{CSM}> tz:Europe/Paris", user_id=ADMIN)
    assert "not on any account" in refused
    emulator.add_user(CHAMPION, team_id=CUSTOMER_TEAM, name="jo", tz="Europe/London")
    refused = run(web, emulator, f"person <@{CHAMPION}|jo> tz:Europe/Paris")
    assert "Slack already has a time zone" in refused


def test_a_channel_post_slack_answered_with_a_5xx_is_settled_from_the_channels_history_and_posted_once(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    set_up(web, emulator, checkins="channel")
    clock_gateway = SlackGateway(make_client(token=TOKEN, api_url=emulator.api_url, clock=True))
    emulator.fail_next("chat.postMessage", status=503)
    run_due_work(sessions, clock_gateway, now=TUE)
    history = emulator.calls_to("conversations.history")
    assert [c.params["channel"] for c in history] == [SHARED_CHANNEL]
    # Not in the channel's history, so posted again in the same pass, once.
    assert len(channel_posts(emulator)) == 2  # the refused try, and the one that went out
    assert len([m for m in emulator.messages(SHARED_CHANNEL) if "checkin" in str(m.get("blocks"))]) == 1
    [sent] = checkins(sessions)
    assert (sent.state, sent.place, sent.channel_id) == (CheckInState.SENT, "channel", SHARED_CHANNEL)
