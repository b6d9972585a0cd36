"""Hand-overs: a champion leaving the shared channel or an owner deactivated stops their check-ins and
asks the CSM for new owners; the new champion's agreement restarts the customer's check-ins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.people.handover_message import HAND_OVER_CHAMPION, HAND_OVER_COMMITMENT
from bot.slack.gateway import SlackGateway
from models import Account, CheckIn, CheckInState, Commitment, DiaryEntry, Handover, Person
from slack_emulator import SlackEmulator
from tests.conftest import (
    ADMIN,
    CHAMPION,
    CSM,
    CUSTOMER_TEAM,
    ENGINEER,
    SHARED_CHANNEL,
    Clock,
    RunningApp,
)
from tests.e2e.test_checkin_end_to_end import reply_text, set_up_account_and_commitment
from tests.e2e.test_owner_closes_and_changes_end_to_end import quiet

NEW_CHAMPION = "U0NEWCH"
VENDOR_COMMIT = (
    'commit Acme vendor <@U0ENG|eng> "Review the usage dashboard with the customer" every tuesday at 09:00'
)


def add_new_champion(emulator: SlackEmulator) -> None:
    emulator.add_user(NEW_CHAMPION, team_id=CUSTOMER_TEAM, name="ana", tz="Europe/London")
    emulator.set_channel(SHARED_CHANNEL, members=[CSM, ADMIN, ENGINEER, CHAMPION, NEW_CHAMPION])


def handover_asks(emulator: SlackEmulator, user_id: str = CSM) -> list[dict[str, Any]]:
    """The hand-over DMs Slack holds in the bot's DM with `user_id` (each posted with user pickers)."""
    return [
        message
        for message in emulator.messages(user_id)
        if any(_picker(block) for block in message.get("blocks") or [])
    ]


def _picker(block: dict[str, Any]) -> str | None:
    accessory = block.get("accessory") or {}
    return str(accessory["action_id"]) if accessory.get("type") == "users_select" else None


def pickers(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """block_id → action_id of each user picker in a hand-over DM."""
    return {block["block_id"]: action for block in blocks if (action := _picker(block))}


def latest_dm(emulator: SlackEmulator, user_id: str) -> dict[str, Any]:
    return emulator.messages(user_id)[-1]


def pick(
    web: RunningApp,
    emulator: SlackEmulator,
    *,
    block_id: str,
    action_id: str,
    chosen: str,
    by: str = CSM,
    message_ts: str | None = None,
) -> str:
    """Choose someone in the hand-over DM (or in an old copy of it, `message_ts`); the bot's answer
    in the same DM."""
    ts = (
        message_ts
        or next(m for m in emulator.messages(by) if block_id in pickers(m.get("blocks") or []))["ts"]
    )
    before = len(emulator.messages(by))
    result = web.slack.select_user(
        action_id=action_id,
        block_id=block_id,
        selected_user=chosen,
        user_id=by,
        channel_id=emulator.dm_channel(by),
        message_ts=ts,
    )
    assert result.status == 200
    emulator.wait_for("chat.postMessage", where=lambda c: len(emulator.messages(by)) > before)
    return str(latest_dm(emulator, by)["text"])


def agree_as_new_champion(web: RunningApp, emulator: SlackEmulator) -> None:
    plan = next(
        m
        for m in reversed(emulator.messages(SHARED_CHANNEL))
        if "agreement_agree" in str(m.get("blocks")) and "(version 2)" in str(m.get("blocks"))
    )
    value = next(
        element["value"]
        for block in plan["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "agreement_agree"
    )
    updates = len(emulator.calls_to("chat.update"))
    web.slack.click(
        action_id="agreement_agree",
        value=value,
        user_id=NEW_CHAMPION,
        channel_id=SHARED_CHANNEL,
        message_ts=plan["ts"],
    )
    emulator.wait_for("chat.update", count=updates + 1)


def checkins_of(sessions: sessionmaker[Session], owner: str) -> list[CheckIn]:
    with sessions() as session:
        return list(
            session.scalars(
                select(CheckIn)
                .join(Commitment, Commitment.id == CheckIn.commitment_id)
                .join(Person, Person.id == Commitment.owner_id)
                .where(Person.user_id == owner)
                .order_by(CheckIn.scheduled_at)
            )
        )


def commitment_ids(sessions: sessionmaker[Session]) -> list[int]:
    """Ids in the order made (PostgreSQL's sequences are not reset between tests)."""
    with sessions() as session:
        return list(session.scalars(select(Commitment.id).order_by(Commitment.id)))


def diary_kinds(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry.kind).order_by(DiaryEntry.id)))


