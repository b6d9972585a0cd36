"""The requests Slack sends the app when a person acts, built from what the page posted.

Signing and delivery are the emulator's own (`SlackSender.post`); this only shapes the bodies as
Slack documents them: a slash command's form, `block_actions` and `view_submission` payloads (with
`state.values`), and Events API envelopes for typed messages.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

from slack_emulator.outbound import HttpResult, SlackSender

FORM = "application/x-www-form-urlencoded"


def _person(sender: SlackSender, user_id: str) -> dict[str, Any]:
    team = sender.user_team(user_id)
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team}


def command(
    sender: SlackSender,
    text: str,
    *,
    user_id: str,
    channel_id: str,
    channel_name: str,
    response_url: str,
    trigger_id: str,
) -> HttpResult:
    body = urllib.parse.urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": sender.user_team(user_id),
            "team_domain": "vendor",
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/accountability",
            "text": text,
            "api_app_id": "A0APP",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )
    return sender.post(body, content_type=FORM)


def action(
    element: dict[str, Any], block_id: str, selected: str, *, choices: dict[str, str]
) -> dict[str, Any]:
    """The `actions[0]` Slack sends for a click or a choice; `choices` names the options by value."""
    kind = str(element.get("type"))
    sent: dict[str, Any] = {
        "type": kind,
        "action_id": element.get("action_id", ""),
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        sent["text"] = element.get("text", {})
        if "value" in element:
            sent["value"] = element["value"]
    elif kind in ("static_select", "overflow", "radio_buttons"):
        sent["selected_option"] = {
            "text": {"type": "plain_text", "text": choices.get(selected, selected)},
            "value": selected,
        }
    elif kind == "users_select":
        sent["selected_user"] = selected
    elif kind == "conversations_select":
        sent["selected_conversation"] = selected
    elif kind == "channels_select":
        sent["selected_channel"] = selected
    elif kind == "datepicker":
        sent["selected_date"] = selected
    elif kind == "timepicker":
        sent["selected_time"] = selected
    return sent


def block_actions(
    sender: SlackSender,
    *,
    user_id: str,
    sent_action: dict[str, Any],
    container: dict[str, Any],
    response_url: str,
    trigger_id: str,
    channel: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
) -> HttpResult:
    """A `block_actions` payload. A person of another organisation acts with their own team's ID;
    a view names the installing workspace in `app_installed_team_id`."""
    team = sender.user_team(user_id)
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team, "domain": "vendor"},
        "user": _person(sender, user_id),
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "trigger_id": trigger_id,
        "container": container,
        "actions": [sent_action],
    }
    if container.get("type") == "message":
        payload["response_url"] = response_url
    if channel is not None:
        payload["channel"] = channel
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = {**view, "team_id": team, "app_installed_team_id": sender.team_id}
    return sender.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), content_type=FORM)


def view_submission(
    sender: SlackSender, *, user_id: str, view: dict[str, Any], values: dict[str, Any], trigger_id: str
) -> HttpResult:
    """A modal's submission: the stored view with `state.values` (block_id → action_id → state)."""
    team = sender.user_team(user_id)
    submitted = {
        **view,
        "team_id": team,
        "app_installed_team_id": sender.team_id,
        "state": {"values": values},
    }
    payload = {
        "type": "view_submission",
        "team": {"id": team, "domain": "vendor"},
        "user": _person(sender, user_id),
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "trigger_id": trigger_id,
        "view": submitted,
        "response_urls": [],
    }
    return sender.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), content_type=FORM)


def input_state(element: dict[str, Any], submitted: list[str], labels: dict[str, str]) -> dict[str, Any]:
    """One input's entry in `state.values`, shaped per element type as Slack sends it."""
    kind = str(element.get("type"))
    first = submitted[0] if submitted else ""
    state: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        state["value"] = first or None
    elif kind in ("static_select", "radio_buttons"):
        state["selected_option"] = (
            {"text": {"type": "plain_text", "text": labels.get(first, first)}, "value": first}
            if first
            else None
        )
    elif kind == "checkboxes":
        state["selected_options"] = [
            {"text": {"type": "plain_text", "text": labels.get(v, v)}, "value": v} for v in submitted
        ]
    elif kind == "users_select":
        state["selected_user"] = first or None
    elif kind == "multi_users_select":
        state["selected_users"] = [v for v in submitted if v]
    elif kind == "conversations_select":
        state["selected_conversation"] = first or None
    elif kind == "channels_select":
        state["selected_channel"] = first or None
    elif kind == "datepicker":
        state["selected_date"] = first or None
    elif kind == "timepicker":
        state["selected_time"] = first or None
    return state


def home_opened(sender: SlackSender, *, user_id: str, channel: str) -> HttpResult:
    return sender.event(
        {
            "type": "app_home_opened",
            "user": user_id,
            "channel": channel,
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
    )


def typed(
    sender: SlackSender,
    text: str,
    *,
    user_id: str,
    channel: str,
    ts: str,
    thread_ts: str | None,
    im: bool,
    mentions_bot: bool,
) -> None:
    """A person's message as the Events API delivers it: `message.im` in the bot's DM, `message.channels`
    in a channel, and an `app_mention` too when it names the bot (Slack sends both)."""
    if im:
        event = sender.channel_event(
            "message", text, user_id=user_id, channel=channel, thread_ts=thread_ts, ts=ts
        )
        sender.event(event | {"channel_type": "im"})
        return
    sender.channel_message(text, user_id=user_id, channel=channel, thread_ts=thread_ts, ts=ts)
    if mentions_bot:
        sender.mention(text, user_id=user_id, channel=channel, thread_ts=thread_ts, ts=ts)
