"""Submitted `account add` / `commit` / autopsy forms: read once before the ack, in the submitter's own zone; field
errors go back into the modal, the rest runs like the typed command and the outcome arrives as a DM (a
closed modal has nowhere else to answer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse
from slack_sdk import WebClient

from bot.commands import runner as command_runner
from bot.commands.submissions import read_submission
from bot.slack.modals import FieldProblem
from handlers.deps import Deps, installation_of
from handlers.replies import carried_out, direct_message

SUBMITTED = "submitted_form"


def read_once(
    body: dict[str, Any],
    view: dict[str, Any],
    context: BoltContext,
    next: Callable[[], BoltResponse],
    *,
    deps: Deps,
) -> BoltResponse:
    today = command_runner.invoker_today(
        deps.sessions, installation=installation_of(context), user_id=body["user"]["id"], now=deps.clock()
    )
    context[SUBMITTED] = read_submission(deps.sessions, view, today=today)
    return next()


def ack_form(ack: Ack, context: BoltContext) -> None:
    submitted = context[SUBMITTED]
    if isinstance(submitted, FieldProblem):
        ack(response_action="errors", errors={submitted.block_id: submitted.problem})
    else:
        ack()


def run_form(body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: Deps) -> None:
    submitted = context[SUBMITTED]
    if isinstance(submitted, FieldProblem):
        return  # the modal is still open, showing what to fix
    user_id = body["user"]["id"]
    reply = carried_out(
        submitted, user_id=user_id, text="", client=client, context=context, logger=context.logger, deps=deps
    )
    direct_message(client, user_id, reply)
