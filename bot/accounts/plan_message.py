"""The joint plan as a Slack message: the Desired Outcome, both sides' commitments, the escalation
policy, and the I agree / Let's discuss buttons the champion answers with.

Kept apart from recording the answer so the handler layer can name the buttons' action IDs without
reaching into the database code.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ContextBlock, HeaderBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject
from slack_sdk.models.blocks.blocks import SectionBlock

from bot.checkins.message import SECTION_LIMIT, truncate
from bot.checkins.schedule import zone
from bot.dependencies.links import chain_lines
from bot.escalation.policy import policy_of
from bot.slack.mrkdwn import escape
from models import Account, Commitment, CommitmentStatus, Side

AGREE = "agreement_agree"
DISCUSS = "agreement_discuss"


def commitment_line(commitment: Commitment) -> str:
    tz = zone(commitment.owner.tz).key
    paused = " _(paused)_" if commitment.status is CommitmentStatus.PAUSED else ""
    return f"• {commitment.label} <@{commitment.owner.user_id}> — “{escape(commitment.action)}”, {escape(commitment.schedule_text)} ({tz}){paused}"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))


def _side_section(title: str, commitments: list[Commitment]) -> SectionBlock:
    lines = [commitment_line(c) for c in commitments] or ["• _nothing agreed yet_"]
    return _section(f"*{title}*\n" + "\n".join(lines))


def plan_summary(account: Account, version: int) -> str:
    return truncate(
        f"Joint plan for {escape(account.name)} (version {version}). <@{account.champion_user_id}>, is that fair? "
        "Answer with I agree or Let's discuss.",
        SECTION_LIMIT,
    )


def _plan_body(account: Account, commitments: list[Commitment], version: int) -> list[Block]:
    outcome = account.desired_outcome or "_not recorded yet — ask your CSM to add it_"
    customer = [c for c in commitments if c.side is Side.CUSTOMER]
    vendor = [c for c in commitments if c.side is Side.VENDOR]
    chains = chain_lines(commitments)
    return [
        HeaderBlock(text=truncate(f"Joint plan — {account.name} (version {version})", 150)),
        _section(f"*Desired Outcome*\n{escape(outcome)}"),
        _side_section(f"What {escape(account.name)} will do", customer),
        _side_section("What we, the vendor, will do", vendor),
        *(
            [
                _section(
                    "*What waits on what*\n"
                    + "\n".join(f"• {line}" for line in chains)
                    + "\n_While the one waited on is overdue, a miss of the waiting one counts against the side "
                    "holding it up._"
                )
            ]
            if chains
            else []
        ),
        _section(f"*How we keep each other on track*\n{policy_of(account).text()}"),
    ]


def plan_blocks(
    account: Account, commitments: list[Commitment], *, version: int, agreement_id: int
) -> list[dict[str, Any]]:
    blocks = [
        *_plan_body(account, commitments, version),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"<@{account.champion_user_id}>, the customer commitments above start being checked on once "
                "you agree. Is that fair?"
            )
        ),
        ActionsBlock(
            block_id=f"agreement:{agreement_id}",
            elements=[
                ButtonElement(text="I agree", action_id=AGREE, value=str(agreement_id), style="primary"),
                ButtonElement(text="Let's discuss", action_id=DISCUSS, value=str(agreement_id)),
            ],
        ),
    ]
    return [b.to_dict() for b in blocks]


def answered_plan_blocks(
    account: Account, commitments: list[Commitment], *, version: int, response: str, by: str, when: str
) -> list[dict[str, Any]]:
    if response == "agreed":
        status = f"✅ <@{by}> agreed to version {version} on {when}. Check-ins follow this plan."
    else:
        status = (
            f"💬 <@{by}> would like to discuss version {version} ({when}). <@{account.csm_user_id}> will follow up; "
            "the buttons stay until the plan is agreed."
        )
    blocks: list[Block] = [
        *_plan_body(account, commitments, version),
        ContextBlock(elements=[MarkdownTextObject(text=status)]),
    ]
    return [b.to_dict() for b in blocks]
