"""Block Kit for check-in DMs, built with slack_sdk's models so Slack's limits are checked here.

One message can hold several check-ins (one person's check-ins due at the same moment, or one reminder
for all that is still open): a section per commitment, each with its own buttons or its own outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    SectionBlock,
)

from bot.people.away_form import away_button
from bot.slack.mrkdwn import cut, escape
from models import Answer

SECTION_LIMIT = 3000
TEXT_LIMIT = 3900  # notification text: well inside Slack's 40k, short enough to read on a lock screen
ACTION_PREFIX = "checkin_answer_"
MAX_CHECKINS_PER_MESSAGE = 10
# The button that opens the form to propose a new date or schedule (bot.renegotiation).
PROPOSE_ACTION = "proposal_open"  # 4 blocks each stays well inside the 50-block message limit

ANSWER_LABELS: dict[Answer, str] = {
    Answer.DONE: "Done",
    Answer.PARTLY: "Partly",
    Answer.BLOCKED: "Blocked",
    Answer.NOT_YET: "Not yet",
    Answer.SNOOZED: "Snooze",
}
ANSWER_MARKS: dict[Answer, str] = {
    Answer.DONE: "✅",
    Answer.PARTLY: "◐",
    Answer.BLOCKED: "⛔",
    Answer.NOT_YET: "⏳",
    Answer.SNOOZED: "💤",
}
BUTTONS: tuple[Answer, ...] = (Answer.DONE, Answer.PARTLY, Answer.BLOCKED, Answer.NOT_YET, Answer.SNOOZED)
# What an answer may be changed to, for 24 hours, from the **Change answer** overflow (bot.checkins.changes).
CHANGEABLE: tuple[Answer, ...] = (Answer.DONE, Answer.PARTLY, Answer.BLOCKED, Answer.NOT_YET)
CHANGE_ACTION = "checkin_change"
# Answers that ask for a short note in a modal first (asked for Blocked, optional for the others).
NOTE_ANSWERS: tuple[Answer, ...] = (Answer.PARTLY, Answer.BLOCKED, Answer.NOT_YET)


@dataclass(frozen=True)
class CheckInView:
    """Everything a check-in section shows, already in the owner's zone; built by `bot.checkins.answers`."""

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
    streak: str | None = None
    snoozed_until_local: datetime | None = None
    closed_local: datetime | None = None  # closed with no response
    moved: bool = False  # a newer reminder message carries this check-in now
    # "channel": posted in the account's shared channel, so it names its owner and shows what everyone may see.
    place: str = "dm"
    # "This is waiting on #7 (vendor: …, overdue since Tue) …" while what it waits on holds it up.
    waiting: str | None = None
    # The other side's open commitments a Blocked answer may name: (commitment id, label), for the note form.
    blockers: tuple[tuple[int, str], ...] = ()
    # Closed because both sides agreed to move the date instead: counted for neither side.
    renegotiated: bool = False
    # Answered by its owner less than 24 hours ago: the answer carries the Change answer overflow.
    changeable: bool = False

    @property
    def in_channel(self) -> bool:
        return self.place == "channel"


def truncate(text: str, limit: int) -> str:
    """Cut cleanly with an ellipsis rather than let Slack refuse the whole message."""
    return cut(text, limit)


def action_id_for(answer: Answer) -> str:
    return f"{ACTION_PREFIX}{answer.value}"


def answer_from_action_id(action_id: str) -> Answer | None:
    if not action_id.startswith(ACTION_PREFIX):
        return None
    try:
        return Answer(action_id[len(ACTION_PREFIX) :])
    except ValueError:
        return None


@dataclass(frozen=True)
class Click:
    """A check-in button as Slack sends it back: which answer, for which check-in."""

    answer: Answer
    checkin_id: int

    @property
    def needs_note(self) -> bool:
        return self.answer in NOTE_ANSWERS

    @property
    def what(self) -> str:
        """How a failed write of this click is named in the log."""
        return "snooze" if self.answer is Answer.SNOOZED else "answer"


def click_of(action_id: str, value: str) -> Click | None:
    """None for a button from an older message layout, which can't be answered any more."""
    answer = answer_from_action_id(action_id)
    return Click(answer=answer, checkin_id=int(value)) if answer is not None and value.isdigit() else None


def _line(view: CheckInView) -> str:
    return f"“{escape(view.action)}” ({escape(view.account_name)}, {view.commitment_label})"


def message_text(views: list[CheckInView], *, reminder: bool = False) -> str:
    """The notification text: readable on its own, since notifications show `text`, not blocks. In the
    shared channel it mentions the owner, so they are notified and everyone sees whose it is."""
    text = _text(views, reminder=reminder)
    if views and views[0].in_channel:
        text = truncate(f"<@{views[0].owner_user_id}> {text}", TEXT_LIMIT)
    return text


def _text(views: list[CheckInView], *, reminder: bool) -> str:
    if len(views) == 1:
        view = views[0]
        if view.answer is not None and view.answered_local is not None and view.answer is not Answer.SNOOZED:
            return truncate(
                f"{ANSWER_MARKS[view.answer]} {ANSWER_LABELS[view.answer]} — {_line(view)}, answered by "
                f"<@{view.answered_by}> on {view.answered_local:%a %d %b %H:%M}.",
                TEXT_LIMIT,
            )
        if view.closed_local is not None:
            return truncate(f"Closed with no response — {_line(view)}.", TEXT_LIMIT)
        if view.renegotiated:
            return truncate(f"Renegotiated — {_line(view)}: a new date was agreed.", TEXT_LIMIT)
        prefix = "Gentle reminder — " if reminder else "Check-in — "
        return truncate(
            f"{prefix}{escape(view.account_name)} ({view.commitment_label}): did you “{escape(view.action)}”? "
            f"Due {view.scheduled_local:%a %d %b %H:%M}.",
            TEXT_LIMIT,
        )
    prefix = "Gentle reminder — still open" if reminder else "Check-ins"
    return truncate(f"{prefix}: " + "; ".join(_line(v) for v in views), TEXT_LIMIT)


