"""The short note behind Partly / Blocked / Not yet, asked for in a modal before the answer is recorded."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement

from bot.checkins.message import truncate
from bot.slack.modals import VALUE, FormError, field_value, modal
from models import Answer

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
    blocks: list[Block] = [
        InputBlock(
            block_id="note",
            label=label,
            optional=not required,
            hint=truncate(f"For: {action}", 150),
            element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=MAX_NOTE),
        )
    ]
    return modal(
        callback_id=NOTE_FORM,
        title={Answer.BLOCKED: "Blocked", Answer.PARTLY: "Partly done", Answer.NOT_YET: "Not yet"}.get(
            answer, "Note"
        ),
        submit="Record",
        private_metadata=json.dumps({"checkin_id": checkin_id, "answer": answer.value}),
        blocks=blocks,
    )


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
