"""Next / Previous on an ephemeral diary page: redraw it in place through the response URL."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.commands.runner import Reply, answered
from bot.diary.pages import Page, diary_turn
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of
from handlers.replies import respond_privately


def ack_page(ack: Ack) -> None:
    ack()


def turn_page(
    action: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext, *, deps: Deps
) -> None:
    page = answered(
        lambda: diary_turn(
            deps.sessions,
            SlackGateway(client),
            value=str(action.get("value", "{}")),
            installation=installation_of(context),
            user_id=str(context.user_id),
            admins=deps.admins,
            now=deps.clock(),
        )
    )
    reply = Reply(page.text, page.blocks) if isinstance(page, Page) else page
    respond_privately(respond, reply, replace_original=True)
