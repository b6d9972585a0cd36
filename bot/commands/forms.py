"""The modal forms for people who would rather not learn the grammar: `account add` and `commit` with no
arguments. Submitted values are read into the same typed commands the grammar produces, and checked by
the same rules, so a form and a typed command can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    StaticSelectElement,
    TimePickerElement,
)

from bot.accounts.commitments import MAX_ACTION, Commit
from bot.accounts.registry import MAX_OUTCOME, AccountAdd
from bot.checkins.recurrence import (
    DATE_FORMS,
    RECURRENCE_FORMS,
    ScheduleError,
    parse_due_date,
    parse_recurrence,
)
from bot.checkins.schedule import known_holiday_country
from bot.commands.parsed import Command
from bot.commands.tokens import MAX_ACCOUNT_NAME, CommandError, account_name, commitment_number
from bot.slack.modals import (
    VALUE,
    FieldProblem,
    FormError,
    channel_input,
    field_value,
    modal,
    text_input,
    user_input,
)
from models import Side

ACCOUNT_FORM = "account_add_form"
COMMIT_FORM = "commit_form"


def account_form() -> dict[str, Any]:
    blocks: list[Block] = [
        text_input("name", "Account name", max_length=MAX_ACCOUNT_NAME),
        channel_input("channel", "Shared channel (the diary)", hint="The channel shared with the customer."),
        channel_input(
            "escalations", "Escalation channel", hint="The vendor's own channel; customers don't see it."
        ),
        user_input("champion", "Customer champion"),
        user_input("csm", "CSM", optional=True, hint="Leave empty to be the CSM yourself."),
        user_input("manager", "Manager", optional=True, hint="Mentioned when an escalation is raised."),
        channel_input("digest", "Digest channel", optional=True),
        text_input("outcome", "Desired Outcome", max_length=MAX_OUTCOME, optional=True, multiline=True),
        text_input(
            "holidays",
            "Holiday calendar",
            max_length=3,
            optional=True,
            hint="A country code such as US, DE or GB.",
        ),
    ]
    return modal(callback_id=ACCOUNT_FORM, title="New account", blocks=blocks)


def commit_form() -> dict[str, Any]:
    sides = [Option(value=side.value, text=side.value.capitalize()) for side in Side]
    blocks: list[Block] = [
        text_input("account", "Account", max_length=MAX_ACCOUNT_NAME),
        InputBlock(
            block_id="side", label="Side", element=StaticSelectElement(action_id=VALUE, options=sides)
        ),
        user_input("owner", "Owner"),
        text_input("action", "Agreed action", max_length=MAX_ACTION),
        text_input(
            "schedule", "When", max_length=200, hint=f"{RECURRENCE_FORMS} — or by a date: {DATE_FORMS}"
        ),
        InputBlock(
            block_id="at",
            label="Check-in time (owner's time zone)",
            optional=True,
            element=TimePickerElement(action_id=VALUE, initial_time="09:00"),
        ),
        text_input(
            "after",
            "Waits on (optional)",
            max_length=12,
            optional=True,
            hint="Another commitment of this account that must come first, like #7.",
        ),
    ]
    return modal(callback_id=COMMIT_FORM, title="New commitment", blocks=blocks)


def _required(values: dict[str, Any], block_id: str, what: str) -> str:
    value = field_value(values, block_id)
    if value is None:
        raise FormError(block_id, f"Please fill in {what}.")
    return value


def _account_name(values: dict[str, Any], block_id: str, what: str) -> str:
    try:
        return account_name(_required(values, block_id, what), "")
    except CommandError as exc:
        raise FormError(block_id, exc.problem) from exc


def read_account_form(values: dict[str, Any]) -> AccountAdd:
    name = _account_name(values, "name", "the account name")
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
    name = _account_name(values, "account", "the account")
    side = Side(_required(values, "side", "the side"))
    owner = _required(values, "owner", "the owner")
    action = _required(values, "action", "the agreed action")
    at_text = field_value(values, "at") or "09:00"
    at = time.fromisoformat(at_text)
    phrase = _required(values, "schedule", "when")
    after_text = field_value(values, "after")
    try:
        after = commitment_number(after_text, "") if after_text else None
    except CommandError as exc:
        raise FormError("after", exc.problem) from exc
    try:
        if phrase.lower().startswith("by "):
            return Commit(
                name, side, owner, action, at, due_on=parse_due_date(phrase[3:], today=today), after=after
            )
        return Commit(name, side, owner, action, at, recurrence=parse_recurrence(phrase), after=after)
    except ScheduleError as exc:
        raise FormError("schedule", str(exc)) from exc


FORMS: dict[str, Callable[[], dict[str, Any]]] = {"account_add": account_form, "commit": commit_form}


def read_form(callback_id: str, values: dict[str, Any], *, today: date) -> Command | FieldProblem:
    """The submitted form as a command, read once against the submitter's own "today"."""
    try:
        if callback_id == ACCOUNT_FORM:
            return read_account_form(values)
        return read_commit_form(values, today=today)
    except FormError as exc:
        return FieldProblem(exc.block_id, exc.problem)
