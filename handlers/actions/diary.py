"""Next / Previous on an ephemeral diary page: redraw it in place through the response URL."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.commands.runner import diary_turn
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of


def ack_page(ack: Ack) -> None:
    ack()


def turn_page(
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
    *,
    deps: Deps,
) -> None:
    reply = diary_turn(
        deps.sessions,
        SlackGateway(client),
        value=str(action.get("value", "{}")),
        installation=installation_of(context),
        user_id=body["user"]["id"],
        admins=deps.admins,
        now=deps.clock(),
    )
    respond(text=reply.text, blocks=reply.blocks, replace_original=True, response_type="ephemeral")
