"""The first vertical slice over real HTTP: account, commitment, a clock pass, a DM, a click on Done."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from models import Account, Answer, CheckIn, CheckInState, Commitment, DiaryEntry
from slack_emulator import Call, SlackEmulator
from tests.conftest import CHAMPION, CSM, ENGINEER, Clock, RunningApp

ACCOUNT_ADD = (
    "account add Acme channel:<#C0SHARED|acme-shared> escalations:<#C0ESCAL|acme-escalations> "
    'champion:<@U0CHAMP|jo> outcome:"Every team onboarded within six weeks"'
)
COMMIT = 'commit Acme customer <@U0CHAMP|jo> "Send the weekly usage report" every monday at 10:00'


def reply_text(emulator: SlackEmulator, nth: int) -> str:
    calls = emulator.wait_for("response_url", count=nth)
    text = calls[nth - 1].params["text"]
    assert isinstance(text, str)
    return text


def button_values(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        element["action_id"]: element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def to_champion(emulator: SlackEmulator, method: str) -> list[Call]:
    """Calls about the champion's DM only (the plan in the shared channel is posted and updated too)."""
    dm = emulator.dm_channel(CHAMPION)
    return [c for c in emulator.calls_to(method) if c.params.get("channel") in (CHAMPION, dm)]


def set_up_account_and_commitment(web: RunningApp, emulator: SlackEmulator) -> None:
    """Account, a customer commitment, and the champion's agreement to the plan that holds it."""
    assert web.slack.command(ACCOUNT_ADD, user_id=CSM).status == 200
    assert "Account *Acme* created" in reply_text(emulator, 1)
    assert web.slack.command(COMMIT, user_id=CSM).status == 200
    assert "Recorded #" in reply_text(emulator, 2)
    assert web.slack.command("agreement Acme", user_id=CSM).status == 200
    assert "Posted version" in reply_text(emulator, 3)
    plan = emulator.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "C0SHARED")[0]
    ts = emulator.messages("C0SHARED")[0]["ts"]
    agree = button_values(plan.params["blocks"])["agreement_agree"]
    web.slack.click(
        action_id="agreement_agree", value=agree, user_id=CHAMPION, channel_id="C0SHARED", message_ts=ts
    )
    emulator.wait_for("chat.update", where=lambda c: c.params["channel"] == "C0SHARED")


def test_done_click_records_one_answer_and_one_diary_entry(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    commit_reply = reply_text(emulator, 2)
    # Created on Monday 23 Nov 15:00 UTC: the owner is in London, so the next check-ins are the
    # following Mondays at 10:00 London time.
    assert "Mon 30 Nov 10:00, Mon 07 Dec 10:00, Mon 14 Dec 10:00" in commit_reply
    assert "Europe/London" in commit_reply

    report = run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert (report.created, report.sent, report.skipped, report.failed) == (1, 1, 0, 0)

    dms = to_champion(emulator, "chat.postMessage")
    assert len(dms) == 1
    dm = dms[0]
    assert dm.params["channel"] == CHAMPION
    assert "Send the weekly usage report" in dm.params["text"]
    buttons = button_values(dm.params["blocks"])
    assert set(buttons) == {
        "checkin_answer_done",
        "checkin_answer_partly",
        "checkin_answer_blocked",
        "checkin_answer_not_yet",
        "checkin_answer_snoozed",
        "proposal_open",
        "away_open",
    }
    dm_channel = emulator.dm_channel(CHAMPION)
    posted_ts = emulator.messages(dm_channel)[0]["ts"]

    clock.now = datetime(2026, 11, 30, 11, 5, tzinfo=UTC)
    result = web.slack.click(
        action_id="checkin_answer_done",
        value=buttons["checkin_answer_done"],
        user_id=CHAMPION,
        user_team_id="T0CUSTOMER",
        channel_id=dm_channel,
        message_ts=posted_ts,
    )
    assert result.status == 200

    update = emulator.wait_for("chat.update", where=lambda c: c.params["channel"] == dm_channel)[0]
    assert update.params["ts"] == posted_ts
    assert all(block["type"] != "actions" for block in update.params["blocks"])
    assert "Done" in update.params["text"] and f"<@{CHAMPION}>" in update.params["text"]
    assert emulator.messages(dm_channel)[0]["text"] == update.params["text"]

    with sessions() as session:
        checkin = session.scalars(select(CheckIn)).one()
        assert checkin.state is CheckInState.ANSWERED
        assert checkin.answer is Answer.DONE
        assert checkin.answered_by == CHAMPION
        assert checkin.answered_at == clock.now
        answers = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "answer_done")).all()
        assert len(answers) == 1
        assert answers[0].checkin_id == checkin.id and answers[0].actor_user_id == CHAMPION


