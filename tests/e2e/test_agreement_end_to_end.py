"""The joint plan: posted to the shared channel, agreed by the champion, and gating customer check-ins."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock_pass import run_due_work
from bot.slack.gateway import SlackGateway
from models import Agreement, CheckIn, Commitment, DiaryEntry, Side
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION, CSM, ENGINEER, SHARED_CHANNEL, Clock, RunningApp
from tests.flows import ADD_ACME, agree_to_plan, buttons, click_plan, latest_plan, run

CUSTOMER_COMMIT = 'commit Acme customer <@U0CHAMP> "Log the week\'s bookings" every monday at 10:00'
VENDOR_COMMIT = 'commit Acme vendor <@U0ENG> "Ship the import fix" every tuesday at 10:00'
MONDAY_10_LONDON = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
TUESDAY_10_TOKYO = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def diary_kinds(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry.kind).order_by(DiaryEntry.id)))


def test_plan_shows_outcome_both_sides_and_the_policy(web: RunningApp, emulator: SlackEmulator) -> None:
    run(web, emulator, ADD_ACME + ' outcome:"All gyms book online by March"')
    run(web, emulator, CUSTOMER_COMMIT)
    run(web, emulator, VENDOR_COMMIT)
    assert "Posted version 1" in run(web, emulator, "agreement Acme")
    plan, _ = latest_plan(emulator)
    text = str(plan.params["blocks"])
    assert "All gyms book online by March" in text
    assert "What Acme will do" in text and "Log the week's bookings" in text
    assert "What we, the vendor, will do" in text and "Ship the import fix" in text
    assert "How we keep each other on track" in text and "Two misses" in text
    assert set(buttons(plan.params["blocks"])) == {"agreement_agree", "agreement_discuss"}
    assert f"<@{CHAMPION}>" in plan.params["text"]


def test_customer_checkins_start_only_after_the_champion_agrees(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    run(web, emulator, ADD_ACME)
    reply = run(web, emulator, CUSTOMER_COMMIT)
    assert "start once <@U0CHAMP> agrees" in reply
    run(web, emulator, VENDOR_COMMIT)
    assert "awaiting agreement" in run(web, emulator, "list Acme")

    run_due_work(sessions, gateway, now=MONDAY_10_LONDON)
    run_due_work(sessions, gateway, now=TUESDAY_10_TOKYO)
    sent_to = [
        c.params["channel"]
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"].startswith("U")
    ]
    assert sent_to == [ENGINEER]  # the vendor's own commitment needs no one's agreement

    clock.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    agree_to_plan(web, emulator)
    assert "awaiting agreement" not in run(web, emulator, "list Acme")
    run_due_work(sessions, gateway, now=datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    with sessions() as session:
        champion_checkins = session.scalars(
            select(CheckIn).join(CheckIn.commitment).where(Commitment.side == Side.CUSTOMER)
        ).all()
    # Only the Monday after agreeing: the one before it never existed, so it is not a miss.
    assert [c.scheduled_at for c in champion_checkins] == [datetime(2026, 12, 7, 10, 0, tzinfo=UTC)]


def test_agreement_is_recorded_in_the_diary_with_who_when_and_version(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    run(web, emulator, ADD_ACME)
    run(web, emulator, CUSTOMER_COMMIT)
    clock.now = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    agree_to_plan(web, emulator)
    update = [c for c in emulator.calls_to("chat.update") if c.params["channel"] == SHARED_CHANNEL][-1]
    assert "agreed to version 1" in str(update.params["blocks"])
    assert "actions" not in [b["type"] for b in update.params["blocks"]]
    with sessions() as session:
        entry = session.scalars(select(DiaryEntry).where(DiaryEntry.kind == "agreement_agreed")).one()
        assert (entry.actor_user_id, entry.occurred_at) == (CHAMPION, clock.now)
        assert "version 1" in entry.text
        agreement = session.scalars(select(Agreement)).one()
        assert (agreement.response, agreement.responded_by, agreement.version) == ("agreed", CHAMPION, 1)


def test_only_the_champion_can_answer_the_plan(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    run(web, emulator, CUSTOMER_COMMIT)
    run(web, emulator, "agreement Acme")
    click_plan(web, emulator, user_id=CSM)
    refusal = emulator.wait_for("chat.postEphemeral")[0]
    assert refusal.params["user"] == CSM and f"for <@{CHAMPION}>" in refusal.params["text"]
    with sessions() as session:
        assert session.scalars(select(Agreement)).one().response is None


def test_lets_discuss_calls_in_the_csm_and_keeps_the_buttons(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    run(web, emulator, CUSTOMER_COMMIT)
    run(web, emulator, "agreement Acme")
    click_plan(web, emulator, action_id="agreement_discuss")
    note = emulator.wait_for("chat.postMessage", where=lambda c: "thread_ts" in c.params)[0]
    assert f"<@{CSM}>" in note.params["text"] and "discuss" in note.params["text"]
    assert "agreement_discuss" in diary_kinds(sessions)
    # Still answerable: after talking it through, the champion agrees.
    updates = len(emulator.calls_to("chat.update"))
    click_plan(web, emulator)
    emulator.wait_for("chat.update", count=updates + 1)
    assert "agreement_agreed" in diary_kinds(sessions)


def test_double_click_on_i_agree_records_once(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    run(web, emulator, CUSTOMER_COMMIT)
    run(web, emulator, "agreement Acme")
    click_plan(web, emulator)
    click_plan(web, emulator)
    emulator.wait_for("chat.postEphemeral")
    assert diary_kinds(sessions).count("agreement_agreed") == 1


def test_changing_the_customers_commitments_makes_a_new_version(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    run(web, emulator, CUSTOMER_COMMIT)
    agree_to_plan(web, emulator)
    old_plan, old_ts = latest_plan(emulator)
    run(web, emulator, 'commit Acme customer <@U0CHAMP> "Share the rota" every friday')
    assert "awaiting agreement" in run(web, emulator, "list Acme")
    # The old version's buttons no longer count.
    web.slack.click(
        action_id="agreement_agree",
        value=buttons(old_plan.params["blocks"])["agreement_agree"],
        user_id=CHAMPION,
        channel_id=SHARED_CHANNEL,
        message_ts=old_ts,
    )
    assert "has changed since" in emulator.wait_for("chat.postEphemeral")[0].params["text"]
    assert "Posted version 2" in run(web, emulator, "agreement Acme")
    click_plan(web, emulator)
    emulator.wait_for("chat.update", count=2)
    assert "awaiting agreement" not in run(web, emulator, "list Acme")


def test_champion_gets_one_courteous_reminder_after_two_working_days(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    clock.now = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # posted on a Thursday afternoon
    run(web, emulator, ADD_ACME)
    run(web, emulator, CUSTOMER_COMMIT)
    run(web, emulator, "agreement Acme")

    def reminders() -> list[str]:
        return [
            c.params["text"] for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == CHAMPION
        ]

    run_due_work(sessions, gateway, now=datetime(2026, 11, 27, 12, 0, tzinfo=UTC))  # Friday
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 8, 59, tzinfo=UTC))  # Monday, before 09:00
    assert reminders() == []
    run_due_work(sessions, gateway, now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # second working day, 09:00
    run_due_work(sessions, gateway, now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    [reminder] = reminders()
    assert "gentle reminder" in reminder and "Acme" in reminder
    assert diary_kinds(sessions).count("agreement_reminder") == 1
