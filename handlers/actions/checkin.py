"""A check-in button: Done and Snooze are written before Slack is acknowledged; Partly / Blocked /
Not yet open the note form first. The message is redrawn in place after the ack."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.checkins.answers import Answered, open_for, record_click
from bot.checkins.changes import change_answer
from bot.checkins.message import Click, click_of, read_change_value
from bot.checkins.note_form import note_form
from bot.errors import Refusal
from bot.escalation.posting import redraw_resolved
from bot.home import home_view
from bot.recording import recorded
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from handlers.deps import Deps
from handlers.replies import answer_dm, answer_ephemeral, open_form, redraw_checkin_message

log = logging.getLogger(__name__)

OUT_OF_DATE = "That button is out of date. Please use the latest check-in message."


def on_answer(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    """Written first, acknowledged second, shown third: Slack's 200 means the answer is on record."""
    click = click_of(action.get("action_id", ""), str(action.get("value", "")))
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    gateway = SlackGateway(client)
    if click is None:
        ack()
        answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=OUT_OF_DATE)
        return
    try:
        answered = _answered(click, body, client, user_id=user_id, deps=deps)
    except Refusal as refusal:
        ack()
        # A closed modal has no channel: the person's DM then.
        if channel_id:
            answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=refusal.message)
        else:
            answer_dm(gateway, user_id=user_id, text=refusal.message)
        return
    ack()
    if answered is None:
        return  # the note form's submission records the answer
    redraw_checkin_message(gateway, answered, user_id=user_id)
    if body.get("view", {}).get("type") == "home":
        refresh_home(gateway, user_id=user_id, deps=deps)


def refresh_home(gateway: SlackGateway, *, user_id: str, deps: Deps) -> None:
    """The Home tab shows the answer; the DM message already does, so a refusal here is only logged."""
    try:
        gateway.publish_home(
            user_id=user_id, view=home_view(deps.sessions, user_id=user_id, now=deps.clock())
        )
    except SlackDeliveryError as exc:
        log.warning("home of %s not refreshed: %s failed: %s", user_id, exc.method, exc.error)


def _answered(
    click: Click, body: dict[str, Any], client: WebClient, *, user_id: str, deps: Deps
) -> Answered | None:
    """The click recorded, or None when it opened the note form instead; a `Refusal` when it can't be."""
    if click.needs_note:
        # The modal must open now: the trigger_id expires within 3 seconds.
        checkin = recorded(
            lambda: open_for(deps.sessions, checkin_id=click.checkin_id, user_id=user_id), what="open"
        )
        open_form(
            SlackGateway(client),
            trigger_id=body["trigger_id"],
            view=note_form(
                checkin_id=click.checkin_id,
                answer=click.answer,
                action=checkin.action,
                blockers=checkin.blockers,
            ),
        )
        return None
    now = deps.clock()
    return recorded(
        lambda: record_click(deps.sessions, click=click, user_id=user_id, now=now), what=click.what
    )


def on_change(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, deps: Deps
) -> None:
    """Change answer (the overflow on an answered check-in): written first, acknowledged, redrawn."""
    chosen = read_change_value(str((action.get("selected_option") or {}).get("value", "")))
    user_id = body["user"]["id"]
    channel_id = (body.get("channel") or {}).get("id")
    gateway = SlackGateway(client)
    try:
        if chosen is None:
            raise Refusal(OUT_OF_DATE)
        checkin_id, answer = chosen
        now = deps.clock()
        changed = recorded(
            lambda: change_answer(
                deps.sessions, checkin_id=checkin_id, user_id=user_id, answer=answer, now=now
            ),
            what="answer change",
        )
    except Refusal as refusal:
        ack()
        if channel_id:
            answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=refusal.message)
        else:
            answer_dm(gateway, user_id=user_id, text=refusal.message)
        return
    ack()
    redraw_checkin_message(gateway, changed, user_id=user_id)
    redraw_resolved(deps.sessions, gateway, list(changed.resolved), now=now)
    if body.get("view", {}).get("type") == "home":
        refresh_home(gateway, user_id=user_id, deps=deps)
