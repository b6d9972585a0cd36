"""Someone left an account's shared channel or was deactivated in Slack.

The departure is written by a listener middleware, which runs before Bolt acknowledges an event (an
event listener itself runs after): what Slack was told "200" about is on record. The CSM is asked for
new owners after the acknowledgement, and by the clock if that fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltResponse
from slack_sdk import WebClient

from bot.people.handover import DEACTIVATED, LEFT_CHANNEL, ask, record_departure
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of

OPENED = "handovers_opened"


def record_left_channel(
    event: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse], *, deps: Deps
) -> BoltResponse:
    user_id, channel_id = event.get("user"), event.get("channel")
    context[OPENED] = (
        record_departure(
            deps.sessions,
            team_id=installation_of(context).team_id,
            user_id=user_id,
            reason=LEFT_CHANNEL,
            channel_id=channel_id,
            now=deps.clock(),
        )
        if isinstance(user_id, str) and isinstance(channel_id, str)
        else []
    )
    return next()


def record_deactivated(
    event: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse], *, deps: Deps
) -> BoltResponse:
    """`user_change` comes for every profile edit; only a deactivation is a departure."""
    user = event.get("user")
    deactivated = isinstance(user, dict) and user.get("deleted") is True and isinstance(user.get("id"), str)
    context[OPENED] = (
        record_departure(
            deps.sessions,
            team_id=installation_of(context).team_id,
            user_id=user["id"],
            reason=DEACTIVATED,
            now=deps.clock(),
        )
        if deactivated and isinstance(user, dict)
        else []
    )
    return next()


def ask_for_new_owners(client: WebClient, context: BoltContext, *, deps: Deps) -> None:
    gateway = SlackGateway(client)
    for handover_id in context.get(OPENED) or []:
        ask(deps.sessions, gateway, handover_id, now=deps.clock())
