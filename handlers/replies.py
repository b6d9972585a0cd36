"""Answers every handler gives the same way: the apology when something unexpected failed, and how a
command's or form's reply reaches the person."""

from __future__ import annotations

import logging

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.commands import runner as command_runner
from bot.commands.parsed import Command
from bot.commands.replies import Reply
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of

# --- commands and forms ---

SOMETHING_WENT_WRONG = "Sorry — something went wrong on our side and nothing was changed. Please try again."


def carried_out(
    command: Command,
    *,
    user_id: str,
    text: str,
    client: WebClient,
    context: BoltContext,
    logger: logging.Logger,
    deps: Deps,
) -> Reply:
    """The parsed command run for the person. After the ack nobody else will answer them, so even an
    unexpected failure (its transaction rolled back) gets an apology rather than silence."""
    invocation = command_runner.Invocation(installation=installation_of(context), user_id=user_id, text=text)
    try:
        return command_runner.run(
            invocation,
            sessions=deps.sessions,
            gateway=SlackGateway(client),
            admins=deps.admins,
            now=deps.clock(),
            command=command,
        )
    except Exception:
        logger.exception("%r failed for %s", text or type(command).__name__, user_id)
        return Reply(SOMETHING_WENT_WRONG)


def respond_privately(respond: Respond, reply: Reply, *, replace_original: bool = False) -> None:
    """An ephemeral answer through the response URL, seen only by the person who asked."""
    respond(
        text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=replace_original
    )


def direct_message(client: WebClient, user_id: str, reply: Reply) -> None:
    """A closed modal has nowhere else to answer than the person's DM with the bot."""
    SlackGateway(client).post_message(user_id, text=reply.text, blocks=reply.blocks)
