"""The at-risk lifecycle: an account's mark cleared with a reason, the third time at risk called out,
and the autopsy signed off by everyone taking part — over signed requests, the emulator and the clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.escalation.posting import publish
from bot.slack.gateway import SlackGateway
from models import Account, Autopsy, AutopsyParticipant, DiaryEntry, Escalation, EscalationState, Side
from slack_emulator import Call, SlackEmulator
from tests.conftest import CHAMPION, CSM, ESCALATION_CHANNEL, OUTSIDER_VENDOR, VENDOR_TEAM, Clock, RunningApp
from tests.e2e.test_escalation_end_to_end import (
    BOSS,
    WEEKLY,
    autopsy_values,
    let_week_pass_unanswered,
    posts,
    text_of,
    updates,
)
from tests.flows import ADD_ACME, agree_to_plan, buttons, run

EXEC_SALES = "U0VPSALES"
EXEC_SERVICES = "U0VPSERV"
DESK = "C0CSMDESK"


@pytest.fixture
def acme(web: RunningApp, emulator: SlackEmulator, clock: Clock) -> None:
    emulator.add_user(BOSS, team_id=VENDOR_TEAM, name="boss", tz="America/New_York")
    emulator.add_user(EXEC_SALES, team_id=VENDOR_TEAM, name="vp-sales", display_name="Vera Sales")
    emulator.add_user(EXEC_SERVICES, team_id=VENDOR_TEAM, name="vp-services", display_name="Sam Services")
    run(web, emulator, ADD_ACME + f" manager:<@{BOSS}> digest:<#{DESK}|csm-desk>")
    run(web, emulator, WEEKLY)
    agree_to_plan(web, emulator)


def at_risk(sessions: sessionmaker[Session], gateway: SlackGateway) -> None:
    """Three weeks without an answer: the slip is raised to the manager and the account is at risk."""
    for week in range(3):
        let_week_pass_unanswered(sessions, gateway, week)
    with sessions() as session:
        assert session.scalars(select(Account)).one().at_risk is True


def slip_post(emulator: SlackEmulator) -> Call:
    """The slip's latest rendering (its post, updated in place)."""
    return [
        c for c in [*posts(emulator), *updates(emulator)] if "Customer commitment slipping" in text_of(c)
    ][-1]


def diary_kinds(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(DiaryEntry.kind).order_by(DiaryEntry.id)))


def account(sessions: sessionmaker[Session]) -> Account:
    with sessions() as session:
        return session.scalars(select(Account)).one()


def digest_text(emulator: SlackEmulator) -> str:
    post = [
        c.params
        for c in emulator.calls_to("chat.postMessage")
        if c.params["channel"] == DESK and "thread_ts" not in c.params
    ][-1]
    return "\n".join(b["text"]["text"] for b in post["blocks"] if b["type"] == "section")


