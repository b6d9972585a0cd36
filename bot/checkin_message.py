"""Block Kit for the check-in DM, built with slack_sdk's models so Slack's limits are checked here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from models import Answer

SECTION_LIMIT = 3000
ACTION_PREFIX = "checkin_answer_"

ANSWER_LABELS: dict[Answer, str] = {
    Answer.DONE: "Done",
    Answer.PARTLY: "Partly",
    Answer.BLOCKED: "Blocked",
    Answer.NOT_YET: "Not yet",
    Answer.SNOOZED: "Snoozed",
}
ANSWER_MARKS: dict[Answer, str] = {
    Answer.DONE: "✅",
    Answer.PARTLY: "◐",
    Answer.BLOCKED: "⛔",
    Answer.NOT_YET: "⏳",
    Answer.SNOOZED: "💤",
}
BUTTONS: tuple[Answer, ...] = (Answer.DONE, Answer.PARTLY, Answer.BLOCKED, Answer.NOT_YET)


@dataclass(frozen=True)
class CheckInView:
    """Everything the DM shows, already in the owner's zone; built by `bot.checkins`."""

    checkin_id: int
    commitment_label: str
    account_name: str
    desired_outcome: str | None
    action: str
    side: str
    owner_user_id: str
    scheduled_local: datetime
    answer: Answer | None = None
    answered_by: str | None = None
    answered_local: datetime | None = None
    note: str | None = None


def truncate(text: str, limit: int) -> str:
    """Cut cleanly with an ellipsis rather than let Slack refuse the whole message."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def action_id_for(answer: Answer) -> str:
    return f"{ACTION_PREFIX}{answer.value}"


def answer_from_action_id(action_id: str) -> Answer | None:
    if not action_id.startswith(ACTION_PREFIX):
        return None
    try:
        return Answer(action_id[len(ACTION_PREFIX) :])
    except ValueError:
        return None


def question_text(view: CheckInView) -> str:
    """The notification text: readable on its own, since notifications show `text`, not blocks."""
    return truncate(
        f"Check-in for {view.account_name} ({view.commitment_label}): did you “{view.action}”? "
        f"Due {view.scheduled_local:%a %d %b %H:%M}.",
        SECTION_LIMIT,
    )


def _header(view: CheckInView) -> list[Block]:
    why = f"\n_Why it matters:_ {view.desired_outcome}" if view.desired_outcome else ""
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(
                    f"*{view.account_name}* · {view.commitment_label} · {view.side} side\n"
                    f"Did you *{view.action}*?{why}",
                    SECTION_LIMIT,
                )
            )
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(text=f"Check-in of {view.scheduled_local:%A %d %B, %H:%M} (your time)")
            ]
        ),
    ]


def question_blocks(view: CheckInView) -> list[dict[str, Any]]:
    buttons = [
        ButtonElement(
            text=ANSWER_LABELS[answer],
            action_id=action_id_for(answer),
            value=str(view.checkin_id),
            style="primary" if answer is Answer.DONE else None,
        )
        for answer in BUTTONS
    ]
    blocks = [*_header(view), ActionsBlock(block_id=f"checkin:{view.checkin_id}", elements=buttons)]
    return [block.to_dict() for block in blocks]


def answered_text(view: CheckInView) -> str:
    assert view.answer is not None and view.answered_local is not None
    return truncate(
        f"{ANSWER_MARKS[view.answer]} {ANSWER_LABELS[view.answer]} — “{view.action}” ({view.account_name}, "
        f"{view.commitment_label}), answered by <@{view.answered_by}> on {view.answered_local:%a %d %b %H:%M}.",
        SECTION_LIMIT,
    )


def answered_blocks(view: CheckInView) -> list[dict[str, Any]]:
    """The DM after an answer: the question, the answer, who and when, and no buttons left to press."""
    assert view.answer is not None and view.answered_local is not None
    lines = (
        f"{ANSWER_MARKS[view.answer]} *{ANSWER_LABELS[view.answer]}* — answered by <@{view.answered_by}> "
        f"on {view.answered_local:%a %d %b, %H:%M}. Recorded in the accountability diary."
    )
    if view.note:
        lines += f"\n> {view.note}"
    blocks = [*_header(view), SectionBlock(text=MarkdownTextObject(text=truncate(lines, SECTION_LIMIT)))]
    return [block.to_dict() for block in blocks]
