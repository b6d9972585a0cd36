from __future__ import annotations

import re

from slack_bolt import App

from bot.accounts.plan_message import AGREE, DISCUSS
from bot.checkins.message import ACTION_PREFIX, CHANGE_ACTION, PROPOSE_ACTION
from bot.diary.pages import PAGE_ACTION
from bot.escalation.message import ACK, AUTOPSY, CLEAR_RISK, RESOLVE
from bot.escalation.signoff import SIGN_OFF
from bot.home import MARK_DONE
from bot.people.away_form import AWAY_BUTTON
from bot.people.handover_message import HAND_OVER_CHAMPION, HAND_OVER_COMMITMENT
from bot.renegotiation.message import ACCEPT, DECLINE
from bot.review.message import CONFIDENT, UNSURE
from handlers.actions.agreement import on_agreement
from handlers.actions.away import on_away_open
from handlers.actions.checkin import on_answer, on_change
from handlers.actions.commitment import on_mark_done
from handlers.actions.diary import ack_page, turn_page
from handlers.actions.escalation import on_escalation, on_sign_off
from handlers.actions.handover import on_handover_pick
from handlers.actions.proposal import on_proposal_answer, on_propose
from handlers.actions.review import on_review_answer
from handlers.deps import Deps, bind


def register(app: App, deps: Deps) -> None:
    # Not lazy: the answer is written before the ack (a lazy listener could start before it commits);
    # showing it is handed to `Deps.after_ack` once the write is done.
    app.action(re.compile(f"^{ACTION_PREFIX}"))(bind(on_answer, deps))
    app.action(CHANGE_ACTION)(bind(on_change, deps))
    app.action(MARK_DONE)(bind(on_mark_done, deps))
    for action_id in (AGREE, DISCUSS):
        app.action(action_id)(bind(on_agreement, deps))
    app.action(re.compile(f"^{PAGE_ACTION}_"))(ack=ack_page, lazy=[bind(turn_page, deps)])
    for action_id in (ACK, RESOLVE, AUTOPSY, CLEAR_RISK):
        app.action(action_id)(bind(on_escalation, deps))
    app.action(SIGN_OFF)(bind(on_sign_off, deps))
    for action_id in (CONFIDENT, UNSURE):
        app.action(action_id)(bind(on_review_answer, deps))
    app.action(PROPOSE_ACTION)(bind(on_propose, deps))
    for action_id in (ACCEPT, DECLINE):
        app.action(action_id)(bind(on_proposal_answer, deps))
    app.action(AWAY_BUTTON)(bind(on_away_open, deps))
    for action_id in (HAND_OVER_COMMITMENT, HAND_OVER_CHAMPION):
        app.action(action_id)(bind(on_handover_pick, deps))