@pytest.mark.usefixtures("acme")
def test_the_csm_clears_the_risk_by_command_with_a_reason_and_others_are_refused_with_nothing_written(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    at_risk(sessions, gateway)
    before = diary_kinds(sessions)
    assert "Say why" in run(web, emulator, "account clear-risk Acme")
    customer = run(web, emulator, 'account clear-risk Acme "We are fine"', user_id=CHAMPION)
    other_csm = run(web, emulator, 'account clear-risk Acme "Looks fine to me"', user_id=OUTSIDER_VENDOR)
    assert "managing accounts is for the vendor's team" in customer
    assert other_csm.startswith("Only <@U0CSM>, the CSM of Acme")
    assert diary_kinds(sessions) == before and account(sessions).at_risk is True

    clock.now = datetime(2026, 12, 16, 15, tzinfo=UTC)
    reply = run(web, emulator, 'account clear-risk Acme "Sponsor back from leave; rollout restarted"')
    assert reply == "The at-risk mark on Acme is cleared, and the reason is in the diary."
    cleared = account(sessions)
    assert (cleared.at_risk, cleared.risk_cleared_by, cleared.risk_cleared_reason) == (
        False, CSM, "Sponsor back from leave; rollout restarted",
    )  # fmt: skip
    assert cleared.risk_cleared_at == clock.now
    assert diary_kinds(sessions)[-1] == "risk_cleared"
    assert "is not marked at risk" in run(web, emulator, 'account clear-risk Acme "Again"')

    clock.now = datetime(2026, 12, 21, 10, tzinfo=UTC)  # the digest of the week to Monday 09:00
    run(web, emulator, "digest Acme")
    assert "*Risk cleared* (1)\n• Acme — cleared Wed 16 Dec by" in digest_text(emulator)
    assert "Sponsor back from leave; rollout restarted" in digest_text(emulator)


@pytest.mark.usefixtures("acme")
def test_the_clear_risk_button_asks_the_reason_and_redraws_the_post(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    at_risk(sessions, gateway)
    clock.now = datetime(2026, 12, 16, 9, tzinfo=UTC)
    post = slip_post(emulator)
    value = buttons(post.params["blocks"])["escalation_clear_risk"]
    ts = emulator.messages(ESCALATION_CHANNEL)[0]["ts"]

    def click(user_id: str) -> None:
        web.slack.click(action_id="escalation_clear_risk", value=value, user_id=user_id,
                        channel_id=ESCALATION_CHANNEL, message_ts=ts)  # fmt: skip

    before = diary_kinds(sessions)
    click(OUTSIDER_VENDOR)
    refusal = emulator.wait_for("chat.postEphemeral")[0]
    assert "can clear its at-risk mark" in refusal.params["text"] and emulator.calls_to("views.open") == []
    assert diary_kinds(sessions) == before

    click(CSM)
    form = emulator.wait_for("views.open")[0].params["view"]
    assert form["callback_id"] == "escalation_clear_risk_form"

    def submit(reason: str | None, user_id: str = CSM) -> Any:
        return web.slack.submit_view(callback_id=form["callback_id"], user_id=user_id,
                                     values={"reason": {"type": "plain_text_input", "value": reason}},
                                     private_metadata=form["private_metadata"])  # fmt: skip

    assert "Say why the risk is cleared" in submit(None).json()["errors"]["reason"]
    assert (
        "can clear its at-risk mark" in submit("Not mine to say", OUTSIDER_VENDOR).json()["errors"]["reason"]
    )
    assert diary_kinds(sessions) == before and account(sessions).at_risk is True
    assert submit("New sponsor named & engaged").body == ""
    redrawn = emulator.wait_for("chat.update", where=lambda c: "At-risk mark cleared by" in text_of(c))[0]
    assert "New sponsor named &amp; engaged" in text_of(redrawn)
    assert "escalation_clear_risk" not in buttons(redrawn.params["blocks"])
    assert account(sessions).risk_cleared_reason == "New sponsor named & engaged"
    assert diary_kinds(sessions)[-1] == "risk_cleared"


def earlier_episode(sessions: sessionmaker[Session], *, raised_at: datetime) -> None:
    """An at-risk episode of months ago, raised to the manager and since resolved."""
    with sessions.begin() as session:
        acme = session.scalars(select(Account)).one()
        session.add(
            Escalation(
                team_id=VENDOR_TEAM, account_id=acme.id, side=Side.CUSTOMER, kind="customer_slip",
                episode_key=f"old:{raised_at:%m}", level=2, state=EscalationState.RESOLVED, opened_at=raised_at,
                raised_at=raised_at, resolved_at=raised_at + timedelta(days=20), resolution_note="recovered",
                summary="Three of the last three check-ins were missed.", message_ts=f"{raised_at.timestamp()}",
            )
        )  # fmt: skip
        session.add(
            Autopsy(team_id=VENDOR_TEAM, account_id=acme.id, causes="[]", created_by=CSM,
                    created_at=raised_at + timedelta(days=7))
        )  # fmt: skip


@pytest.mark.usefixtures("acme")
def test_the_third_at_risk_episode_in_180_days_is_called_out_in_the_post_and_the_digest(
    web: RunningApp,
    emulator: SlackEmulator,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    earlier_episode(
        sessions, raised_at=datetime(2026, 3, 2, 10, tzinfo=UTC)
    )  # over 180 days ago: not counted
    earlier_episode(sessions, raised_at=datetime(2026, 6, 25, 10, tzinfo=UTC))
    let_week_pass_unanswered(sessions, gateway, 0)
    let_week_pass_unanswered(sessions, gateway, 1)
    assert "time at risk" not in text_of(slip_post(emulator))  # not raised yet: not an at-risk episode
    let_week_pass_unanswered(sessions, gateway, 2)
    post = text_of(slip_post(emulator))
    assert "Third time at risk" not in post  # the second in 180 days (March is too long ago)

    earlier_episode(sessions, raised_at=datetime(2026, 9, 10, 10, tzinfo=UTC))
    [episode_id] = _open_ids(sessions)  # the post is redrawn on its next change; here, now
    publish(sessions, gateway, episode_id, now=datetime(2026, 12, 16, 10, tzinfo=UTC))
    post = text_of(slip_post(emulator))
    assert "Third time at risk since June." in post
    assert "Earlier autopsies: 02 Jul 2026, 17 Sep 2026" in post
    assert "/accountability diary Acme since 2026-06-25" in post

    clock.now = datetime(2026, 12, 21, 10, tzinfo=UTC)
    run(web, emulator, "digest Acme")
    digest = digest_text(emulator)
    assert "*At risk again and again* (1)\n• Acme — third time at risk since June." in digest
    assert "02 Jul 2026, 17 Sep 2026" in digest


def _open_ids(sessions: sessionmaker[Session]) -> list[int]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Escalation.id).where(
                    Escalation.kind == "customer_slip", Escalation.state != EscalationState.RESOLVED
                )
            )
        )


