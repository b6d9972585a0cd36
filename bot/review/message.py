"""The weekly review as a message in the shared channel, and the "Not sure" note form.

Built with slack_sdk's block models, which check Slack's per-block limits; the message has a fixed set
of sections (long lists are cut, saying how many more), so it stays far inside the 50-block limit.
Everything people typed (actions, notes) is escaped; the only live markup is the mentions it builds.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)

from bot.checkins.message import SECTION_LIMIT, TEXT_LIMIT, truncate
from bot.digest.attention import AwaitingAgreement
from bot.digest.scorecard import KeptRate
from bot.review.figures import RECENT_WEEKS, DueItem, ReviewAnswerView, ReviewFigures
from bot.slack.modals import VALUE, FormError, field_value, modal
from bot.slack.mrkdwn import escape
from models import Side

CONFIDENT = "review_confident"
UNSURE = "review_unsure"
UNSURE_FORM = "review_unsure_form"
MAX_NOTE = 500
MAX_DUE_SHOWN = 8  # per side
MAX_CHECKINS_SHOWN = 5  # per commitment ("every day" is five a week)
SIDE_TITLES = {Side.CUSTOMER: "Customer side", Side.VENDOR: "Vendor side"}
FOOTER = (
    "Anyone on the account, on either side, can answer; answering again replaces your earlier answer. "
    "Answers go into the accountability diary."
)


def _rate(rate: KeptRate) -> str:
    moved = f" · {rate.renegotiated} renegotiated" if rate.renegotiated else ""
    if rate.total == 0:
        return "no check-ins" + moved
    return f"kept {rate.kept:g} of {rate.total} ({round(rate.percent)} %){moved}"


def _period(figures: ReviewFigures) -> str:
    tz = ZoneInfo(figures.tz)
    start, end = figures.week_start.astimezone(tz), figures.due_at.astimezone(tz)
    return f"{start:%a %d %b} – {end:%a %d %b %Y %H:%M} ({figures.tz})"


def rate_lines(figures: ReviewFigures) -> list[str]:
    return [
        f"{SIDE_TITLES[side]}: this week {_rate(figures.rates[side].week)} · "
        f"last {RECENT_WEEKS} weeks {_rate(figures.rates[side].recent)}"
        for side in Side
    ]


def _due_line(item: DueItem) -> str:
    head = f"• #{item.commitment_id} “{escape(truncate(item.action, 200))}” — <@{item.owner_user_id}>"
    if item.due_on is not None:
        return f"{head}, due {item.due_on:%a %d %b}"
    shown = ", ".join(f"{t:%a %d %b %H:%M}" for t in item.checkins[:MAX_CHECKINS_SHOWN])
    more = (
        f" and {len(item.checkins) - MAX_CHECKINS_SHOWN} more"
        if len(item.checkins) > MAX_CHECKINS_SHOWN
        else ""
    )
    count = len(item.checkins)
    return f"{head}, check-in{'s' if count != 1 else ''} {shown}{more} ({item.tz})"


def due_lines(figures: ReviewFigures) -> list[str]:
    lines = ["*Due next week*"]
    for side in Side:
        items = figures.due[side]
        if not items:
            lines.append(f"_{SIDE_TITLES[side]}:_ nothing due")
            continue
        lines.append(f"_{SIDE_TITLES[side]}:_")
        lines += [_due_line(item) for item in items[:MAX_DUE_SHOWN]]
        if len(items) > MAX_DUE_SHOWN:
            lines.append(f"…and {len(items) - MAX_DUE_SHOWN} more (`/accountability list` shows them all).")
    return lines


def _awaiting_line(figures: ReviewFigures, awaiting: AwaitingAgreement) -> str:
    if awaiting.discuss:
        return (
            f"• <@{figures.champion_user_id}> asked to discuss version {awaiting.version} of the joint plan: "
            f"<@{figures.csm_user_id}>, worth settling before next week."
        )
    return (
        f"• Version {awaiting.version} of the joint plan is waiting for <@{figures.champion_user_id}>'s "
        "agreement (I agree / Let's discuss on the plan above)."
    )


def question_lines(figures: ReviewFigures) -> list[str]:
    lines = ["*Open questions*"]
    lines += [_awaiting_line(figures, a) for a in figures.awaiting]
    if figures.unposted:
        ids = ", ".join(f"#{i}" for i in figures.unposted)
        lines.append(
            f"• {ids} {'is' if len(figures.unposted) == 1 else 'are'} not yet in a plan put to "
            f"<@{figures.champion_user_id}>: no check-ins until the plan is agreed."
        )
    if len(lines) == 1:
        lines.append("None — the joint plan is agreed.")
    return lines


def _answer_line(answer: ReviewAnswerView) -> str:
    if answer.confident:
        return f"✅ <@{answer.user_id}> ({answer.side}) is confident"
    line = f"🤔 <@{answer.user_id}> ({answer.side}) is not sure"
    if answer.note:
        line += "\n> " + escape(answer.note).replace("\n", "\n> ")
    return line


def answer_lines(figures: ReviewFigures) -> list[str]:
    lines = ["*Confident about next week?*"]
    if not figures.answers:
        lines.append("No answers yet.")
    lines += [_answer_line(a) for a in figures.answers]
    return lines


def _section(lines: list[str]) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(lines), SECTION_LIMIT)))


def review_blocks(figures: ReviewFigures) -> list[dict[str, Any]]:
    blocks: list[Block] = [
        HeaderBlock(text=truncate(f"Weekly review — {figures.account_name}", 150)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{_period(figures)} · kept = Done (Partly half) of check-ins answered or left "
                    "unanswered; skipped and paused ones count for no one"
                )
            ]
        ),
        _section(
            [
                f"<@{figures.champion_user_id}>, <@{figures.csm_user_id}>: here is the week, so both sides go "
                "into the next one confident.",
                *(
                    [f"_Desired Outcome:_ {escape(figures.desired_outcome)}"]
                    if figures.desired_outcome
                    else []
                ),
                "",
                "*How each side did*",
                *rate_lines(figures),
            ]
        ),
        _section(due_lines(figures)),
        _section(question_lines(figures)),
        DividerBlock(),
        _section(answer_lines(figures)),
        ActionsBlock(
            block_id=f"review:{figures.review_id}",
            elements=[
                ButtonElement(text="Yes", action_id=CONFIDENT, value=str(figures.review_id), style="primary"),
                ButtonElement(text="Not sure", action_id=UNSURE, value=str(figures.review_id)),
            ],
        ),
        ContextBlock(elements=[MarkdownTextObject(text=FOOTER)]),
    ]
    return [block.to_dict() for block in blocks]


def review_text(figures: ReviewFigures) -> str:
    """The notification and screen-reader text: the headline figures and the question."""
    rates = "; ".join(f"{SIDE_TITLES[side].lower()} {_rate(figures.rates[side].week)}" for side in Side)
    answered = len(figures.answers)
    return truncate(
        f"Weekly review for {escape(figures.account_name)}: {rates} this week. Confident about next week? "
        f"({answered} answer{'s' if answered != 1 else ''} so far)",
        TEXT_LIMIT,
    )


# -- the "Not sure" note ------------------------------------------------------------------------------


def unsure_form(*, review_id: int, account_name: str) -> dict[str, Any]:
    """The note is required: "not sure" alone tells the other side nothing to act on before Monday,
    and one short sentence is what lets them help."""
    return modal(
        callback_id=UNSURE_FORM,
        title="Not sure",
        submit="Record",
        private_metadata=json.dumps({"review_id": review_id}),
        blocks=[
            InputBlock(
                block_id="note",
                label="What makes you unsure about next week?",
                optional=False,
                hint=truncate(
                    f"{account_name}: both sides read this in the shared channel and the diary.", 150
                ),
                element=PlainTextInputElement(action_id=VALUE, multiline=True, max_length=MAX_NOTE),
            )
        ],
    )


def read_unsure_form(view: dict[str, Any]) -> tuple[int, str]:
    meta = json.loads(view.get("private_metadata") or "{}")
    note = field_value(view["state"]["values"], "note")
    if not note:
        raise FormError("note", "Please say in a few words what worries you, so the other side can help.")
    if len(note) > MAX_NOTE:
        raise FormError("note", f"A note can be at most {MAX_NOTE} characters.")
    return int(meta["review_id"]), note
