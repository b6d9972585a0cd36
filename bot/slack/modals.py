"""Block Kit modal pieces shared by every form: the input blocks, the view, and reading a value back.

Every input's element uses the same action_id, so a submitted value is found by its block alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    InputInteractiveElement,
    PlainTextInputElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.errors import Refusal
from bot.slack.mrkdwn import clean

VALUE = "value"
CHANNEL_FILTER = ConversationFilter(include=["public", "private"], exclude_bot_users=True)


class FormError(Refusal):
    """A field to flag in the modal, with what is wrong; Slack shows it under that field."""

    def __init__(self, block_id: str, problem: str) -> None:
        super().__init__(problem)
        self.block_id = block_id
        self.problem = problem


@dataclass(frozen=True)
class FieldProblem:
    """A submission that cannot be read, kept as data so it travels with the request to the work after
    the ack (which then leaves the modal open, showing it)."""

    block_id: str
    problem: str


def _input(
    block_id: str, label: str, element: InputInteractiveElement, *, optional: bool, hint: str | None
) -> InputBlock:
    return InputBlock(block_id=block_id, label=label, optional=optional, hint=hint, element=element)


def text_input(
    block_id: str,
    label: str,
    *,
    max_length: int,
    optional: bool = False,
    hint: str | None = None,
    multiline: bool = False,
) -> InputBlock:
    element = PlainTextInputElement(action_id=VALUE, max_length=max_length, multiline=multiline)
    return _input(block_id, label, element, optional=optional, hint=hint)


def channel_input(
    block_id: str, label: str, *, optional: bool = False, hint: str | None = None
) -> InputBlock:
    element = ConversationSelectElement(action_id=VALUE, filter=CHANNEL_FILTER)
    return _input(block_id, label, element, optional=optional, hint=hint)


def user_input(block_id: str, label: str, *, optional: bool = False, hint: str | None = None) -> InputBlock:
    return _input(block_id, label, UserSelectElement(action_id=VALUE), optional=optional, hint=hint)


def modal(
    *,
    callback_id: str,
    title: str,
    blocks: list[Block],
    submit: str = "Save",
    private_metadata: str | None = None,
) -> dict[str, Any]:
    """The view as Slack takes it; `to_dict` checks Slack's limits (titles, lengths) on the way."""
    view = View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close="Cancel",
        private_metadata=private_metadata,
        blocks=blocks,
    )
    result = view.to_dict()
    assert isinstance(result, dict)
    return result


def field_value(values: dict[str, Any], block_id: str) -> str | None:
    """A submitted field's value, whatever the element (text, user, channel, time or a static select)."""
    state = (values.get(block_id) or {}).get(VALUE) or {}
    for key in ("value", "selected_user", "selected_conversation", "selected_channel", "selected_time"):
        if state.get(key):
            return clean(str(state[key])).strip() or None
    option = state.get("selected_option")
    return str(option["value"]) if option else None
