"""The floor for ack latency: a Bolt app that only acknowledges, served by the Procfile's `web:` line.

It answers the same slash command, actions and views as the product, with nothing else: no database,
no Slack call after the ack. `bench/acks.py` runs it beside the product in the same run.
"""

from __future__ import annotations

import os
import re
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def just_ack(ack: Ack) -> None:
    ack()


def wsgi() -> Any:
    app = App(
        client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        token_verification_enabled=False,
    )
    app.command("/accountability")(just_ack)
    app.action(re.compile(".*"))(just_ack)
    app.view(re.compile(".*"))(just_ack)
    handler = SlackRequestHandler(app)

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return handler(environ, start_response)

    return serve
