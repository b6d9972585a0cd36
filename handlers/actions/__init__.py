from __future__ import annotations

import re

from slack_bolt import App

from bot.agreements import AGREE, DISCUSS
from bot.checkin_message import ACTION_PREFIX
from bot.diary_pages import PAGE_ACTION
from bot.escalation_message import ACK, AUTOPSY, RESOLVE
from handlers.actions.agreement import ack_agreement, record_agreement
from handlers.actions.checkin import ack_answer, record_answer
from handlers.actions.diary import ack_page, turn_page
from handlers.actions.escalation import ack_escalation, on_escalation
from handlers.deps import Deps, bind


def register(app: App, deps: Deps) -> None:
    app.action(re.compile(f"^{ACTION_PREFIX}"))(ack=bind(ack_answer, deps), lazy=[bind(record_answer, deps)])
    for action_id in (AGREE, DISCUSS):
        app.action(action_id)(ack=ack_agreement, lazy=[bind(record_agreement, deps)])
    app.action(re.compile(f"^{PAGE_ACTION}_"))(ack=ack_page, lazy=[bind(turn_page, deps)])
    for action_id in (ACK, RESOLVE, AUTOPSY):
        app.action(action_id)(ack=bind(ack_escalation, deps), lazy=[bind(on_escalation, deps)])
