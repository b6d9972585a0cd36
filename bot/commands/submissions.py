"""A submitted modal (account, commitment or autopsy form) read once, whichever form it is.

Kept apart from `forms` because the autopsy reader lives with escalations, which import `forms`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.commands.forms import read_form
from bot.commands.parsed import Command
from bot.escalation.autopsy import AUTOPSY_FORM, AutopsyInput
from bot.escalation.handling import read_autopsy_submission
from bot.slack.modals import FieldProblem


def read_submission(
    sessions: sessionmaker[Session], view: dict[str, Any], *, today: date
) -> Command | AutopsyInput | FieldProblem:
    if view["callback_id"] == AUTOPSY_FORM:
        return read_autopsy_submission(sessions, view, today=today)
    return read_form(view["callback_id"], view["state"]["values"], today=today)
