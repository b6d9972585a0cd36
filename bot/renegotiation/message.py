"""Block Kit for proposals: the question put to the other side (Accept / Decline), its answered form,
the form to propose, and the note behind a Decline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.checkins.message import SECTION_LIMIT, truncate
from bot.slack.modals import FormError, field_value, modal, text_input
from bot.slack.mrkdwn import escape

ACCEPT = "proposal_accept"
DECLINE = "proposal_decline"
PROPOSE_FORM = "proposal_form"
DECLINE_FORM = "proposal_decline_form"


@dataclass(frozen=True)
class QuestionView:
    """Everything the question shows; built from the proposal and its commitment."""

    proposal_id: int
    account_name: str
    commitment_label: str
    side: str
    action: str
    owner_user_id: str
    proposed_by: str
    proposer_side: str
    old_schedule: str
    new_schedule: str
    reason: str
    addressed_to: str  # mentioned: the CSM, the manager, or the champion in the shared channel
    state: str = "open"
    answered_by: str | None = None
    answer_note: str | None = None


def question_text(view: QuestionView) -> str:
    return truncate(
        f"<@{view.addressed_to}> <@{view.proposed_by}> proposes moving {view.commitment_label} "
        f"“{escape(view.action)}” ({escape(view.account_name)}) to {escape(view.new_schedule)}. Accept or decline?",
        3900,
    )


def question_blocks(view: QuestionView) -> list[dict[str, Any]]:
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(
                    f"<@{view.addressed_to}> — *a new date is proposed* · *{escape(view.account_name)}* · "
                    f"{view.commitment_label} · {view.side} side\n*{escape(view.action)}* (owner <@{view.owner_user_id}>)\n"
                    f"From: {escape(view.old_schedule)}\nTo: *{escape(view.new_schedule)}*\n"
                    f"_Why:_ {escape(view.reason)}",
                    SECTION_LIMIT,
                )
            )
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Proposed by <@{view.proposed_by}> ({view.proposer_side} side). If it is accepted, "
                    "the check-in it replaces counts for neither side; unanswered for two working days, the "
                    "original date stands."
                )
            ]
        ),
    ]
    if view.state == "open":
        blocks.append(
            ActionsBlock(
                block_id=f"proposal:{view.proposal_id}",
                elements=[
                    ButtonElement(
                        text="Accept", action_id=ACCEPT, value=str(view.proposal_id), style="primary"
                    ),
                    ButtonElement(text="Decline", action_id=DECLINE, value=str(view.proposal_id)),
                ],
            )
        )
    else:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=truncate(outcome_words(view), SECTION_LIMIT)))
        )
    return [block.to_dict() for block in blocks]


def outcome_words(view: QuestionView) -> str:
    if view.state == "accepted":
        return f"✅ *Accepted* by <@{view.answered_by}>. The new schedule applies from now on."
    if view.state == "declined":
        note = f"\n> {escape(view.answer_note)}" if view.answer_note else ""
        return f"✋ *Declined* by <@{view.answered_by}>. The original date stands.{note}"
    return "⌛ *Lapsed* — not answered within two working days. The original date stands."


def propose_value(*, checkin_id: int | None, commitment_id: int | None) -> str:
    """The Propose button's value: from a check-in, or from a commitment in the App Home."""
    return f"checkin:{checkin_id}" if checkin_id is not None else f"commitment:{commitment_id}"


def read_propose_value(value: str) -> tuple[str, int] | None:
    kind, _, number = value.partition(":")
    if kind in ("checkin", "commitment") and number.isdigit():
        return kind, int(number)
    return None


def propose_form(
    *,
    commitment_id: int,
    checkin_id: int | None,
    action: str,
    current: str,
    by_date: bool,
    origin: str | None,
) -> dict[str, Any]:
    label = "New date" if by_date else "New schedule"
    hint = (
        "For example: dec 15 · 2026-12-15 · next friday — add `at 14:00` to change the time."
        if by_date
        else "For example: every monday · every 2 weeks on friday — add `at 10:00` to change the time."
    )
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(f"*{escape(action)}*\nNow: {escape(current)}", SECTION_LIMIT)
            )
        ),
        text_input("new", label, max_length=100, hint=hint),
        text_input(
            "reason",
            "Why should it move?",
            max_length=300,
            multiline=True,
            hint="The other side reads this before they accept or decline.",
        ),
    ]
    return modal(
        callback_id=PROPOSE_FORM,
        title="Propose a new date",
        submit="Propose",
        private_metadata=json.dumps(
            {"commitment_id": commitment_id, "checkin_id": checkin_id, "by_date": by_date, "origin": origin}
        ),
        blocks=blocks,
    )


@dataclass(frozen=True)
class ProposeInput:
    commitment_id: int
    checkin_id: int | None
    by_date: bool
    new: str
    reason: str
    origin: str | None  # the channel the Propose button was in, to answer there


def read_propose_form(view: dict[str, Any]) -> ProposeInput:
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view["state"]["values"]
    new = (field_value(values, "new") or "").strip()
    reason = (field_value(values, "reason") or "").strip()
    if not new:
        raise FormError("new", "Give the new date or schedule.")
    if not reason:
        raise FormError("reason", "Say why it should move: the other side reads this before answering.")
    return ProposeInput(
        commitment_id=int(meta["commitment_id"]),
        checkin_id=int(meta["checkin_id"]) if meta.get("checkin_id") else None,
        by_date=bool(meta.get("by_date")),
        new=new,
        reason=reason,
        origin=meta.get("origin"),
    )


def decline_form(*, proposal_id: int, action: str, origin: str | None) -> dict[str, Any]:
    return modal(
        callback_id=DECLINE_FORM,
        title="Decline the new date",
        submit="Decline",
        private_metadata=json.dumps({"proposal_id": proposal_id, "origin": origin}),
        blocks=[
            text_input(
                "note",
                "Why not? (the proposer reads this)",
                max_length=500,
                multiline=True,
                hint=truncate(f"For: {action}", 150),
            )
        ],
    )


def read_decline_form(view: dict[str, Any]) -> tuple[int, str, str | None]:
    meta = json.loads(view.get("private_metadata") or "{}")
    note = (field_value(view["state"]["values"], "note") or "").strip()
    if not note:
        raise FormError("note", "Please say in a few words why the original date should stand.")
    return int(meta["proposal_id"]), note, meta.get("origin")
