"""Buttons: the plan's I agree / Let's discuss, a check-in's answers, a diary page's Next, and an
escalation's Acknowledge / Resolve. What a click records is written before the ack; whoever may not
click it is told so ephemerally and nothing is written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.agreements import post_agreement
from bot.clock_pass import run_due_work
from bot.diary import entries as diary
from bot.escalation.posting import retry_pending_posts
from bot.slack.gateway import SlackGateway
from handlers.actions.agreement import PLAN_NOT_REDRAWN, on_agreement
from handlers.actions.checkin import OUT_OF_DATE, on_answer
from handlers.actions.diary import ack_page, turn_page
from handlers.actions.escalation import on_escalation
from handlers.deps import Deps
from handlers.replies import FORM_NOT_OPENED
from models import Account, Agreement, Answer, CheckIn, CheckInState, Escalation, EscalationState
from slack_emulator import Call, SlackEmulator
from tests.conftest import (
    CHAMPION,
    CSM,
    ESCALATION_CHANNEL,
    OUTSIDER_VENDOR,
    SHARED_CHANNEL,
    VENDOR_TEAM,
    Clock,
)
from tests.factories import csm_actor, make_account, make_commitment, open_escalation
from tests.handlers.conftest import WatchedAck, acked, button, buttons_of, click_body

CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday
MON_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # the champion's first check-in, 10:00 London


def posted_to(emulator: SlackEmulator, channel: str) -> list[Call]:
    return [c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == channel]


# -- the joint plan ------------------------------------------------------------------------------------


def plan_put_to_the_champion(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> tuple[dict[str, str], str]:
    """The plan's buttons and the ts of its message in the shared channel."""
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    post_agreement(
        sessions, gateway, team_id=VENDOR_TEAM, account_name="Acme", actor=csm_actor(), now=CREATED
    )
    [plan] = posted_to(emulator, SHARED_CHANNEL)
    return buttons_of(plan.params["blocks"]), emulator.messages(SHARED_CHANNEL)[-1]["ts"]


def agreement(sessions: sessionmaker[Session]) -> Agreement:
    with sessions() as session:
        return session.scalars(select(Agreement)).one()