def test_champion_leaving_the_shared_channel_stops_their_checkins_and_the_new_champion_restarts_them(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    add_new_champion(emulator)
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    [open_checkin] = checkins_of(sessions, CHAMPION)
    assert open_checkin.state is CheckInState.SENT

    clock.now = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    emulator.leave_channel(SHARED_CHANNEL, CHAMPION)
    assert web.slack.member_left_channel(user_id=CHAMPION, channel=SHARED_CHANNEL).status == 200
    # On record before Slack was answered: the work needs a new owner, and the open check-in is not a miss.
    with sessions() as session:
        commitment = session.scalars(select(Commitment)).one()
        assert commitment.needs_owner_since == clock.now
        assert commitment.agreed_at is None
        assert session.scalar(select(func.count()).select_from(Handover)) == 1
        checkin = session.get_one(CheckIn, open_checkin.id)
        assert (checkin.state, checkin.skip_reason) == (CheckInState.SKIPPED, "no_owner")
    [ask] = emulator.wait_for(
        "chat.postMessage", where=lambda c: c.params.get("channel") == CSM and "left" in c.params["text"]
    )
    assert "<@U0CHAMP> left <#C0SHARED>" in ask.params["text"]
    assert sorted(pickers(ask.params["blocks"]).values()) == [HAND_OVER_CHAMPION, HAND_OVER_COMMITMENT]

    # Slack redelivers, and then sends a second event for the same departure: still one hand-over, one DM.
    web.slack.member_left_channel(user_id=CHAMPION, channel=SHARED_CHANNEL)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Handover)) == 1
    assert len(handover_asks(emulator)) == 1

    # No check-in goes to someone who left.
    report = run_due_work(sessions, gateway, now=datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    assert report.created == 0

    clock.now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    blocks = pickers(latest_dm(emulator, CSM)["blocks"])
    commitment_block = next(b for b, a in blocks.items() if a == HAND_OVER_COMMITMENT)
    said = pick(web, emulator, block_id=commitment_block, action_id=HAND_OVER_COMMITMENT, chosen=NEW_CHAMPION)
    [report_id] = commitment_ids(sessions)
    assert f"handed #{report_id} over to <@U0NEWCH>" in said
    assert "wait until every customer commitment has an owner" in said
    # The DM is redrawn: only the champion's picker is left.
    redrawn = emulator.messages(CSM)[0]
    assert list(pickers(redrawn["blocks"]).values()) == [HAND_OVER_CHAMPION]
    assert f"#{report_id} → <@U0NEWCH>" in str(redrawn["blocks"])

    champion_block = next(b for b, a in blocks.items() if a == HAND_OVER_CHAMPION)
    said = pick(web, emulator, block_id=champion_block, action_id=HAND_OVER_CHAMPION, chosen=NEW_CHAMPION)
    assert "the champion's role over to <@U0NEWCH>" in said
    assert "Posted version 2" in said
    with sessions() as session:
        account = session.scalars(select(Account)).one()
        assert account.champion_user_id == NEW_CHAMPION and account.plan_version == 2
        handover = session.scalars(select(Handover)).one()
        assert handover.closed_at == clock.now
    assert pickers(emulator.messages(CSM)[0]["blocks"]) == {}

    # Until the new champion agrees, the customer's check-ins wait.
    report = run_due_work(sessions, gateway, now=datetime(2026, 12, 14, 10, 0, tzinfo=UTC))
    assert report.created == 0
    clock.now = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)
    agree_as_new_champion(web, emulator)
    report = run_due_work(sessions, gateway, now=datetime(2026, 12, 21, 10, 0, tzinfo=UTC))
    assert report.sent == 1
    # The check-in closed when Jo left stays skipped; the new one goes to the new owner.
    skipped, resumed = checkins_of(sessions, NEW_CHAMPION)
    assert skipped.state is CheckInState.SKIPPED and resumed.state is CheckInState.SENT
    assert resumed.scheduled_at == datetime(2026, 12, 21, 10, 0, tzinfo=UTC)
    kinds = diary_kinds(sessions)
    assert kinds.index("owner_left") < kinds.index("handed_over") < kinds.index("champion_changed")
    assert kinds[-1] != "owner_left" and "agreement_agreed" in kinds[kinds.index("champion_changed") :]


