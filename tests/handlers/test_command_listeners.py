"""`/accountability`: read once before the ack; refused, or answered with a form, inside the ack; the
rest carried out after it and answered through the response URL."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from handlers.commands.accountability import PARSED, ack_accountability, parse_once, run_accountability
from handlers.deps import Deps
from handlers.replies import FORM_NOT_OPENED
from models import Account, DiaryEntry, Person
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION, CSM
from tests.flows import ADD_ACME
from tests.handlers.conftest import WatchedAck, acked, command_payload, passed_on


def count(sessions: sessionmaker[Session], model: type[Any]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def acknowledge(
    command: dict[str, Any],
    ack: Ack,
    client: WebClient,
    context: BoltContext,
    deps: Deps,
    respond: Respond | None = None,
) -> None:
    """What Bolt does inside the 3 seconds: the middleware, then the ack listener (which goes on to
    open a form right after its ack)."""
    parse_once(command, context, passed_on(), deps=deps)
    ack_accountability(
        ack, command, respond or Respond(response_url=command["response_url"]), client, context, deps=deps
    )


def test_a_malformed_command_is_refused_in_the_ack_with_its_usage_and_nothing_is_left_for_after(
    emulator: SlackEmulator,
    ack: Ack,
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    deps: Deps,
    sessions: sessionmaker[Session],
) -> None:
    command = command_payload(emulator, "account add Acme channel:#general", user_id=CSM)
    acknowledge(command, ack, client, context, deps)
    answer = acked(ack)
    assert answer["response_type"] == "ephemeral"
    assert "Missing escalations:, champion:" in answer["text"]
    assert "/accountability account add <Account>" in answer["text"]

    run_accountability(command, respond, client, context, deps=deps)
    assert emulator.calls_to("response_url") == []
    assert emulator.calls_to("users.info") == []  # refused without asking Slack who they are
    assert count(sessions, Account) == 0 and count(sessions, Person) == 0


def test_a_well_formed_command_is_acked_plainly_and_carried_out_after_with_the_reply_through_respond(
    emulator: SlackEmulator,
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    deps: Deps,
    sessions: sessionmaker[Session],
) -> None:
    command = command_payload(emulator, ADD_ACME, user_id=CSM)
    ack = WatchedAck(lambda: count(sessions, Account))
    acknowledge(command, ack, client, context, deps)
    assert acked(ack) == {}
    assert ack.seen == 0  # the work is left for after the ack

    run_accountability(command, respond, client, context, deps=deps)
    [reply] = emulator.calls_to("response_url")
    assert reply.params["response_type"] == "ephemeral"
    assert "Account *Acme* created" in reply.params["text"]
    with sessions() as session:
        account = session.scalars(select(Account)).one()
        assert (account.name, account.csm_user_id, account.champion_user_id) == ("Acme", CSM, CHAMPION)
        assert "account_created" in session.scalars(select(DiaryEntry.kind)).all()


def test_the_command_is_parsed_once_and_the_work_after_the_ack_uses_that_reading(
    emulator: SlackEmulator,
    ack: Ack,
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    deps: Deps,
    sessions: sessionmaker[Session],
) -> None:
    command = command_payload(emulator, "help", user_id=CSM)
    acknowledge(command, ack, client, context, deps)
    parsed = context[PARSED]
    # The text changing under the lazy listener does not change what it runs: it was read once.
    run_accountability({**command, "text": ADD_ACME}, respond, client, context, deps=deps)
    assert context[PARSED] is parsed
    [reply] = emulator.calls_to("response_url")
    assert "/accountability commit" in reply.params["text"]
    assert count(sessions, Account) == 0


def test_account_add_with_no_arguments_acks_then_opens_the_form_at_once_with_slacks_trigger(
    emulator: SlackEmulator,
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    deps: Deps,
) -> None:
    command = command_payload(emulator, "account add", user_id=CSM)
    ack = WatchedAck(lambda: len(emulator.calls_to("views.open")))
    acknowledge(command, ack, client, context, deps)
    assert acked(ack) == {}
    assert ack.seen == 0  # acknowledged first: Slack's call does not hold up the ack
    [opened] = emulator.calls_to("views.open")  # then opened by the same listener, trigger still alive
    assert opened.params["trigger_id"] == command["trigger_id"]
    view = opened.params["view"]
    assert view["callback_id"] == "account_add_form"
    assert {b["block_id"] for b in view["blocks"]} >= {"name", "channel", "escalations", "champion"}

    run_accountability(command, respond, client, context, deps=deps)
    assert emulator.calls_to("response_url") == []  # the form is the answer


def test_a_customer_asking_for_the_account_form_is_refused_in_the_ack_and_no_form_opens(
    emulator: SlackEmulator, ack: Ack, client: WebClient, context: BoltContext, deps: Deps
) -> None:
    command = command_payload(emulator, "account add", user_id=CHAMPION)
    acknowledge(command, ack, client, context, deps)
    answer = acked(ack)
    assert answer["response_type"] == "ephemeral" and "vendor's" in answer["text"]
    assert emulator.calls_to("views.open") == []


def test_a_form_slack_will_not_open_is_answered_privately_instead_of_failing_the_command(
    emulator: SlackEmulator, ack: Ack, respond: Respond, client: WebClient, context: BoltContext, deps: Deps
) -> None:
    command = command_payload(emulator, "account add", user_id=CSM)
    emulator.error_next("views.open", "expired_trigger_id")
    acknowledge(command, ack, client, context, deps, respond)
    assert acked(ack) == {}
    [answer] = emulator.calls_to("response_url")
    assert (answer.params["response_type"], answer.params["text"]) == ("ephemeral", FORM_NOT_OPENED)
