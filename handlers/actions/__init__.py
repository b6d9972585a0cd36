from __future__ import annotations

import re

from slack_bolt import App

from bot.checkin_message import ACTION_PREFIX
from handlers.actions.checkin import ack_answer, record_answer
from handlers.deps import Deps, bind


def register(app: App, deps: Deps) -> None:
    app.action(re.compile(f"^{ACTION_PREFIX}"))(ack=ack_answer, lazy=[bind(record_answer, deps)])
