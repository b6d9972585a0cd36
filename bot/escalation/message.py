"""Block Kit for an escalation post in the vendor's channel: the record, not an accusation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks.basic_components import MarkdownTextObject
from slack_sdk.models.blocks.block_elements import ButtonElement
from slack_sdk.models.blocks.blocks import ActionsBlock, Block, ContextBlock, HeaderBlock, SectionBlock

from bot.checkins.message import SECTION_LIMIT, truncate
from bot.slack.mrkdwn import escape

ACK = "escalation_ack"
RESOLVE = "escalation_resolve"
AUTOPSY = "escalation_autopsy"
CLEAR_RISK = "escalation_clear_risk"

KIND_TITLES = {
    "customer_slip": "Customer commitment slipping",
    "vendor_missed": "Vendor check-in missed",
    "vendor_overdue": "Vendor commitment overdue",
    "champion_unresponsive": "Champion unresponsive",
}


@dataclass(frozen=True)
class EscalationView:
    escalation_id: int
    kind: str
    level: int
    state: str
    account_name: str
    side: str
    summary: str  # the neutral sentence, e.g. "Two of the last four check-ins were missed."
    mentions: str  # who is called in, e.g. "<@U0CSM>" or "<@U0BOSS> (manager) and <@U0CSM>"
    owner_user_id: str | None = None
    action: str | None = None
    marks: str | None = None  # "✓ ✓ ✗ ✗", oldest first
    agreed: str | None = None
    last_note: str | None = None
    linked: str | None = None
    holding_up: str | None = None  # "Holding up: #12 “…” (customer, <@U…>)", already escaped
    acknowledged: str | None = None
    resolved: str | None = None
    at_risk: bool = False
    # "Third time at risk since June. Earlier autopsies: …", already escaped.
    repeat: str | None = None
    # "At-risk mark cleared by <@U…> on 4 Dec: …", already escaped.
    risk_cleared: str | None = None


def escalation_text(view: EscalationView) -> str:
    title = KIND_TITLES.get(view.kind, "Escalation")
    state = {"open": "open", "acknowledged": "acknowledged", "resolved": "resolved"}[view.state]
    holding = f" {view.holding_up}." if view.holding_up else ""
    return truncate(
        f"{title} — {escape(view.account_name)} ({state}): {view.summary}{holding} {view.mentions}", 3900
    )


def escalation_blocks(view: EscalationView) -> list[dict[str, Any]]:
    title = KIND_TITLES.get(view.kind, "Escalation")
    raised = " — raised to the manager" if view.level >= 2 else ""
    lines = [f"*{escape(view.account_name)}* · {view.side} side{raised}", view.summary]
    if view.owner_user_id and view.action:
        lines.append(f"Owner <@{view.owner_user_id}> — “{escape(view.action)}”")
    if view.marks:
        lines.append(f"History (oldest first): {view.marks}")
    if view.agreed:
        lines.append(view.agreed)
    if view.last_note:
        lines.append(f"Last note: _{escape(view.last_note)}_")
    if view.linked:
        lines.append(view.linked)
    if view.holding_up:
        lines.append(view.holding_up)
    if view.at_risk:
        lines.append("The account is now marked *at risk*.")
    if view.repeat:
        lines.append(view.repeat)
    blocks: list[Block] = [
        HeaderBlock(text=truncate(f"{'✅ ' if view.state == 'resolved' else '⚠️ '}{title}", 150)),
        SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(lines), SECTION_LIMIT))),
        ContextBlock(elements=[MarkdownTextObject(text=truncate(f"For {view.mentions}", 2000))]),
    ]
    status = [s for s in (view.acknowledged, view.resolved, view.risk_cleared) if s]
    if status:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(status), SECTION_LIMIT))))
    if view.state != "resolved":
        value = str(view.escalation_id)
        buttons = [
            ButtonElement(text="Resolve", action_id=RESOLVE, value=value, style="primary"),
            ButtonElement(text="Start autopsy", action_id=AUTOPSY, value=value),
        ]
        if view.state == "open":
            buttons.insert(0, ButtonElement(text="Acknowledge", action_id=ACK, value=value))
        if view.at_risk:
            buttons.append(ButtonElement(text="Clear risk", action_id=CLEAR_RISK, value=value))
        blocks.append(ActionsBlock(block_id=f"escalation:{view.escalation_id}", elements=buttons))
    elif view.at_risk:
        # Resolving the slip does not clear the account's risk: that takes a reason.
        button = ButtonElement(text="Clear risk", action_id=CLEAR_RISK, value=str(view.escalation_id))
        blocks.append(ActionsBlock(block_id=f"escalation:{view.escalation_id}", elements=[button]))
    return [b.to_dict() for b in blocks]
