"""A new owner (or champion) picked in the CSM's hand-over DM: written before Slack is acknowledged;
the DM is redrawn and the plan put to the champion after."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.accounts.people import identify
from bot.errors import Refusal
from bot.people.handing_over import follow_through, pick_new_owner
from bot.people.handover_message import parse_block_id
from bot.recording import recorded
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps, installation_of
from handlers.replies import answer_dm

OUT_OF_DATE = "That hand-over message is out of date. Nothing was changed."


def on_handover_pick(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    deps: Deps,
) -> None:
    user_id, now = body["user"]["id"], deps.clock()
    gateway = SlackGateway(client)
    picked = parse_block_id(str(action.get("block_id", "")))
    to_user_id = action.get("selected_user")
    if picked is None or not isinstance(to_user_id, str):
        ack()
        answer_dm(gateway, user_id=user_id, text=OUT_OF_DATE)
        return
    handover_id, commitment_id = picked
    try:
        actor = identify(
            deps.sessions,
            gateway,
            installation=installation_of(context),
            user_id=user_id,
            admins=deps.admins,
            now=now,
        )
        result = recorded(
            lambda: pick_new_owner(
                deps.sessions,
                gateway,
                actor=actor,
                handover_id=handover_id,
                commitment_id=commitment_id,
                to_user_id=to_user_id,
                now=now,
            ),
            what="hand-over",
        )
    except Refusal as refusal:
        ack()
        answer_dm(gateway, user_id=user_id, text=refusal.message)
        return
    ack()
    said = follow_through(deps.sessions, gateway, [result], actor=actor, now=deps.clock())
    answer_dm(gateway, user_id=user_id, text=said)