def test_deactivated_vendor_owner_is_handed_over_from_the_dm_and_vendor_checkins_follow_the_new_owner(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    web.slack.command(VENDOR_COMMIT, user_id=CSM)
    assert "Recorded #" in reply_text(emulator, 4)
    vendor_id = commitment_ids(sessions)[-1]

    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    user = emulator.deactivate(ENGINEER)
    assert web.slack.user_change(user).status == 200
    [ask] = emulator.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == CSM)
    assert "<@U0ENG>'s Slack account was deactivated" in ask.params["text"]
    assert list(pickers(ask.params["blocks"]).values()) == [HAND_OVER_COMMITMENT]
    # The champion's customer check-ins carry on: only the engineer's work waits.
    report = run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert report.sent == 1 and [c.state for c in checkins_of(sessions, CHAMPION)] == [CheckInState.SENT]
    run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert checkins_of(sessions, ENGINEER) == []

    [block_id] = pickers(ask.params["blocks"])
    ask_ts = emulator.messages(CSM)[0]["ts"]
    clock.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    # Someone of the customer's organisation can't own the vendor's commitment.
    refused = pick(web, emulator, block_id=block_id, action_id=HAND_OVER_COMMITMENT, chosen=CHAMPION)
    assert f"can't own the vendor's commitment #{vendor_id}" in refused and "Nothing was changed" in refused
    said = pick(web, emulator, block_id=block_id, action_id=HAND_OVER_COMMITMENT, chosen=ADMIN)
    assert f"handed #{vendor_id} over to <@U0ADMIN>. Their check-ins start from now." in said
    # The vendor's side carries on at once, without a new plan.
    with sessions() as session:
        assert session.scalars(select(Account)).one().plan_version == 1
    # Tuesdays at 09:00 in the new owner's own zone (New York), from the hand-over on.
    run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    [checkin] = checkins_of(sessions, ADMIN)
    assert checkin.state is CheckInState.SENT
    # A second choice from the old DM changes nothing.
    again = pick(
        web, emulator, block_id=block_id, action_id=HAND_OVER_COMMITMENT, chosen=CSM, message_ts=ask_ts
    )
    assert "Everything in this hand-over already has a new owner" in again


def test_handover_command_moves_a_vendor_owners_work_and_is_refused_to_anyone_but_the_csm(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    web.slack.command(VENDOR_COMMIT, user_id=CSM)
    assert "Recorded #" in reply_text(emulator, 4)
    vendor_id = commitment_ids(sessions)[-1]

    web.slack.command(f"handover <@{ENGINEER}> <@{ADMIN}> Acme", user_id=ENGINEER)
    assert "Only <@U0CSM>, the CSM of Acme" in reply_text(emulator, 5)
    web.slack.command(f"handover <@{ENGINEER}> <@{ADMIN}> Acme", user_id=CHAMPION)
    assert "Customers" in reply_text(emulator, 6)
    web.slack.command(f"handover <@{ADMIN}> <@{CSM}>", user_id=CSM)
    assert "holds no open commitments and is no champion" in reply_text(emulator, 7)
    with sessions() as session:
        assert (
            session.scalar(
                select(Person.user_id)
                .join(Commitment, Commitment.owner_id == Person.id)
                .where(Commitment.id == vendor_id)
            )
            == ENGINEER
        )

    clock.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    web.slack.command(f"handover <@{ENGINEER}> <@{ADMIN}>", user_id=CSM)
    reply = reply_text(emulator, 8)
    assert f"*Acme*: handed #{vendor_id} over to <@U0ADMIN>. Their check-ins start from now." in reply
    run_due_work(sessions, gateway, now=datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    assert [c.state for c in checkins_of(sessions, ADMIN)] == [CheckInState.SENT]
    assert checkins_of(sessions, ENGINEER) == []
    with sessions() as session:
        [entry] = session.scalars(select(DiaryEntry.text).where(DiaryEntry.kind == "handed_over"))
        assert "handed over from <@U0ENG> to <@U0ADMIN>" in entry


def test_a_handover_dm_slack_refused_is_asked_again_by_the_clock(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    # Slack answers 503 to the listener's first try and both of its retries.
    emulator.fail_next("chat.postMessage", status=503, count=3)
    emulator.leave_channel(SHARED_CHANNEL, CHAMPION)
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert web.slack.member_left_channel(user_id=CHAMPION, channel=SHARED_CHANNEL).status == 200
    assert quiet(web)
    assert handover_asks(emulator) == []
    with sessions() as session:
        assert session.scalars(select(Handover.ask_error)).one() is not None
    # Within the lease nothing is sent twice; after it the clock asks.
    run_due_work(sessions, gateway, now=datetime(2026, 11, 24, 9, 5, tzinfo=UTC))
    assert handover_asks(emulator) == []
    run_due_work(sessions, gateway, now=datetime(2026, 11, 24, 9, 15, tzinfo=UTC))
    [ask] = handover_asks(emulator)
    assert "<@U0CHAMP> left <#C0SHARED>" in ask["text"]
    with sessions() as session:
        handover = session.scalars(select(Handover)).one()
        assert handover.message_ts is not None and handover.ask_error is None
