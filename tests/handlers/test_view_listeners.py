"""Modal submissions: the account form (read once, carried out after the ack, answered by DM), the
check-in note and the escalation's resolution (both written before the ack; a problem keeps the modal
open, saying what)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.registry import AccountAdd
from bot.clock_pass import run_due_work
from bot.escalation.posting import retry_pending_posts
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps
from handlers.views.escalation import on_resolve
from handlers.views.forms import SUBMITTED, ack_form, read_once, run_form
from handlers.views.note import on_note
from models import Account, Answer, CheckIn, CheckInState, DiaryEntry, Escalation, EscalationState
from slack_emulator import SlackEmulator
from tests.conftest import CHAMPION, CSM, ESCALATION_CHANNEL, Clock
from tests.factories import make_account, make_commitment, open_escalation
from tests.handlers.conftest import WatchedAck, acked, passed_on

CREATED = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
MON_10 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def submitted(
    callback_id: str, values: dict[str, Any], *, metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A `view` as Slack submits it: each block's input state under its action id."""
    return {
        "id": "V0FORM",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(metadata) if metadata is not None else "",
        "state": {"values": {block_id: {"value": state} for block_id, state in values.items()}},
    }


def by(user_id: str) -> dict[str, Any]:
    return {"type": "view_submission", "user": {"id": user_id}}


