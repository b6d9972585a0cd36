"""The CSM's hand-over DM: who left, a user picker per commitment waiting for a new owner, and one for
the new champion; redrawn as each is handed on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)

from bot.slack.mrkdwn import command_word, escape

if TYPE_CHECKING:
    from bot.people.handover import HandoverView

HAND_OVER_COMMITMENT = "handover_commitment"
HAND_OVER_CHAMPION = "handover_champion"
# A message holds 50 blocks: the header, the champion, the footer and the handed-on list leave this many.
MAX_PICKERS = 40
MAX_ACTION_SHOWN = 150


def commitment_block_id(handover_id: int, commitment_id: int) -> str:
    return f"handover:{handover_id}:{commitment_id}"


def champion_block_id(handover_id: int) -> str:
    return f"handover:{handover_id}:champion"


def parse_block_id(block_id: str) -> tuple[int, int | None] | None:
    """(hand-over ID, commitment ID or None for the champion) from a picker's block, or None."""
    parts = block_id.split(":")
    if len(parts) != 3 or parts[0] != "handover" or not parts[1].isdigit():
        return None
    if parts[2] == "champion":
        return int(parts[1]), None
    return (int(parts[1]), int(parts[2])) if parts[2].isdigit() else None


def _headline(view: HandoverView) -> str:
    who = f"<@{view.person_user_id}>"
    if view.reason == "left_channel":
        return f"*{escape(view.account)}*: {who} left <#{view.shared_channel_id}>."
    return f"*{escape(view.account)}*: {who}'s Slack account was deactivated."


def ask_text(view: HandoverView) -> str:
    """The notification and plain-text form of the DM."""
    if view.closed:
        return f"{_headline(view)} Everything they held there has a new owner."
    waiting = ", ".join(f"#{commitment_id}" for commitment_id, _side, _action in view.waiting)
    parts = [_headline(view)]
    if waiting:
        parts.append(f"Choose a new owner for {waiting}.")
    if view.needs_champion:
        parts.append("Choose the account's new champion.")
    return " ".join(parts)


def ask_blocks(view: HandoverView) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [SectionBlock(text=MarkdownTextObject(text=_headline(view))).to_dict()]
    if view.needs_champion:
        blocks.append(
            SectionBlock(
                block_id=champion_block_id(view.handover_id),
                text=MarkdownTextObject(
                    text="*New champion* — they agree to the plan afresh before the customer's check-ins resume."
                ),
                accessory=UserSelectElement(
                    action_id=HAND_OVER_CHAMPION, placeholder=PlainTextObject(text="Choose the new champion")
                ),
            ).to_dict()
        )
    for commitment_id, side, action in view.waiting[:MAX_PICKERS]:
        shown = action if len(action) <= MAX_ACTION_SHOWN else action[: MAX_ACTION_SHOWN - 1] + "…"
        blocks.append(
            SectionBlock(
                block_id=commitment_block_id(view.handover_id, commitment_id),
                text=MarkdownTextObject(text=f"*#{commitment_id}* · {side} side · “{escape(shown)}”"),
                accessory=UserSelectElement(
                    action_id=HAND_OVER_COMMITMENT, placeholder=PlainTextObject(text="Hand over to…")
                ),
            ).to_dict()
        )
    handed = [f"#{commitment_id} → <@{owner}>" for commitment_id, owner in view.handed]
    notes: list[str] = []
    if handed:
        notes.append("Handed over: " + ", ".join(handed))
    if len(view.waiting) > MAX_PICKERS:
        notes.append(
            f"{len(view.waiting) - MAX_PICKERS} more wait; hand them all at once with the command below."
        )
    if view.closed:
        notes.append("Everything they held here has a new owner.")
    else:
        notes.append(
            f"Or all at once: `/accountability handover <@{view.person_user_id}> @new-owner {command_word(view.account)}`. "
            "Until then no check-ins go to them and nothing counts against anyone."
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text="\n".join(notes))]).to_dict())
    return blocks
