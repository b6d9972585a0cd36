from __future__ import annotations

from slack_bolt import App

from bot.checkins.note_form import NOTE_FORM
from bot.commands.forms import ACCOUNT_FORM, COMMIT_FORM
from bot.escalation.autopsy import AUTOPSY_FORM, RESOLVE_FORM
from bot.escalation.handling import CLEAR_RISK_FORM
from bot.people.away_form import AWAY_FORM
from bot.renegotiation.message import DECLINE_FORM, PROPOSE_FORM
from bot.review.message import UNSURE_FORM
from handlers.deps import Deps, bind
from handlers.views.away import on_away_form
from handlers.views.escalation import on_clear_risk, on_resolve
from handlers.views.forms import ack_form, read_once, run_form
from handlers.views.note import on_note
from handlers.views.proposal import on_decline_form, on_propose_form
from handlers.views.review import on_review_note


def register(app: App, deps: Deps) -> None:
    for callback_id in (ACCOUNT_FORM, COMMIT_FORM, AUTOPSY_FORM):
        app.view(callback_id, middleware=[bind(read_once, deps)])(ack=ack_form, lazy=[bind(run_form, deps)])
    app.view(NOTE_FORM)(bind(on_note, deps))
    app.view(RESOLVE_FORM)(bind(on_resolve, deps))
    app.view(CLEAR_RISK_FORM)(bind(on_clear_risk, deps))
    app.view(UNSURE_FORM)(bind(on_review_note, deps))
    app.view(PROPOSE_FORM)(bind(on_propose_form, deps))
    app.view(DECLINE_FORM)(bind(on_decline_form, deps))
    app.view(AWAY_FORM)(bind(on_away_form, deps))
