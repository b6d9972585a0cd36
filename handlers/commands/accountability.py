"""`/accountability`: refuse bad input inside the ack, do the work after it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.commands import runner as command_runner
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of

SOMETHING_WENT_WRONG = "Sorry — something went wrong on our side and nothing was changed. Please try again."


def ack_accountability(
    ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext, *, deps: Deps
) -> None:
    answer = command_runner.answer_in_ack(
        command.get("text") or "",
        sessions=deps.sessions,
        installation=installation_of(context),
        user_id=command["user_id"],
        payload_team_id=command.get("team_id"),
        payload_enterprise_id=command.get("enterprise_id") or None,
        admins=deps.admins,
        now=deps.clock(),
    )
    if answer.view is not None:
        client.views_open(trigger_id=command["trigger_id"], view=answer.view)
    if answer.refusal is not None:
        ack(response_type="ephemeral", text=answer.refusal)
    else:
        ack()


def run_accountability(
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
    *,
    deps: Deps,
) -> None:
    text = command.get("text") or ""
    if command_runner.answered_in_ack(text, now=deps.clock()):
        return
    invocation = command_runner.Invocation(
        installation=installation_of(context),
        user_id=command["user_id"],
        text=text,
    )
    try:
        reply = command_runner.run(
            invocation,
            sessions=deps.sessions,
            gateway=SlackGateway(client),
            admins=deps.admins,
            now=deps.clock(),
        )
    except Exception:
        # The transaction rolled back; the person still deserves an answer rather than silence.
        logger.exception("/accountability failed for %s: %r", invocation.user_id, text)
        reply = command_runner.Reply(SOMETHING_WENT_WRONG)
    respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False)