def test_the_champion_agreeing_is_recorded_before_the_ack_and_the_plan_is_updated_in_place(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    values, ts = plan_put_to_the_champion(sessions, gateway, emulator)
    ack = WatchedAck(lambda: agreement(sessions).response)
    body = click_body(emulator, user_id=CHAMPION, channel_id=SHARED_CHANNEL, message_ts=ts)
    on_agreement(ack, body, button("agreement_agree", values["agreement_agree"]), client, deps=deps)

    assert acked(ack) == {} and ack.seen == "agreed"
    [update] = emulator.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (SHARED_CHANNEL, ts)
    assert "agreed to version 1" in json.dumps(update.params["blocks"])
    assert "actions" not in [b["type"] for b in update.params["blocks"]]
    recorded = agreement(sessions)
    assert (recorded.response, recorded.responded_by, recorded.responded_at) == (
        "agreed",
        CHAMPION,
        clock.now,
    )


def test_an_agreement_whose_plan_message_slack_will_not_redraw_is_kept_and_the_champion_told(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    values, ts = plan_put_to_the_champion(sessions, gateway, emulator)
    emulator.error_next("chat.update", "message_not_found")
    ack = WatchedAck(lambda: agreement(sessions).response)
    body = click_body(emulator, user_id=CHAMPION, channel_id=SHARED_CHANNEL, message_ts=ts)
    on_agreement(ack, body, button("agreement_agree", values["agreement_agree"]), client, deps=deps)

    assert acked(ack) == {} and agreement(sessions).response == "agreed"
    [told] = emulator.calls_to("chat.postEphemeral")
    assert (told.params["channel"], told.params["user"], told.params["text"]) == (
        SHARED_CHANNEL,
        CHAMPION,
        PLAN_NOT_REDRAWN,
    )


def test_lets_discuss_calls_the_csm_into_the_plans_thread(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    values, ts = plan_put_to_the_champion(sessions, gateway, emulator)
    ack = Ack()  # type: ignore[no-untyped-call]
    body = click_body(emulator, user_id=CHAMPION, channel_id=SHARED_CHANNEL, message_ts=ts)
    on_agreement(ack, body, button("agreement_discuss", values["agreement_discuss"]), client, deps=deps)

    assert acked(ack) == {}
    [note] = [c for c in posted_to(emulator, SHARED_CHANNEL) if "thread_ts" in c.params]
    assert note.params["thread_ts"] == ts and f"<@{CSM}>" in note.params["text"]
    assert agreement(sessions).response == "discuss"


def test_someone_other_than_the_champion_agreeing_is_refused_ephemerally_and_nothing_is_written(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    values, ts = plan_put_to_the_champion(sessions, gateway, emulator)
    ack = Ack()  # type: ignore[no-untyped-call]
    body = click_body(emulator, user_id=CSM, channel_id=SHARED_CHANNEL, message_ts=ts)
    on_agreement(ack, body, button("agreement_agree", values["agreement_agree"]), client, deps=deps)

    assert acked(ack) == {}
    [refusal] = emulator.calls_to("chat.postEphemeral")
    assert (refusal.params["channel"], refusal.params["user"]) == (SHARED_CHANNEL, CSM)
    assert f"for <@{CHAMPION}>" in refusal.params["text"]
    assert emulator.calls_to("chat.update") == []
    assert agreement(sessions).response is None


# -- check-ins -----------------------------------------------------------------------------------------


def checkin_sent(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> tuple[dict[str, str], str, str]:
    """The check-in DM's buttons, its channel and its ts."""
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    run_due_work(sessions, gateway, now=MON_10)
    [dm] = posted_to(emulator, CHAMPION)
    channel = emulator.dm_channel(CHAMPION)
    return buttons_of(dm.params["blocks"]), channel, emulator.messages(channel)[0]["ts"]


def the_checkin(sessions: sessionmaker[Session]) -> CheckIn:
    with sessions() as session:
        return session.scalars(select(CheckIn)).one()


def test_a_customer_clicking_done_on_their_checkin_is_recorded_before_the_ack(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    values, channel, ts = checkin_sent(sessions, gateway, emulator)
    clock.now = MON_10 + timedelta(minutes=5)
    ack = WatchedAck(lambda: (the_checkin(sessions).state, the_checkin(sessions).answer))
    body = click_body(emulator, user_id=CHAMPION, channel_id=channel, message_ts=ts)
    on_answer(
        ack,
        body,
        button("checkin_answer_done", values["checkin_answer_done"]),
        client,
        BoltContext(),
        deps=deps,
    )

    assert acked(ack) == {}
    assert ack.seen == (CheckInState.ANSWERED, Answer.DONE)
    [redrawn] = emulator.calls_to("chat.update")
    assert (redrawn.params["channel"], redrawn.params["ts"]) == (channel, ts)
    assert "checkin_answer_done" not in json.dumps(redrawn.params["blocks"])
    assert the_checkin(sessions).answered_at == clock.now
    assert emulator.calls_to("views.publish") == []  # clicked in the DM, not on the App Home


def test_done_clicked_on_the_app_home_republishes_that_persons_home(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    values, _, _ = checkin_sent(sessions, gateway, emulator)
    ack = Ack()  # type: ignore[no-untyped-call]
    body = {
        **click_body(emulator, user_id=CHAMPION, channel_id=None),
        "view": {"type": "home", "id": "V0HOME"},
    }
    on_answer(
        ack,
        body,
        button("checkin_answer_done", values["checkin_answer_done"]),
        client,
        BoltContext(),
        deps=deps,
    )

    assert acked(ack) == {}
    assert the_checkin(sessions).answer is Answer.DONE
    [published] = emulator.calls_to("views.publish")
    assert published.params["user_id"] == CHAMPION
    assert "checkin_answer_done" not in json.dumps(published.params["view"])


def test_someone_else_clicking_a_checkin_is_refused_ephemerally_and_nothing_is_written(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    values, channel, ts = checkin_sent(sessions, gateway, emulator)
    ack = Ack()  # type: ignore[no-untyped-call]
    body = click_body(emulator, user_id=CSM, channel_id=channel, message_ts=ts)
    on_answer(
        ack,
        body,
        button("checkin_answer_done", values["checkin_answer_done"]),
        client,
        BoltContext(),
        deps=deps,
    )

    assert acked(ack) == {}
    [refusal] = emulator.calls_to("chat.postEphemeral")
    assert refusal.params["user"] == CSM
    assert f"belongs to <@{CHAMPION}>" in refusal.params["text"]
    assert emulator.calls_to("chat.update") == []
    assert (the_checkin(sessions).state, the_checkin(sessions).answer) == (CheckInState.SENT, None)


def test_blocked_acks_then_opens_the_note_form_at_once_and_records_nothing_yet(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    values, channel, ts = checkin_sent(sessions, gateway, emulator)
    ack = WatchedAck(lambda: len(emulator.calls_to("views.open")))
    body = click_body(emulator, user_id=CHAMPION, channel_id=channel, message_ts=ts)
    on_answer(
        ack,
        body,
        button("checkin_answer_blocked", values["checkin_answer_blocked"]),
        client,
        BoltContext(),
        deps=deps,
    )

    assert acked(ack) == {} and ack.seen == 0  # acknowledged before asking Slack for anything
    [opened] = emulator.calls_to("views.open")  # then opened by the same listener, trigger still alive
    assert opened.params["trigger_id"] == body["trigger_id"]
    assert opened.params["view"]["callback_id"] == "checkin_note_form"
    assert emulator.calls_to("chat.update") == []
    assert the_checkin(sessions).state is CheckInState.SENT


def test_a_button_that_no_longer_means_anything_is_answered_as_out_of_date(
    emulator: SlackEmulator, ack: Ack, client: WebClient, deps: Deps
) -> None:
    body = click_body(emulator, user_id=CHAMPION, channel_id=emulator.dm_channel(CHAMPION), message_ts="1.0")
    on_answer(ack, body, button("checkin_answer_maybe", "12"), client, BoltContext(), deps=deps)

    assert acked(ack) == {}
    [answer] = emulator.calls_to("chat.postEphemeral")
    assert (answer.params["user"], answer.params["text"]) == (CHAMPION, OUT_OF_DATE)


# -- diary pages ---------------------------------------------------------------------------------------


def diary_of_thirteen(sessions: sessionmaker[Session]) -> int:
    """Acme with its creation and twelve notes: two pages."""
    account_id = make_account(sessions, now=CREATED)
    with sessions.begin() as session:
        account = session.get_one(Account, account_id)
        for n in range(12):
            diary.record(session, account=account, kind="note", text=f"entry {n:02d}",
                         at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=n), actor_user_id=CSM)  # fmt: skip
    return account_id


def test_next_on_a_diary_page_redraws_it_in_place_through_the_response_url(
    emulator: SlackEmulator,
    ack: Ack,
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    deps: Deps,
    sessions: sessionmaker[Session],
) -> None:
    account_id = diary_of_thirteen(sessions)
    ack_page(ack)
    assert acked(ack) == {}
    context["user_id"] = CSM
    value = json.dumps({"account_id": account_id, "since": None, "page": 2})
    turn_page(button("diary_page_next", value), respond, client, context, deps=deps)

    [page] = emulator.calls_to("response_url")
    assert (page.params["response_type"], page.params["replace_original"]) == ("ephemeral", True)
    assert "Page 2 of 2" in json.dumps(page.params["blocks"])
    assert "entry 00" in page.params["text"] and "entry 11" not in page.params["text"]
    assert set(buttons_of(page.params["blocks"])) == {"diary_page_prev"}


def test_a_diary_page_turned_by_someone_not_on_the_account_is_refused_in_its_place(
    emulator: SlackEmulator,
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    deps: Deps,
    sessions: sessionmaker[Session],
) -> None:
    account_id = diary_of_thirteen(sessions)
    context["user_id"] = OUTSIDER_VENDOR
    value = json.dumps({"account_id": account_id, "since": None, "page": 2})
    turn_page(button("diary_page_next", value), respond, client, context, deps=deps)

    [page] = emulator.calls_to("response_url")
    assert "Only the people on" in page.params["text"] and "entry" not in page.params["text"]


# -- escalations ---------------------------------------------------------------------------------------


def escalation_posted(
    sessions: sessionmaker[Session], gateway: SlackGateway, emulator: SlackEmulator
) -> tuple[dict[str, str], str]:
    """An open episode's buttons and the ts of its post in the escalation channel."""
    open_escalation(sessions, account_id=make_account(sessions, now=CREATED), opened_at=MON_10)
    assert retry_pending_posts(sessions, gateway, now=MON_10) == 1
    [post] = posted_to(emulator, ESCALATION_CHANNEL)
    return buttons_of(post.params["blocks"]), emulator.messages(ESCALATION_CHANNEL)[0]["ts"]


def episode(sessions: sessionmaker[Session]) -> Escalation:
    with sessions() as session:
        return session.scalars(select(Escalation)).one()


def test_the_csm_acknowledging_an_escalation_is_recorded_before_the_ack_and_shown_on_the_post(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    values, ts = escalation_posted(sessions, gateway, emulator)
    ack = WatchedAck(lambda: episode(sessions).acknowledged_by)
    body = click_body(emulator, user_id=CSM, channel_id=ESCALATION_CHANNEL, message_ts=ts)
    on_escalation(ack, body, button("escalation_ack", values["escalation_ack"]), client, deps=deps)

    assert acked(ack) == {} and ack.seen == CSM
    [update] = emulator.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (ESCALATION_CHANNEL, ts)
    assert f"Acknowledged by <@{CSM}>" in update.params["text"] + json.dumps(update.params["blocks"])
    recorded = episode(sessions)
    assert (recorded.state, recorded.acknowledged_at) == (EscalationState.ACKNOWLEDGED, clock.now)
    assert emulator.calls_to("chat.postEphemeral") == []


def test_the_champion_acknowledging_an_escalation_is_refused_ephemerally_and_nothing_is_written(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    values, ts = escalation_posted(sessions, gateway, emulator)
    ack = Ack()  # type: ignore[no-untyped-call]
    body = click_body(emulator, user_id=CHAMPION, channel_id=ESCALATION_CHANNEL, message_ts=ts)
    on_escalation(ack, body, button("escalation_ack", values["escalation_ack"]), client, deps=deps)

    assert acked(ack) == {}
    [refusal] = emulator.calls_to("chat.postEphemeral")
    assert (refusal.params["channel"], refusal.params["user"]) == (ESCALATION_CHANNEL, CHAMPION)
    assert f"handled by <@{CSM}>" in refusal.params["text"]
    assert emulator.calls_to("chat.update") == []
    assert (episode(sessions).state, episode(sessions).acknowledged_by) == (EscalationState.OPEN, None)


def test_resolve_opens_its_form_inside_the_ack_and_changes_nothing_yet(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    values, ts = escalation_posted(sessions, gateway, emulator)
    ack = WatchedAck(lambda: len(emulator.calls_to("views.open")))
    body = click_body(emulator, user_id=CSM, channel_id=ESCALATION_CHANNEL, message_ts=ts)
    on_escalation(ack, body, button("escalation_resolve", values["escalation_resolve"]), client, deps=deps)

    assert acked(ack) == {} and ack.seen == 1
    [opened] = emulator.calls_to("views.open")
    assert opened.params["trigger_id"] == body["trigger_id"]
    assert opened.params["view"]["callback_id"] == "escalation_resolve_form"
    assert episode(sessions).state is EscalationState.OPEN
    assert emulator.calls_to("chat.update") == []


def test_a_resolve_form_slack_would_not_open_is_answered_ephemerally(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    values, ts = escalation_posted(sessions, gateway, emulator)
    emulator.error_next("views.open", "expired_trigger_id")
    ack = Ack()  # type: ignore[no-untyped-call]
    body = click_body(emulator, user_id=CSM, channel_id=ESCALATION_CHANNEL, message_ts=ts)
    on_escalation(ack, body, button("escalation_resolve", values["escalation_resolve"]), client, deps=deps)

    assert acked(ack) == {}
    [answer] = emulator.calls_to("chat.postEphemeral")
    assert (answer.params["user"], answer.params["text"]) == (CSM, FORM_NOT_OPENED)
    assert episode(sessions).state is EscalationState.OPEN
