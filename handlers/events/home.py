"""Keep the App Home tab current whenever someone opens it."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.home import home_view
from bot.slack.gateway import SlackGateway
from handlers.deps import Deps


def publish_home(event: dict[str, Any], client: WebClient, *, deps: Deps) -> None:
    if event.get("tab", "home") != "home":
        return
    user_id = event["user"]
    view = home_view(deps.sessions, user_id=user_id, now=deps.clock())
    SlackGateway(client).publish_home(user_id=user_id, view=view)
