"""The App Home tab: what is waiting for this person, and the accounts they are part of."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.blocks.basic_components import MarkdownTextObject
from slack_sdk.models.views import View
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.checkins.answers import CHANGE_WINDOW, changeable, streak, view_of
from bot.checkins.message import PROPOSE_ACTION, SECTION_LIMIT, CheckInView, message_blocks, truncate
from bot.digest.scorecard import SCORE_WINDOW, KeptRate, kept_rates
from bot.escalation.policy import policy_of
from bot.people.away_form import away_button
from bot.slack.mrkdwn import escape
from models import (
    Account,
    CheckIn,
    CheckInState,
    Commitment,
    CommitmentStatus,
    Escalation,
    EscalationState,
    Person,
    Side,
)

MAX_OPEN_SHOWN = 10
# A Home view holds at most 100 blocks: the last day's answers are a few.
MAX_ANSWERS_SHOWN = 5
# **Mark done** on one of the person's own open commitments (handlers/actions/commitment.py).
MARK_DONE = "commitment_mark_done"
MAX_ACCOUNTS_SHOWN = 20


@dataclass(frozen=True)
class HomeContent:
    """Everything the tab shows, read in one session and drawn after it closes."""

    checkins: list[CheckInView]
    accounts: list[Account]
    # The accounts this person manages (CSM or manager) see their scores and open escalations.
    managed: list[int]
    rates: dict[tuple[int, Side], KeptRate]
    open_escalations: list[Escalation]
    # Commitments due by a date that this person owns or is the CSM of: each can be proposed a new date.
    dated: list[Commitment]
    # This person's own open commitments, each with Mark done.
    owned: list[Commitment]
    # Their answers of the last 24 hours, each with its Change answer control.
    answered: list[CheckInView]


def _role(account: Account, user_id: str) -> str:
    if account.csm_user_id == user_id:
        return "the CSM"
    if account.champion_user_id == user_id:
        return "the champion"
    if account.manager_user_id == user_id:
        return "the manager"
    return "an owner of commitments"


def home_view(sessions: sessionmaker[Session], *, user_id: str, now: datetime) -> dict[str, Any]:
    """Selected by user ID alone: IDs are unique across organisations, and an external customer opens
    the tab from their own workspace, whose team ID is not the one their accounts belong to."""
    with sessions() as session:
        content = _read(session, user_id=user_id, now=now)
    blocks: list[Block | dict[str, Any]] = [HeaderBlock(text="Your check-ins")]
    if not content.checkins:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="Nothing is waiting for your answer. Thank you!"))
        )
    for view in content.checkins:
        blocks.extend(message_blocks([view]))
        blocks.append(DividerBlock())
    if content.answered:
        blocks.append(HeaderBlock(text="Your answers of the last 24 hours"))
        for view in content.answered:
            blocks.extend(message_blocks([view]))
            blocks.append(DividerBlock())
    if content.owned:
        blocks.append(HeaderBlock(text="Your open commitments"))
        blocks += [_owned_block(c) for c in content.owned]
    if content.dated:
        blocks.append(HeaderBlock(text="Due by a date"))
        blocks += [_dated_block(c) for c in content.dated]
    blocks.append(HeaderBlock(text="Your accounts"))
    if content.accounts:
        blocks.append(ActionsBlock(block_id="away", elements=[away_button()]))
    if not content.accounts:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="You are not part of any account yet.")))
    for account in content.accounts:
        blocks += _account_blocks(account, content, user_id=user_id)
    result = View(type="home", blocks=blocks).to_dict()
    assert isinstance(result, dict)
    return result


def _read(session: Session, *, user_id: str, now: datetime) -> HomeContent:
    open_checkins = list(
        session.scalars(
            select(CheckIn)
            .join(CheckIn.commitment)
            .join(Commitment.owner)
            .where(Person.user_id == user_id, CheckIn.state == CheckInState.SENT)
            .options(
                joinedload(CheckIn.commitment).joinedload(Commitment.account),
                joinedload(CheckIn.commitment).joinedload(Commitment.owner),
            )
            .order_by(CheckIn.scheduled_at)
            .limit(MAX_OPEN_SHOWN)
        )
    )
    # Answerable from here even while snoozed or reminded about elsewhere.
    views = [
        replace(
            view_of(c, streak_text=streak(session, c.commitment_id)), snoozed_until_local=None, moved=False
        )
        for c in open_checkins
    ]
    owned = select(Commitment.account_id).join(Commitment.owner).where(Person.user_id == user_id)
    accounts = list(
        session.scalars(
            select(Account)
            .where(
                or_(
                    Account.csm_user_id == user_id,
                    Account.champion_user_id == user_id,
                    Account.manager_user_id == user_id,
                    Account.id.in_(owned),
                )
            )
            .order_by(Account.name_key)
            .limit(MAX_ACCOUNTS_SHOWN)
        )
    )
    managed = [a.id for a in accounts if user_id in (a.csm_user_id, a.manager_user_id)]
    open_escalations = session.scalars(
        select(Escalation)
        .where(Escalation.account_id.in_(managed), Escalation.state != EscalationState.RESOLVED)
        .order_by(Escalation.opened_at)
    )
    dated = list(
        session.scalars(
            select(Commitment)
            .join(Commitment.owner)
            .join(Commitment.account)
            .where(
                Commitment.due_on.is_not(None),
                Commitment.status.in_((CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)),
                or_(Person.user_id == user_id, Account.csm_user_id == user_id),
            )
            .options(joinedload(Commitment.account), joinedload(Commitment.owner))
            .order_by(Commitment.due_on, Commitment.id)
            .limit(MAX_OPEN_SHOWN)
        )
    )
    own_open = list(
        session.scalars(
            select(Commitment)
            .join(Commitment.owner)
            .where(
                Person.user_id == user_id,
                Commitment.status.in_((CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)),
            )
            .options(joinedload(Commitment.account), joinedload(Commitment.owner))
            .order_by(Commitment.id)
            .limit(MAX_OPEN_SHOWN)
        )
    )
    recent = session.scalars(
        select(CheckIn)
        .join(CheckIn.commitment)
        .join(Commitment.owner)
        .where(
            Person.user_id == user_id,
            CheckIn.state == CheckInState.ANSWERED,
            CheckIn.answer_change_closed.is_(False),
            CheckIn.answered_at > now - CHANGE_WINDOW,
        )
        .options(
            joinedload(CheckIn.commitment).joinedload(Commitment.account),
            joinedload(CheckIn.commitment).joinedload(Commitment.owner),
        )
        .order_by(CheckIn.answered_at.desc())
        .limit(MAX_ANSWERS_SHOWN)
    )
    answered = [view_of(c, now=now) for c in recent if changeable(c, now=now)]
    return HomeContent(
        owned=own_open,
        answered=answered,
        dated=dated,
        checkins=views,
        accounts=accounts,
        managed=managed,
        rates=kept_rates(session, managed, since=now - SCORE_WINDOW),
        open_escalations=list(open_escalations),
    )


def _dated_block(commitment: Commitment) -> Block:
    text = (
        f"*{escape(commitment.account.name)}* · {commitment.label} · {commitment.side.value} side · "
        f"<@{commitment.owner.user_id}>\n{escape(commitment.action)} — {escape(commitment.schedule_text)}"
    )
    return SectionBlock(
        text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)),
        accessory=ButtonElement(
            text="Propose a new date", action_id=PROPOSE_ACTION, value=f"commitment:{commitment.id}"
        ),
    )


def _owned_block(commitment: Commitment) -> Block:
    text = (
        f"*{escape(commitment.account.name)}* · {commitment.label} · {commitment.side.value} side\n"
        f"{escape(commitment.action)} — {escape(commitment.schedule_text)}"
    )
    return SectionBlock(
        text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)),
        accessory=ButtonElement(
            text="Mark done",
            action_id=MARK_DONE,
            value=str(commitment.id),
            confirm=ConfirmObject(
                title="Mark it done?",
                text=truncate(
                    f"{commitment.label} “{escape(commitment.action)}” is done: its check-ins stop.", 300
                ),
                confirm="Mark done",
                deny="Not yet",
            ),
        ),
    )


def _account_blocks(account: Account, content: HomeContent, *, user_id: str) -> list[Block]:
    outcome = account.desired_outcome or "_no Desired Outcome recorded yet_"
    text = (
        f"*{escape(account.name)}* (you are {_role(account, user_id)})\n_Desired Outcome:_ {escape(outcome)}"
    )
    if account.id in content.managed:
        customer = content.rates.get((account.id, Side.CUSTOMER), KeptRate(0, 0))
        vendor = content.rates.get((account.id, Side.VENDOR), KeptRate(0, 0))
        count = sum(1 for e in content.open_escalations if e.account_id == account.id)
        risk = " · *at risk*" if account.at_risk else ""
        text += f"\nCustomer side {customer} · vendor side {vendor} (last 12 weeks) · {count} open escalation{'' if count == 1 else 's'}{risk}"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=truncate(text, SECTION_LIMIT)))]
    if account.champion_user_id == user_id:
        # Consequences agreed up front: the customer sees the same rules the vendor's team works by.
        rules = f"_How we keep each other on track_\n{policy_of(account).text()}"
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(rules, 2000))]))
    return blocks
