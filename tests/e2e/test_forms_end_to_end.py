"""`account add` and `commit` without arguments open a form; its answers run like the typed command."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import Account, Commitment
from slack_emulator import SlackEmulator
from tests.conftest import CSM, RunningApp
from tests.flows import ADD_ACME, run


def account_values(**overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {
        "name": {"type": "plain_text_input", "value": "Big Co"},
        "channel": {"type": "conversations_select", "selected_conversation": "C0SHARED"},
        "escalations": {"type": "conversations_select", "selected_conversation": "C0ESCAL"},
        "champion": {"type": "users_select", "selected_user": "U0CHAMP"},
        "csm": {"type": "users_select", "selected_user": None},
        "manager": {"type": "users_select", "selected_user": None},
        "digest": {"type": "conversations_select", "selected_conversation": None},
        "outcome": {"type": "plain_text_input", "value": "Every team live by March"},
        "holidays": {"type": "plain_text_input", "value": None},
    }
    values.update(overrides)
    return values


def commit_values(schedule: str) -> dict[str, dict[str, Any]]:
    return {
        "account": {"type": "plain_text_input", "value": "Acme"},
        "side": {"type": "static_select", "selected_option": {"value": "vendor", "text": {"type": "plain_text", "text": "Vendor"}}},
        "owner": {"type": "users_select", "selected_user": "U0ENG"},
        "action": {"type": "plain_text_input", "value": "Publish the status page"},
        "schedule": {"type": "plain_text_input", "value": schedule},
        "at": {"type": "timepicker", "selected_time": "16:30"},
    }  # fmt: skip


def test_account_add_without_arguments_opens_the_form(web: RunningApp, emulator: SlackEmulator) -> None:
    result = web.slack.command("account add", user_id=CSM)
    assert result.status == 200 and result.body == ""
    opened = emulator.wait_for("views.open")
    assert len(opened) == 1  # opened right after the ack
    view = opened[0].params["view"]
    assert view["callback_id"] == "account_add_form"
    assert {b["block_id"] for b in view["blocks"]} >= {"name", "channel", "escalations", "champion"}
    assert emulator.calls_to("response_url") == []


def test_commit_without_arguments_opens_the_commitment_form(web: RunningApp, emulator: SlackEmulator) -> None:
    web.slack.command("commit", user_id=CSM)
    assert emulator.wait_for("views.open")[0].params["view"]["callback_id"] == "commit_form"


def test_form_field_errors_are_shown_in_the_modal_and_nothing_is_written(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    same = {"type": "conversations_select", "selected_conversation": "C0SHARED"}
    result = web.slack.submit_view(
        callback_id="account_add_form", values=account_values(escalations=same), user_id=CSM
    )
    assert result.status == 200
    assert result.json()["response_action"] == "errors"
    assert "escalations" in result.json()["errors"]
    bad_country = {"type": "plain_text_input", "value": "XX"}
    result = web.slack.submit_view(
        callback_id="account_add_form", values=account_values(holidays=bad_country), user_id=CSM
    )
    assert "not a known country code" in result.json()["errors"]["holidays"]
    with sessions() as session:
        assert session.scalars(select(Account)).all() == []


def test_submitted_account_form_creates_the_account_and_answers_by_dm(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    result = web.slack.submit_view(callback_id="account_add_form", values=account_values(), user_id=CSM)
    assert result.status == 200 and result.body == ""
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == CSM)[0]
    assert "Account *Big Co* created" in dm.params["text"]
    with sessions() as session:
        account = session.scalars(select(Account)).one()
        assert (account.name, account.desired_outcome, account.csm_user_id) == (
            "Big Co",
            "Every team live by March",
            CSM,
        )


def test_commit_form_checks_the_schedule_then_records_the_commitment(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    refused = web.slack.submit_view(
        callback_id="commit_form", values=commit_values("every blursday"), user_id=CSM
    )
    assert "not a day of the week" in refused.json()["errors"]["schedule"]
    accepted = web.slack.submit_view(
        callback_id="commit_form", values=commit_values("every friday"), user_id=CSM
    )
    assert accepted.status == 200 and accepted.body == ""
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == CSM)[0]
    assert "Recorded #" in dm.params["text"] and "Fri 27 Nov 16:30" in dm.params["text"]
    # The refused submission left the modal open and sent nothing: this is the only DM.
    assert len([c for c in emulator.calls_to("chat.postMessage") if c.params["channel"] == CSM]) == 1
    with sessions() as session:
        commitment = session.scalars(select(Commitment)).one()
        assert (commitment.rrule, f"{commitment.local_time:%H:%M}") == ("FREQ=WEEKLY;BYDAY=FR", "16:30")


def test_form_submitted_by_someone_who_may_not_manage_is_refused_by_dm(
    web: RunningApp, emulator: SlackEmulator, sessions: sessionmaker[Session]
) -> None:
    run(web, emulator, ADD_ACME)
    web.slack.submit_view(callback_id="commit_form", values=commit_values("every friday"), user_id="U0SALES")
    dm = emulator.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "U0SALES")[0]
    assert "Only <@U0CSM>" in dm.params["text"]
    with sessions() as session:
        assert session.scalars(select(Commitment)).all() == []
