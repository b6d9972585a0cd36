from __future__ import annotations

from slack_bolt import App

from bot.forms import ACCOUNT_FORM, COMMIT_FORM, NOTE_FORM
from handlers.deps import Deps, bind
from handlers.views.forms import ack_form, run_form
from handlers.views.note import ack_note, record_note


def register(app: App, deps: Deps) -> None:
    for callback_id in (ACCOUNT_FORM, COMMIT_FORM):
        app.view(callback_id)(ack=bind(ack_form, deps), lazy=[bind(run_form, deps)])
    app.view(NOTE_FORM)(ack=bind(ack_note, deps), lazy=[bind(record_note, deps)])