def thread_reminder_text(views: list[CheckInView]) -> str:
    """A reminder in a channel check-in's thread: it names its owner, and the buttons stay on the post."""
    what = "; ".join(_line(v) for v in views)
    one = len(views) == 1
    return truncate(
        f"<@{views[0].owner_user_id}> a gentle reminder: "
        + ("this check-in is" if one else "these check-ins are")
        + f" still open — {what}. Please answer with the buttons above; a quick answer keeps the diary "
        "complete for both sides.",
        TEXT_LIMIT,
    )


def _question(view: CheckInView) -> list[Block]:
    why = f"\n_Why it matters:_ {escape(view.desired_outcome)}" if view.desired_outcome else ""
    whose = f"<@{view.owner_user_id}>'s time" if view.in_channel else "your time"
    context = f"Check-in of {view.scheduled_local:%A %d %B, %H:%M} ({whose})"
    asked = f"<@{view.owner_user_id}>, did you" if view.in_channel else "Did you"
    if view.streak:
        context += f" · {view.streak}"
    # Already escaped where it was worded (bot/dependencies/blocking.py).
    waiting = f"\n⏸ {view.waiting}" if view.waiting else ""
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=truncate(
                    f"*{escape(view.account_name)}* · {view.commitment_label} · {view.side} side\n"
                    f"{asked} *{escape(view.action)}*?{why}{waiting}",
                    SECTION_LIMIT,
                )
            )
        ),
        ContextBlock(elements=[MarkdownTextObject(text=truncate(context, 2000))]),
    ]


def _outcome(view: CheckInView) -> Block | None:
    """What replaces the buttons once the check-in is answered, closed, snoozed or moved."""
    if view.answer is not None and view.answer is not Answer.SNOOZED and view.answered_local is not None:
        text = (
            f"{ANSWER_MARKS[view.answer]} *{ANSWER_LABELS[view.answer]}* — answered by <@{view.answered_by}> "
            f"on {view.answered_local:%a %d %b, %H:%M}. Recorded in the accountability diary."
        )
        # A vendor's note may be private to the vendor: the shared channel shows customers' notes only.
        if view.note and not (view.in_channel and view.side != "customer"):
            text += "\n> " + escape(view.note).replace("\n", "\n> ")
        if view.changeable:
            return SectionBlock(
                text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)), accessory=_change_menu(view)
            )
    elif view.renegotiated:
        text = (
            "↪ *Renegotiated* — both sides agreed a new date or schedule instead. It counts for neither "
            "side; the diary keeps the old and the new date."
        )
    elif view.closed_local is not None:
        text = f"Closed with no response on {view.closed_local:%a %d %b, %H:%M}. Recorded in the diary."
    elif view.moved:
        text = "A reminder for this check-in was sent below — please answer there."
    elif view.snoozed_until_local is not None:
        text = f"💤 Snoozed — I'll ask again on {view.snoozed_until_local:%a %d %b, %H:%M}."
    else:
        return None
    return SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))


def change_value(checkin_id: int, answer: Answer) -> str:
    return f"{checkin_id}:{answer.value}"


def read_change_value(value: str) -> tuple[int, Answer] | None:
    """None for a value from another layout, which can't be acted on."""
    number, _, answer = value.partition(":")
    if not number.isdigit():
        return None
    try:
        return int(number), Answer(answer)
    except ValueError:
        return None


def _change_menu(view: CheckInView) -> OverflowMenuElement:
    """Change answer: the other answers, for the owner to pick within 24 hours."""
    return OverflowMenuElement(
        action_id=CHANGE_ACTION,
        options=[
            Option(
                text=f"Change answer to {ANSWER_LABELS[answer]}", value=change_value(view.checkin_id, answer)
            )
            for answer in CHANGEABLE
            if answer is not view.answer
        ],
    )


def _buttons(view: CheckInView) -> ActionsBlock:
    return ActionsBlock(
        block_id=f"checkin:{view.checkin_id}",
        elements=[
            ButtonElement(
                text=ANSWER_LABELS[answer],
                action_id=action_id_for(answer),
                value=str(view.checkin_id),
                style="primary" if answer is Answer.DONE else None,
            )
            for answer in BUTTONS
        ]
        + [
            ButtonElement(
                text="Propose a new date", action_id=PROPOSE_ACTION, value=f"checkin:{view.checkin_id}"
            )
        ]
        + [away_button()],
    )


def message_blocks(views: list[CheckInView], *, reminder: bool = False) -> list[dict[str, Any]]:
    blocks: list[Block] = []
    if views and views[0].in_channel and not reminder:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"<@{views[0].owner_user_id}> — "
                    + ("your check-in" if len(views) == 1 else "your check-ins")
                    + " for this account. Only you can answer; everyone here sees the answer."
                )
            )
        )
    if reminder:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text="A gentle reminder: "
                    + ("this check-in is" if len(views) == 1 else "these check-ins are")
                    + " still open. A quick answer keeps the diary complete for both sides."
                )
            )
        )
    for index, view in enumerate(views[:MAX_CHECKINS_PER_MESSAGE]):
        if index:
            blocks.append(DividerBlock())
        blocks.extend(_question(view))
        outcome = _outcome(view)
        blocks.append(outcome if outcome is not None else _buttons(view))
    return [block.to_dict() for block in blocks]
