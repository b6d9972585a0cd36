"""A check-in button: Done and Snooze are written before Slack is acknowledged; Partly / Blocked /
Not yet open the note form right after the ack, while the trigger is alive. The message is redrawn in
place after the ack, with the rest of the work that waits on Slack (`Deps.after_ack`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.checkins.answers import open_for, record_click, redrawn
from bot.checkins.changes import change_answer
from bot.checkins.message import Click, click_of, read_change_value
from bot.checkins.note_form import note_form
from bot.errors import Refusal
from bot.escalation.posting import redraw_resolved
from bot.home import home_view
from bot.recording import recorded
from bot.slack.deliveries import Replayed
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from handlers.deps import Deps
from handlers.middleware import REPLAY_KEY
from handlers.replies import answer_dm, answer_ephemeral, open_form, redraw_checkin_message

log = logging.getLogger(__name__)

OUT_OF_DATE = "That button is out of date. Please use the latest check-in message."


def on_answer(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    deps: Deps,
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
        if click.needs_note:
            # Nothing is written until the note is submitted: the ack goes first, and the form opens
            # at once after it (the trigger_id expires within 3 seconds).
            ack()
            _open_note_form(click, body, gateway, user_id=user_id, deps=deps)
            return
        now, key = deps.clock(), context.get(REPLAY_KEY)
        recorded(
            lambda: record_click(deps.sessions, click=click, user_id=user_id, now=now, replay_key=key),
            what=click.what,
        )
    except Replayed:
        ack()  # carried out the first time: nothing more to do or say
        return
    except Refusal as refusal:
        if ack.response is None:  # a refused write; a form that failed to open was acked already
            ack()
        # A closed modal has no channel: the person's DM then.
        if channel_id:
            answer_ephemeral(gateway, channel_id=channel_id, user_id=user_id, text=refusal.message)
        else:
            answer_dm(gateway, user_id=user_id, text=refusal.message)
        return
    ack()
    deps.after_ack(
        show_answer,
        gateway,
        click.checkin_id,
        user_id=user_id,
        on_home=body.get("view", {}).get("type") == "home",
        deps=deps,
        now=now,
    )


def show_answer(
    gateway: SlackGateway, checkin_id: int, *, user_id: str, on_home: bool, deps: Deps, now: datetime
) -> None:
    """After the ack: the recorded answer shown where it was given, read once the write committed."""
    redraw_checkin_message(gateway, redrawn(deps.sessions, checkin_id, now=now), user_id=user_id)
    if on_home:
        refresh_home(gateway, user_id=user_id, deps=deps)


def refresh_home(gateway: SlackGateway, *, user_id: str, deps: Deps) -> None:
    """The Home tab shows the answer; the DM message already does, so a refusal here is only logged."""
    try:
        gateway.publish_home(
            user_id=user_id, view=home_view(deps.sessions, user_id=user_id, now=deps.clock())
        )
    except SlackDeliveryError as exc:
        log.warning("home of %s not refreshed: %s failed: %s", user_id, exc.method, exc.error)


def _open_note_form(
    click: Click, body: dict[str, Any], gateway: SlackGateway, *, user_id: str, deps: Deps
) -> None:
    """The note form for a Partly / Blocked / Not yet click; a `Refusal` when the check-in can't take
    that answer or Slack won't open the form."""
    checkin = recorded(
        lambda: open_for(deps.sessions, checkin_id=click.checkin_id, user_id=user_id), what="open"
    )
    open_form(
        gateway,
        trigger_id=body["trigger_id"],
        view=note_form(
            checkin_id=click.checkin_id, answer=click.answer, action=checkin.action, blockers=checkin.blockers
        ),
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
