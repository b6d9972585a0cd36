"""Slack's other direction: signed requests to the app, shaped the way Slack sends them.

The emulator answers the app's Web API calls; this plays the user's side (commands, clicks, events)
for the tests and the demo."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import Any

from slack_sdk.signature import SignatureVerifier

_event_ids = count(1)
_trigger_ids = count(1)
_message_ids = count(1)


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class SlackSender:
    """Plays Slack's part towards the app: form-encoded commands and interactivity, JSON events.

    `team_id` is the installing workspace (the vendor). `user_team` says which team each person
    belongs to: as in Slack Connect, a person of another organisation acts with their *own* team ID
    in `team.id`, `user.team_id` and a command's `team_id`, and only `view.app_installed_team_id`
    and an event's `authorizations` name the installer.
    """

    def __init__(
        self,
        *,
        app_url: str,
        signing_secret: str,
        team_id: str,
        response_url: Any,
        user_team: Callable[[str], str] | None = None,
        trigger_id: Callable[[], str] | None = None,
        enterprise_id: str | None = None,
    ) -> None:
        self.app_url = app_url.rstrip("/")
        # An org-wide install on an Enterprise Grid organisation: payloads name the organisation and
        # say `is_enterprise_install`, as Slack's do for such an app.
        self.enterprise_id = enterprise_id
        self.verifier = SignatureVerifier(signing_secret)
        self.team_id = team_id
        self.new_response_url = response_url
        self.user_team = user_team or (lambda _user_id: team_id)
        # The emulator's factory, so views.open can tell a real, fresh, unused trigger from any other.
        self.new_trigger_id = trigger_id or (lambda: f"{next(_trigger_ids)}.trigger")

    def post(
        self,
        body: str,
        *,
        content_type: str,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> HttpResult:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signed = signature or self.verifier.generate_signature(timestamp=ts, body=body)
        assert signed is not None
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signed,
            **(extra_headers or {}),
        }
        request = urllib.request.Request(
            f"{self.app_url}/slack/events", data=body.encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return HttpResult(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return HttpResult(error.code, error.read().decode())

    def command_body(self, text: str, *, user_id: str, team_id: str | None = None) -> str:
        return urllib.parse.urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": team_id or self.user_team(user_id),
                "team_domain": "vendor",
                "channel_id": "C0CSMDESK",
                "channel_name": "csm-desk",
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": "/accountability",
                "text": text,
                "api_app_id": "A0APP",
                "response_url": self.new_response_url(),
                "trigger_id": self.new_trigger_id(),
                **(
                    {
                        "enterprise_id": self.enterprise_id,
                        "enterprise_name": f"{self.enterprise_id} Grid",
                        "is_enterprise_install": "true",
                    }
                    if self.enterprise_id
                    else {}
                ),
            }
        )

    def command(self, text: str, *, user_id: str, team_id: str | None = None) -> HttpResult:
        return self.post(
            self.command_body(text, user_id=user_id, team_id=team_id),
            content_type="application/x-www-form-urlencoded",
        )

    def click(
        self,
        *,
        action_id: str,
        value: str,
        user_id: str,
        channel_id: str | None,
        message_ts: str | None,
        user_team_id: str | None = None,
        team_id: str | None = None,
        container_type: str = "message",
    ) -> HttpResult:
        body = self.click_body(
            action_id=action_id,
            value=value,
            user_id=user_id,
            channel_id=channel_id,
            message_ts=message_ts,
            user_team_id=user_team_id,
            team_id=team_id,
            container_type=container_type,
        )
        return self.post(body, content_type="application/x-www-form-urlencoded")

    def click_body(
        self,
        *,
        action_id: str,
        value: str,
        user_id: str,
        channel_id: str | None,
        message_ts: str | None,
        user_team_id: str | None = None,
        team_id: str | None = None,
        container_type: str = "message",
    ) -> str:
        """A button's `block_actions` payload, form-encoded as Slack posts it."""
        own_team = user_team_id or self.user_team(user_id)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": team_id or own_team, "domain": "vendor"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": own_team},
            "api_app_id": "A0APP",
            "token": "legacy-verification-token",
            "trigger_id": self.new_trigger_id(),
            "response_url": self.new_response_url(),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "checkin",
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if self.enterprise_id:
            payload["enterprise"] = {"id": self.enterprise_id, "name": f"{self.enterprise_id} Grid"}
            payload["is_enterprise_install"] = True
        if container_type == "message":
            payload["container"] = {"type": "message", "message_ts": message_ts, "channel_id": channel_id}
            payload["channel"] = {"id": channel_id, "name": "directmessage"}
            payload["message"] = {"type": "message", "ts": message_ts, "text": "check-in"}
        else:
            payload["container"] = {"type": "view", "view_id": "V0HOME"}
            payload["view"] = {
                "id": "V0HOME",
                "type": "home",
                "team_id": own_team,
                "app_installed_team_id": self.team_id,
            }
        return urllib.parse.urlencode({"payload": json.dumps(payload)})

    def select_user(
        self,
        *,
        action_id: str,
        block_id: str,
        selected_user: str,
        user_id: str,
        channel_id: str,
        message_ts: str,
    ) -> HttpResult:
        """A `users_select` choice in a message (a section's accessory), as Slack sends it."""
        own_team = self.user_team(user_id)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": own_team, "domain": "vendor"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": own_team},
            "api_app_id": "A0APP",
            "token": "legacy-verification-token",
            "trigger_id": self.new_trigger_id(),
            "response_url": self.new_response_url(),
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id},
            "channel": {"id": channel_id, "name": "directmessage"},
            "message": {"type": "message", "ts": message_ts, "text": "hand-over"},
            "actions": [
                {
                    "type": "users_select",
                    "action_id": action_id,
                    "block_id": block_id,
                    "selected_user": selected_user,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, content_type="application/x-www-form-urlencoded")

    def submit_view(
        self, *, callback_id: str, values: dict[str, Any], user_id: str, private_metadata: str = ""
    ) -> HttpResult:
        """A `view_submission`: `values` maps block_id to the input's state, as Slack nests it."""
        own_team = self.user_team(user_id)
        payload = {
            "type": "view_submission",
            "team": {"id": own_team, "domain": "vendor"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": own_team},
            "api_app_id": "A0APP",
            "token": "legacy-verification-token",
            "trigger_id": self.new_trigger_id(),
            "view": {
                "id": "V0FORM",
                "team_id": own_team,
                "app_installed_team_id": self.team_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": {block_id: {"value": state} for block_id, state in values.items()}},
            },
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, content_type="application/x-www-form-urlencoded")

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> HttpResult:
        actor = event.get("user")
        own_team = self.user_team(actor) if isinstance(actor, str) else self.team_id
        if isinstance(actor, str) and own_team != self.team_id:
            event = {**event, "user_team": own_team, "source_team": own_team}
        envelope = {
            "token": "legacy-verification-token",
            "team_id": own_team,
            "api_app_id": "A0APP",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": "UBOT", "is_bot": True}],
            "is_ext_shared_channel": own_team != self.team_id,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(envelope), content_type="application/json", extra_headers=headers)

    def member_left_channel(self, *, user_id: str, channel: str, channel_type: str = "C") -> HttpResult:
        """Someone left a channel (`member_left_channel`): `team` is their own organisation's."""
        return self.event(
            {
                "type": "member_left_channel",
                "user": user_id,
                "channel": channel,
                "channel_type": channel_type,
                "team": self.user_team(user_id),
                "event_ts": f"{time.time():.6f}",
            }
        )

    def user_change(self, user: dict[str, Any]) -> HttpResult:
        """A person's profile changed (`user_change`); a deactivation has `deleted: true`."""
        return self.event(
            {
                "type": "user_change",
                "user": user,
                "cache_ts": int(time.time()),
                "event_ts": f"{time.time():.6f}",
            }
        )

    def channel_message(
        self,
        text: str,
        *,
        user_id: str,
        channel: str,
        thread_ts: str | None = None,
        channel_type: str = "channel",
        event_id: str | None = None,
        retry_num: int | None = None,
        ts: str | None = None,
    ) -> HttpResult:
        """A person's message in a channel (`message.channels`, or `message.groups` for a private one),
        as Slack sends it: their own team in `team`, and `thread_ts` when it is a reply in a thread."""
        return self.event(
            self.channel_event("message", text, user_id=user_id, channel=channel, thread_ts=thread_ts, ts=ts)
            | {"channel_type": channel_type},
            event_id=event_id,
            retry_num=retry_num,
        )

    def mention(
        self,
        text: str,
        *,
        user_id: str,
        channel: str,
        thread_ts: str | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
        ts: str | None = None,
    ) -> HttpResult:
        """An `app_mention`: a message naming the bot (`<@UBOT> done #12`)."""
        return self.event(
            self.channel_event(
                "app_mention", text, user_id=user_id, channel=channel, thread_ts=thread_ts, ts=ts
            ),
            event_id=event_id,
            retry_num=retry_num,
        )

    def channel_event(
        self,
        kind: str,
        text: str,
        *,
        user_id: str,
        channel: str,
        thread_ts: str | None = None,
        ts: str | None = None,
    ) -> dict[str, Any]:
        ts = ts or f"{int(time.time())}.{next(_message_ids):06d}"
        event: dict[str, Any] = {
            "type": kind,
            "user": user_id,
            "text": text,
            "ts": ts,
            "channel": channel,
            "team": self.user_team(user_id),
            "event_ts": ts,
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return event
