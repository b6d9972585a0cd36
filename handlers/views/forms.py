"""Submitted `account add` / `commit` forms: field errors go back into the modal, the rest runs like the
typed command and the outcome arrives as a DM (a closed modal has nowhere else to answer)."""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.commands import runner as command_runner
from bot.commands.forms import FormError, reader
from bot.slack.gateway import SlackGateway
from handlers.commands.accountability import SOMETHING_WENT_WRONG
from handlers.deps import Deps, installation_of


def field_error(view: dict[str, Any], deps: Deps) -> FormError | None:
    try:
        reader(view["callback_id"], view["state"]["values"])(deps.clock().astimezone(UTC).date())
    except FormError as exc:
        return exc
    return None


def ack_form(ack: Ack, view: dict[str, Any], *, deps: Deps) -> None:
    error = field_error(view, deps)
    if error is not None:
        ack(response_action="errors", errors={error.block_id: error.problem})
    else:
        ack()


def run_form(
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
    *,
    deps: Deps,
) -> None:
    if field_error(view, deps) is not None:
        return  # the modal is still open, showing what to fix
    user_id = body["user"]["id"]
    invocation = command_runner.Invocation(
        installation=installation_of(context),
        user_id=user_id,
        text="",
    )
    try:
        reply = command_runner.run(
            invocation,
            sessions=deps.sessions,
            gateway=SlackGateway(client),
            admins=deps.admins,
            now=deps.clock(),
            form=reader(view["callback_id"], view["state"]["values"]),
        )
    except Exception:
        logger.exception("form %s failed for %s", view.get("callback_id"), user_id)
        reply = command_runner.Reply(SOMETHING_WENT_WRONG)
    SlackGateway(client).post_message(user_id, text=reply.text, blocks=reply.blocks)
