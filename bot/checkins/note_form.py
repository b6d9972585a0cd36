"""The short note behind Partly / Blocked / Not yet, asked for in a modal before the answer is recorded."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, Option, PlainTextInputElement, StaticSelectElement

from bot.checkins.message import truncate
from bot.dependencies.naming import MAX_BLOCKERS, NOT_ON_PLAN
from bot.slack.modals import VALUE, FormError, field_value, modal
from models import Answer

NOTE_FORM = "checkin_note_form"
MAX_NOTE = 500


OPTION_TEXT = 75  # Slack's limit on an option's text


def _blocked_by(blockers: tuple[tuple[int, str], ...]) -> InputBlock:
    """Which of the other side's commitments held it up, or something not on the plan (optional)."""
    options = [
        Option(value=str(cid), text=truncate(label, OPTION_TEXT)) for cid, label in blockers[:MAX_BLOCKERS]
    ]
    options.append(Option(value=NOT_ON_PLAN, text="Something not on the plan"))
    return InputBlock(
        block_id="blocked_by",
        label="Blocked by (optional)",
        optional=True,
        hint="Naming the other side's commitment counts this against that side and tells its owner.",
        element=StaticSelectElement(
            action_id=VALUE, placeholder="Pick what is holding it up", options=options
        ),
    )


def note_form(
    *, checkin_id: int, answer: Answer, action: str, blockers: tuple[tuple[int, str], ...] = ()
) -> dict[str, Any]:
    """The short note behind Partly / Blocked / Not yet; asked for when blocked, since a blocker is news.
    Blocked also offers what held it up: the other side's open commitments (`blockers`)."""
    required = answer is Answer.BLOCKED
    label = {
        Answer.BLOCKED: "What is blocking it?",
        Answer.PARTLY: "What is done, and what is left? (optional)",
        Answer.NOT_YET: "Anything in the way? (optional)",
    }.get(answer, "Note (optional)")
    blocks: list[Block] = [
        InputBlock(
            block_id="note",
            label=label,
            optional=not required,
            hint=truncate(f"For: {action}", 150),
            element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=MAX_NOTE),
        )
    ]
    if required:
        blocks.append(_blocked_by(blockers))
    return modal(
        callback_id=NOTE_FORM,
        title={Answer.BLOCKED: "Blocked", Answer.PARTLY: "Partly done", Answer.NOT_YET: "Not yet"}.get(
            answer, "Note"
        ),
        submit="Record",
        private_metadata=json.dumps({"checkin_id": checkin_id, "answer": answer.value}),
        blocks=blocks,
    )


def read_note_form(view: dict[str, Any]) -> tuple[int, Answer, str | None, str | None]:
    """(check-in, answer, note, blocked by): the last a commitment id, NOT_ON_PLAN or None."""
    meta = json.loads(view.get("private_metadata") or "{}")
    answer = Answer(meta["answer"])
    note = field_value(view["state"]["values"], "note")
    if answer is Answer.BLOCKED and not note:
        raise FormError(
            "note", "Please say in a few words what is blocking it, so the right person can help."
        )
    if note is not None and len(note) > MAX_NOTE:
        raise FormError("note", f"A note can be at most {MAX_NOTE} characters.")
    blocked_by = field_value(view["state"]["values"], "blocked_by") if answer is Answer.BLOCKED else None
    return int(meta["checkin_id"]), answer, note, blocked_by
