"""Next / Previous on an ephemeral diary page: redraw it in place through the response URL."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, Respond

from bot.command_runner import diary_turn
from handlers.deps import Deps


def ack_page(ack: Ack) -> None:
    ack()


def turn_page(body: dict[str, Any], action: dict[str, Any], respond: Respond, *, deps: Deps) -> None:
    reply = diary_turn(
        deps.sessions,
        value=str(action.get("value", "{}")),
        team_id=(body.get("team") or {}).get("id", ""),
        user_id=body["user"]["id"],
        admins=deps.admins,
    )
    respond(text=reply.text, blocks=reply.blocks, replace_original=True, response_type="ephemeral")
