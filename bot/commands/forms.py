"""The modal forms for people who would rather not learn the grammar: `account add` and `commit` with no
arguments. Submitted values are read into the same typed commands the grammar produces, and checked by
the same rules, so a form and a typed command can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, time
from typing import Any

from slack_sdk.models.blocks import (
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.checkins.message import truncate
from bot.checkins.recurrence import (
    DATE_FORMS,
    RECURRENCE_FORMS,
    ScheduleError,
    parse_due_date,
    parse_recurrence,
)
from bot.checkins.schedule import known_holiday_country
from bot.commands.grammar import (
    MAX_ACCOUNT_NAME,
    MAX_ACTION,
    MAX_OUTCOME,
    AccountAdd,
    Command,
    CommandError,
    Commit,
    account_name,
)
from bot.slack.mrkdwn import clean
from models import Answer, Side

ACCOUNT_FORM = "account_add_form"
COMMIT_FORM = "commit_form"
VALUE = "value"
CHANNEL_FILTER = ConversationFilter(include=["public", "private"], exclude_bot_users=True)


class FormError(CommandError):
    """A field to flag in the modal, with what is wrong; Slack shows it under that field."""

    def __init__(self, block_id: str, message: str) -> None:
        super().__init__(message)
        self.block_id = block_id


def _text(
    block_id: str,
    label: str,
    *,
    max_length: int,
    optional: bool = False,
    hint: str | None = None,
    multiline: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint,
        element=PlainTextInputElement(action_id=VALUE, max_length=max_length, multiline=multiline),
    )


def _channel(block_id: str, label: str, *, optional: bool = False, hint: str | None = None) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint,
        element=ConversationSelectElement(action_id=VALUE, filter=CHANNEL_FILTER),
    )


def _user(block_id: str, label: str, *, optional: bool = False, hint: str | None = None) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint,
        element=UserSelectElement(action_id=VALUE),
    )


def account_form() -> dict[str, Any]:
    blocks = [
        _text("name", "Account name", max_length=MAX_ACCOUNT_NAME),
        _channel("channel", "Shared channel (the diary)", hint="The channel shared with the customer."),
        _channel(
            "escalations", "Escalation channel", hint="The vendor's own channel; customers don't see it."
        ),
        _user("champion", "Customer champion"),
        _user("csm", "CSM", optional=True, hint="Leave empty to be the CSM yourself."),
        _user("manager", "Manager", optional=True, hint="Mentioned when an escalation is raised."),
        _channel("digest", "Digest channel", optional=True),
        _text("outcome", "Desired Outcome", max_length=MAX_OUTCOME, optional=True, multiline=True),
        _text(
            "holidays",
            "Holiday calendar",
            max_length=3,
            optional=True,
            hint="A country code such as US, DE or GB.",
        ),
    ]
    return _view(ACCOUNT_FORM, "New account", blocks)


def commit_form() -> dict[str, Any]:
    sides = [Option(value=side.value, text=side.value.capitalize()) for side in Side]
    blocks = [
        _text("account", "Account", max_length=MAX_ACCOUNT_NAME),
        InputBlock(
            block_id="side", label="Side", element=StaticSelectElement(action_id=VALUE, options=sides)
        ),
        _user("owner", "Owner"),
        _text("action", "Agreed action", max_length=MAX_ACTION),
        _text("schedule", "When", max_length=200, hint=f"{RECURRENCE_FORMS} — or by a date: {DATE_FORMS}"),
        InputBlock(
            block_id="at",
            label="Check-in time (owner's time zone)",
            optional=True,
            element=TimePickerElement(action_id=VALUE, initial_time="09:00"),
        ),
    ]
    return _view(COMMIT_FORM, "New commitment", blocks)


def _view(callback_id: str, title: str, blocks: list[InputBlock]) -> dict[str, Any]:
    view = View(
        type="modal", callback_id=callback_id, title=title, submit="Save", close="Cancel", blocks=blocks
    )
    result = view.to_dict()
    assert isinstance(result, dict)
    return result


def field_value(values: dict[str, Any], block_id: str) -> str | None:
    state = (values.get(block_id) or {}).get(VALUE) or {}
    for key in ("value", "selected_user", "selected_conversation", "selected_channel", "selected_time"):
        if state.get(key):
            return clean(str(state[key])).strip() or None
    option = state.get("selected_option")
    return str(option["value"]) if option else None


def _required(values: dict[str, Any], block_id: str, what: str) -> str:
    value = field_value(values, block_id)
    if value is None:
        raise FormError(block_id, f"Please fill in {what}.")
    return value


def read_account_form(values: dict[str, Any]) -> AccountAdd:
    try:
        name = account_name(_required(values, "name", "the account name"), "")
    except CommandError as exc:
        raise FormError("name", exc.problem) from exc
    channel = _required(values, "channel", "the shared channel")
    escalations = _required(values, "escalations", "the escalation channel")
    if channel == escalations:
        raise FormError(
            "escalations", "Pick a different channel from the shared one: customers read the shared channel."
        )
    country = field_value(values, "holidays")
    if country is not None:
        country = country.upper()
        if not known_holiday_country(country):
            raise FormError("holidays", f"{country} is not a known country code (e.g. US, DE, GB).")
    return AccountAdd(
        name=name,
        shared_channel_id=channel,
        escalation_channel_id=escalations,
        champion_user_id=_required(values, "champion", "the customer champion"),
        csm_user_id=field_value(values, "csm"),
        manager_user_id=field_value(values, "manager"),
        digest_channel_id=field_value(values, "digest"),
        desired_outcome=field_value(values, "outcome"),
        holiday_country=country,
    )


def read_commit_form(values: dict[str, Any], *, today: date) -> Commit:
    try:
        name = account_name(_required(values, "account", "the account"), "")
    except CommandError as exc:
        raise FormError("account", exc.problem) from exc
    side = Side(_required(values, "side", "the side"))
    owner = _required(values, "owner", "the owner")
    action = _required(values, "action", "the agreed action")
    at_text = field_value(values, "at") or "09:00"
    at = time.fromisoformat(at_text)
    phrase = _required(values, "schedule", "when")
    try:
        if phrase.lower().startswith("by "):
            return Commit(name, side, owner, action, at, due_on=parse_due_date(phrase[3:], today=today))
        return Commit(name, side, owner, action, at, recurrence=parse_recurrence(phrase))
    except ScheduleError as exc:
        raise FormError("schedule", str(exc)) from exc


FORMS: dict[str, Callable[[], dict[str, Any]]] = {"account_add": account_form, "commit": commit_form}


def reader(callback_id: str, values: dict[str, Any]) -> Callable[[date], Command]:
    """The form's values as a command, read against the submitter's own "today"."""
    if callback_id == ACCOUNT_FORM:
        return lambda _today: read_account_form(values)
    return lambda today: read_commit_form(values, today=today)


NOTE_FORM = "checkin_note_form"
MAX_NOTE = 500


def note_form(*, checkin_id: int, answer: Answer, action: str) -> dict[str, Any]:
    """The short note behind Partly / Blocked / Not yet; asked for when blocked, since a blocker is news."""
    required = answer is Answer.BLOCKED
    label = {
        Answer.BLOCKED: "What is blocking it?",
        Answer.PARTLY: "What is done, and what is left? (optional)",
        Answer.NOT_YET: "Anything in the way? (optional)",
    }.get(answer, "Note (optional)")
    blocks = [
        InputBlock(
            block_id="note",
            label=label,
            optional=not required,
            hint=truncate(f"For: {action}", 150),
            element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=MAX_NOTE),
        )
    ]
    view = View(
        type="modal",
        callback_id=NOTE_FORM,
        title={Answer.BLOCKED: "Blocked", Answer.PARTLY: "Partly done", Answer.NOT_YET: "Not yet"}.get(
            answer, "Note"
        ),
        submit="Record",
        close="Cancel",
        private_metadata=json.dumps({"checkin_id": checkin_id, "answer": answer.value}),
        blocks=blocks,
    )
    result = view.to_dict()
    assert isinstance(result, dict)
    return result


def read_note_form(view: dict[str, Any]) -> tuple[int, Answer, str | None]:
    meta = json.loads(view.get("private_metadata") or "{}")
    answer = Answer(meta["answer"])
    note = field_value(view["state"]["values"], "note")
    if answer is Answer.BLOCKED and not note:
        raise FormError(
            "note", "Please say in a few words what is blocking it, so the right person can help."
        )
    if note is not None and len(note) > MAX_NOTE:
        raise FormError("note", f"A note can be at most {MAX_NOTE} characters.")
    return int(meta["checkin_id"]), answer, note