def test_second_click_on_done_changes_nothing_and_says_why(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    set_up_account_and_commitment(web, emulator)
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    dm = to_champion(emulator, "chat.postMessage")[0]
    value = button_values(dm.params["blocks"])["checkin_answer_done"]
    dm_channel = emulator.dm_channel(CHAMPION)
    ts = emulator.messages(dm_channel)[0]["ts"]

    for _ in range(2):
        click = web.slack.click(
            action_id="checkin_answer_done",
            value=value,
            user_id=CHAMPION,
            channel_id=dm_channel,
            message_ts=ts,
        )
        assert click.status == 200
    ephemeral = emulator.wait_for("chat.postEphemeral")[0]
    assert ephemeral.params["user"] == CHAMPION
    assert "already answered" in ephemeral.params["text"]
    assert web.quiet()  # the first click's redraw runs after its ack
    assert len(to_champion(emulator, "chat.update")) == 1
    with sessions() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(DiaryEntry).where(DiaryEntry.kind == "answer_done")
            )
            == 1
        )


def test_click_by_someone_other_than_the_owner_is_refused(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    set_up_account_and_commitment(web, emulator)
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    value = button_values(to_champion(emulator, "chat.postMessage")[0].params["blocks"])[
        "checkin_answer_done"
    ]
    dm_channel = emulator.dm_channel(CHAMPION)
    ts = emulator.messages(dm_channel)[0]["ts"]

    web.slack.click(
        action_id="checkin_answer_done", value=value, user_id=ENGINEER, channel_id=dm_channel, message_ts=ts
    )
    refusal = emulator.wait_for("chat.postEphemeral")[0]
    assert f"belongs to <@{CHAMPION}>" in refusal.params["text"]
    assert to_champion(emulator, "chat.update") == []
    with sessions() as session:
        assert session.scalars(select(CheckIn)).one().state is CheckInState.SENT


def test_commands_write_the_account_and_commitment_with_team_ids(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    set_up_account_and_commitment(web, emulator)
    with sessions() as session:
        account = session.scalars(select(Account)).one()
        assert (account.name, account.team_id, account.csm_user_id, account.champion_user_id) == (
            "Acme",
            "T0VENDOR",
            CSM,
            CHAMPION,
        )
        assert account.desired_outcome == "Every team onboarded within six weeks"
        commitment = session.scalars(select(Commitment)).one()
        assert commitment.rrule == "FREQ=WEEKLY;BYDAY=MO"
        assert commitment.owner.tz == "Europe/London"
        assert commitment.owner.is_external  # the champion's home team is the customer's
        assert commitment.team_id == "T0VENDOR"


def test_customer_answers_from_the_app_home_of_their_own_workspace(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], gateway: SlackGateway
) -> None:
    set_up_account_and_commitment(web, emulator)
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))

    web.slack.event({"type": "app_home_opened", "user": CHAMPION, "channel": "D0CHAMP", "tab": "home"})
    home = emulator.wait_for("views.publish")[0].params["view"]
    value = button_values(home["blocks"])["checkin_answer_done"]
    assert "Send the weekly usage report" in str(home["blocks"])

    # A Slack Connect customer clicks from their own organisation: the payload names their team.
    click = web.slack.click(
        action_id="checkin_answer_done",
        value=value,
        user_id=CHAMPION,
        team_id="T0CUSTOMER",
        user_team_id="T0CUSTOMER",
        channel_id=None,
        message_ts=None,
        container_type="view",
    )
    assert click.status == 200
    emulator.wait_for("chat.update", where=lambda c: c.params["channel"] == emulator.dm_channel(CHAMPION))
    refreshed = emulator.wait_for("views.publish", count=2)[1].params["view"]
    assert "Nothing is waiting for your answer" in str(refreshed["blocks"])
    with sessions() as session:
        assert session.scalars(select(CheckIn)).one().answer is Answer.DONE
