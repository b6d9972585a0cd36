"""The form listeners: read once before the ack, field problems back into the modal, the rest carried
out after it and answered by DM (a closed modal has nowhere else to answer)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from bot.escalation.autopsy import AUTOPSY_FORM, AutopsyInput
from bot.slack.modals import FieldProblem
from handlers.deps import Deps
from handlers.replies import SOMETHING_WENT_WRONG
from handlers.views.forms import SUBMITTED, ack_form, read_once, run_form
from slack_emulator import SlackEmulator
from tests.conftest import CSM
from tests.handlers.conftest import acked


def autopsy_view(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "callback_id": AUTOPSY_FORM,
        "private_metadata": json.dumps({"account_id": 1, "escalation_id": 1}),
        "state": {"values": values},
    }


def passed_on() -> Callable[[], BoltResponse]:
    return lambda: BoltResponse(status=200)


def test_an_autopsy_with_no_cause_ticked_is_flagged_in_the_modal(
    ack: Ack, context: BoltContext, deps: Deps
) -> None:
    view = autopsy_view({})
    read_once({"user": {"id": CSM}}, view, context, passed_on(), deps=deps)
    assert isinstance(context[SUBMITTED], FieldProblem)
    ack_form(ack, context)
    assert acked(ack)["response_action"] == "errors"
    assert set(acked(ack)["errors"]) == {"vendor_causes"}


def test_an_autopsy_submission_that_fails_after_the_ack_is_answered_by_dm(
    emulator: SlackEmulator, context: BoltContext, tmp_path: Path
) -> None:
    unreachable = sessionmaker(create_engine(f"sqlite:///{tmp_path / 'missing' / 'accountability.db'}"))
    context[SUBMITTED] = AutopsyInput(
        account_id=1,
        escalation_id=1,
        causes=[{"cause": "other", "side": "vendor"}],
        other="x",
        corrective=None,
    )
    run_form({"user": {"id": CSM}}, context.client, context, deps=Deps(sessions=unreachable))
    [answer] = emulator.calls_to("chat.postMessage")
    assert (answer.params["channel"], answer.params["text"]) == (CSM, SOMETHING_WENT_WRONG)