def record_autopsy_with(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], people: list[str]
) -> int:
    with sessions() as session:
        acme_id = session.scalars(select(Account.id)).one()
    participants = {"type": "multi_users_select", "selected_users": people}
    result = web.slack.submit_view(
        callback_id="autopsy_form", values=autopsy_values(participants=participants), user_id=CSM,
        private_metadata=json.dumps({"account_id": acme_id, "escalation_id": None}),
    )  # fmt: skip
    assert result.body == ""
    reply = emulator.wait_for(
        "chat.postMessage",
        where=lambda c: c.params["channel"] == CSM and "Autopsy recorded" in c.params["text"],
    )
    assert f"{len(people)} of {len(people)} taking part were asked to sign it off." in reply[0].params["text"]
    with sessions() as session:
        return session.scalars(select(Autopsy.id)).one()


def sign_off_request(emulator: SlackEmulator, user_id: str) -> Call:
    return emulator.wait_for(
        "chat.postMessage",
        where=lambda c: c.params["channel"] == user_id and "named you on the autopsy" in c.params["text"],
    )[0]


def click_sign_off(
    web: RunningApp, emulator: SlackEmulator, request: Call, user_id: str, *, owner: str
) -> None:
    channel = emulator.dm_channel(owner)
    ts = emulator.messages(channel)[-1]["ts"]
    web.slack.click(action_id="autopsy_sign_off", value=buttons(request.params["blocks"])["autopsy_sign_off"],
                    user_id=user_id, channel_id=channel if user_id == owner else emulator.dm_channel(user_id),
                    message_ts=ts)  # fmt: skip


def signed(sessions: sessionmaker[Session]) -> dict[str, bool]:
    with sessions() as session:
        return {p.user_id: p.signed_off_at is not None for p in session.scalars(select(AutopsyParticipant))}


@pytest.mark.usefixtures("acme")
def test_an_autopsy_with_two_participants_is_complete_when_both_have_signed_off(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = datetime(2026, 12, 1, 14, tzinfo=UTC)
    record_autopsy_with(web, emulator, sessions, [EXEC_SALES, EXEC_SERVICES])
    assert signed(sessions) == {EXEC_SALES: False, EXEC_SERVICES: False}
    sales, services = sign_off_request(emulator, EXEC_SALES), sign_off_request(emulator, EXEC_SERVICES)

    before = diary_kinds(sessions)
    click_sign_off(web, emulator, sales, OUTSIDER_VENDOR, owner=EXEC_SALES)
    assert (
        "Only the people named on this autopsy" in emulator.wait_for("chat.postEphemeral")[0].params["text"]
    )
    assert diary_kinds(sessions) == before and signed(sessions) == {EXEC_SALES: False, EXEC_SERVICES: False}

    click_sign_off(web, emulator, sales, EXEC_SALES, owner=EXEC_SALES)
    emulator.wait_for("chat.update", where=lambda c: "You signed off" in c.params["text"])
    click_sign_off(web, emulator, sales, EXEC_SALES, owner=EXEC_SALES)  # a double click
    emulator.wait_for("chat.update", count=2, where=lambda c: "You signed off" in c.params["text"])
    assert diary_kinds(sessions)[len(before) :] == ["autopsy_signed_off"]
    assert "autopsy_completed" not in diary_kinds(sessions)

    click_sign_off(web, emulator, services, EXEC_SERVICES, owner=EXEC_SERVICES)
    done = emulator.wait_for("chat.update", where=lambda c: "now complete" in c.params["text"])[0]
    assert "Sign off" not in json.dumps(done.params["blocks"])
    assert diary_kinds(sessions)[len(before) :] == [
        "autopsy_signed_off",
        "autopsy_signed_off",
        "autopsy_completed",
    ]
    assert signed(sessions) == {EXEC_SALES: True, EXEC_SERVICES: True}
    with sessions() as session:
        texts = list(
            session.scalars(
                select(DiaryEntry.text).where(DiaryEntry.kind.like("autopsy%")).order_by(DiaryEntry.id)
            )
        )
    assert f"Taking part, each to sign it off: <@{EXEC_SALES}>, <@{EXEC_SERVICES}>." in texts[0]
    assert texts[-1] == "The autopsy of Acme is complete: all 2 taking part signed it off."


@pytest.mark.usefixtures("acme")
def test_the_digest_lists_an_autopsy_unsigned_after_five_working_days(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session], clock: Clock
) -> None:
    clock.now = datetime(2026, 12, 1, 14, tzinfo=UTC)  # a Tuesday
    record_autopsy_with(web, emulator, sessions, [EXEC_SALES, EXEC_SERVICES])
    click_sign_off(web, emulator, sign_off_request(emulator, EXEC_SALES), EXEC_SALES, owner=EXEC_SALES)
    emulator.wait_for("chat.update", where=lambda c: "You signed off" in c.params["text"])

    clock.now = datetime(2026, 12, 7, 10, tzinfo=UTC)  # the week to Monday 7th: not five working days yet
    run(web, emulator, "digest Acme")
    assert "not yet signed off" not in digest_text(emulator)

    clock.now = datetime(2026, 12, 14, 10, tzinfo=UTC)  # the week to Monday 14th
    run(web, emulator, "digest Acme")
    assert (
        "*Autopsies not yet signed off (over five working days)* (1)\n"
        "• Acme — recorded 01 Dec, 1 of 2 signed off; waiting on Sam Services"
    ) in digest_text(emulator)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AutopsyParticipant)) == 2
