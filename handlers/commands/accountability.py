"""`/accountability`: parsed once before the ack, in the invoker's own zone; refused inside the ack, or
answered with a form opened right after it, and the parsed command carried out after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient

from bot.commands import runner as command_runner
from bot.commands.replies import Reply
from bot.errors import Refusal
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of
from handlers.replies import carried_out, open_form, respond_privately

PARSED = "accountability_command"


def parse_once(
    command: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse], *, deps: Deps
) -> BoltResponse:
    """Both the ack and the work after it read the command from here (copied to the lazy listener)."""
    context[PARSED] = command_runner.parse_request(
        command.get("text") or "",
        sessions=deps.sessions,
        installation=installation_of(context),
        user_id=command["user_id"],
        now=deps.clock(),
    )
    return next()


def ack_accountability(
    ack: Ack,
    command: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    *,
    deps: Deps,
) -> None:
    answer = command_runner.answer_in_ack(
        context[PARSED],
        sessions=deps.sessions,
        installation=installation_of(context),
        user_id=command["user_id"],
        payload_team_id=command.get("team_id"),
        payload_enterprise_id=command.get("enterprise_id") or None,
        admins=deps.admins,
    )
    if answer.refusal is not None:
        ack(response_type="ephemeral", text=answer.refusal)
        return
    ack()
    if answer.view is not None:
        # Right after the ack, on this listener's thread: the trigger_id dies within 3 seconds.
        try:
            open_form(SlackGateway(client), trigger_id=command["trigger_id"], view=answer.view)
        except Refusal as exc:
            respond_privately(respond, Reply(exc.message))


def run_accountability(
    command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext, *, deps: Deps
) -> None:
    parsed = context[PARSED]
    if command_runner.answered_in_ack(parsed):
        return
    text, user_id = command.get("text") or "", command["user_id"]
    reply = carried_out(
        parsed, user_id=user_id, text=text, client=client, context=context, logger=context.logger, deps=deps
    )
    respond_privately(respond, reply)