def text_input(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


# -- the account form ----------------------------------------------------------------------------------


def account_form(**overrides: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, dict[str, Any]] = {
        "name": text_input("Big Co"),
        "channel": {"type": "conversations_select", "selected_conversation": "C0SHARED"},
        "escalations": {"type": "conversations_select", "selected_conversation": "C0ESCAL"},
        "champion": {"type": "users_select", "selected_user": CHAMPION},
        "csm": {"type": "users_select", "selected_user": None},
        "manager": {"type": "users_select", "selected_user": None},
        "digest": {"type": "conversations_select", "selected_conversation": None},
        "outcome": text_input("Every team live by March"),
        "holidays": text_input(None),
    }
    values.update(overrides)
    return submitted("account_add_form", values)


def accounts(sessions: sessionmaker[Session]) -> list[Account]:
    with sessions() as session:
        return list(session.scalars(select(Account)))


def test_the_account_form_is_read_once_acked_plainly_then_carried_out_and_answered_by_dm(
    emulator: SlackEmulator,
    client: WebClient,
    context: BoltContext,
    deps: Deps,
    sessions: sessionmaker[Session],
) -> None:
    read_once(by(CSM), account_form(), context, passed_on(), deps=deps)
    assert isinstance(context[SUBMITTED], AccountAdd)
    ack = WatchedAck(lambda: len(accounts(sessions)))
    ack_form(ack, context)
    assert acked(ack) == {} and ack.seen == 0  # the modal closes; the work comes after

    run_form(by(CSM), client, context, deps=deps)
    [dm] = emulator.calls_to("chat.postMessage")
    assert dm.params["channel"] == CSM and "Account *Big Co* created" in dm.params["text"]
    [account] = accounts(sessions)
    assert (account.name, account.desired_outcome, account.csm_user_id) == (
        "Big Co",
        "Every team live by March",
        CSM,
    )


def test_an_account_form_with_a_field_problem_keeps_the_modal_open_and_nothing_runs_after(
    emulator: SlackEmulator,
    ack: Ack,
    client: WebClient,
    context: BoltContext,
    deps: Deps,
    sessions: sessionmaker[Session],
) -> None:
    view = account_form(holidays=text_input("XX"))
    read_once(by(CSM), view, context, passed_on(), deps=deps)
    ack_form(ack, context)
    answer = acked(ack)
    assert answer["response_action"] == "errors"
    assert "not a known country code" in answer["errors"]["holidays"]

    run_form(by(CSM), client, context, deps=deps)
    assert emulator.calls_to("chat.postMessage") == []
    assert accounts(sessions) == []


# -- the check-in note ---------------------------------------------------------------------------------


def checkin_sent(sessions: sessionmaker[Session], gateway: SlackGateway) -> int:
    make_commitment(sessions, account_id=make_account(sessions, now=CREATED), now=CREATED)
    run_due_work(sessions, gateway, now=MON_10)
    with sessions() as session:
        return session.scalars(select(CheckIn.id)).one()


def the_checkin(sessions: sessionmaker[Session]) -> CheckIn:
    with sessions() as session:
        return session.scalars(select(CheckIn)).one()


def note_form(checkin_id: int, answer: Answer, note: str | None) -> dict[str, Any]:
    return submitted(
        "checkin_note_form",
        {"note": text_input(note)},
        metadata={"checkin_id": checkin_id, "answer": answer.value},
    )


def test_a_blocked_note_is_recorded_before_the_ack_and_the_checkin_message_redrawn(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    checkin_id = checkin_sent(sessions, gateway)
    clock.now = MON_10 + timedelta(minutes=10)
    ack = WatchedAck(lambda: (the_checkin(sessions).answer, the_checkin(sessions).note))
    on_note(
        ack,
        by(CHAMPION),
        note_form(checkin_id, Answer.BLOCKED, "Waiting on finance"),
        client,
        BoltContext(),
        deps=deps,
    )

    assert acked(ack) == {}
    assert ack.seen == (Answer.BLOCKED, "Waiting on finance")
    [redrawn] = emulator.calls_to("chat.update")
    dm = emulator.dm_channel(CHAMPION)
    assert (redrawn.params["channel"], redrawn.params["ts"]) == (dm, emulator.messages(dm)[0]["ts"])
    assert "checkin_answer_done" not in json.dumps(redrawn.params["blocks"])
    assert (the_checkin(sessions).state, the_checkin(sessions).answered_at) == (
        CheckInState.ANSWERED,
        clock.now,
    )


def test_blocked_with_no_note_is_flagged_in_the_modal_and_nothing_is_written(
    emulator: SlackEmulator,
    ack: Ack,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    checkin_id = checkin_sent(sessions, gateway)
    on_note(ack, by(CHAMPION), note_form(checkin_id, Answer.BLOCKED, None), client, BoltContext(), deps=deps)

    answer = acked(ack)
    assert answer["response_action"] == "errors" and "what is blocking it" in answer["errors"]["note"]
    assert emulator.calls_to("chat.update") == []
    assert the_checkin(sessions).state is CheckInState.SENT


def test_a_note_on_a_checkin_already_answered_keeps_the_modal_open_saying_why(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    checkin_id = checkin_sent(sessions, gateway)
    first = Ack()  # type: ignore[no-untyped-call]
    on_note(
        first,
        by(CHAMPION),
        note_form(checkin_id, Answer.PARTLY, "Half of it"),
        client,
        BoltContext(),
        deps=deps,
    )
    again = Ack()  # type: ignore[no-untyped-call]
    on_note(
        again,
        by(CHAMPION),
        note_form(checkin_id, Answer.NOT_YET, "Changed my mind"),
        client,
        BoltContext(),
        deps=deps,
    )

    answer = acked(again)
    assert answer["response_action"] == "errors" and answer["errors"]["note"]
    assert len(emulator.calls_to("chat.update")) == 1  # only the first answer was shown
    assert (the_checkin(sessions).answer, the_checkin(sessions).note) == (Answer.PARTLY, "Half of it")


# -- the escalation's resolution -----------------------------------------------------------------------


def escalation_posted(sessions: sessionmaker[Session], gateway: SlackGateway) -> int:
    escalation_id = open_escalation(
        sessions, account_id=make_account(sessions, now=CREATED), opened_at=MON_10
    )
    assert retry_pending_posts(sessions, gateway, now=MON_10) == 1
    return escalation_id


def episode(sessions: sessionmaker[Session]) -> Escalation:
    with sessions() as session:
        return session.scalars(select(Escalation)).one()


def resolve_form(escalation_id: int, note: str | None) -> dict[str, Any]:
    return submitted(
        "escalation_resolve_form", {"note": text_input(note)}, metadata={"escalation_id": escalation_id}
    )


def test_a_resolution_with_no_note_is_flagged_in_the_modal_and_the_episode_stays_open(
    emulator: SlackEmulator,
    ack: Ack,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    escalation_id = escalation_posted(sessions, gateway)
    on_resolve(ack, by(CSM), resolve_form(escalation_id, None), client, deps=deps)

    answer = acked(ack)
    assert answer["response_action"] == "errors" and "how it was resolved" in answer["errors"]["note"]
    assert emulator.calls_to("chat.update") == []
    assert episode(sessions).state is EscalationState.OPEN


def test_a_resolution_is_recorded_before_the_ack_and_shown_on_the_post(
    emulator: SlackEmulator,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    clock: Clock,
) -> None:
    escalation_id = escalation_posted(sessions, gateway)
    ack = WatchedAck(lambda: episode(sessions).state)
    on_resolve(ack, by(CSM), resolve_form(escalation_id, "Agreed a lighter report"), client, deps=deps)

    assert acked(ack) == {} and ack.seen is EscalationState.RESOLVED
    [update] = emulator.calls_to("chat.update")
    assert update.params["channel"] == ESCALATION_CHANNEL
    assert "Agreed a lighter report" in update.params["text"] + json.dumps(update.params["blocks"])
    assert "actions" not in [b["type"] for b in update.params["blocks"]]
    resolved = episode(sessions)
    assert (resolved.resolved_by, resolved.resolved_at) == (CSM, clock.now)
    with sessions() as session:
        assert "escalation_resolved" in session.scalars(select(DiaryEntry.kind)).all()


def test_a_resolution_by_the_champion_keeps_the_modal_open_with_the_refusal(
    emulator: SlackEmulator,
    ack: Ack,
    client: WebClient,
    deps: Deps,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
) -> None:
    escalation_id = escalation_posted(sessions, gateway)
    on_resolve(ack, by(CHAMPION), resolve_form(escalation_id, "All fine now"), client, deps=deps)

    answer = acked(ack)
    assert answer["response_action"] == "errors" and f"handled by <@{CSM}>" in answer["errors"]["note"]
    assert emulator.calls_to("chat.update") == []
    assert (episode(sessions).state, episode(sessions).resolved_by) == (EscalationState.OPEN, None)
