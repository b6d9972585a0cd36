""" "Confident about next week?": who may answer, recording the answer, and redrawing the review.

Anyone on the account answers, on either side: its champion, CSM, manager and the owners of its
commitments (bot/accounts/access.py `members`). Their side is their role on the account, stored when
they were named (a CSM or manager is the vendor's by construction; an owner's side was judged from
Slack's profile against the installation), never the team a click's payload names — a customer in a
Slack Connect channel clicks with their own organisation's team ID. Anyone else is refused and nothing
is written. One answer per person and review: a later one replaces it, and each change is a diary entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import members
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.review.figures import review_figures
from bot.review.message import review_blocks, review_text
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Commitment, Person, ReviewAnswer, Side, WeeklyReview
from models.db import insert_once, rows_changed

log = logging.getLogger(__name__)

NOT_FOUND = "I can't find that weekly review any more. Nothing was recorded."
OUT_OF_DATE = "This is an earlier week's review; please answer this week's. Nothing was recorded."
NOT_SHOWN = (
    "Your answer is recorded in the diary, but I couldn't update the review message just now; "
    "it shows your answer the next time it is redrawn."
)


@dataclass(frozen=True)
class Answerable:
    review: WeeklyReview
    account: Account
    side: Side


def side_on_account(session: Session, account: Account, user_id: str) -> Side | None:
    """The side this person answers for on the account, or None when they are not on it."""
    if user_id not in members(session, account):
        return None
    if user_id == account.champion_user_id:
        return Side.CUSTOMER
    if user_id in (account.csm_user_id, account.manager_user_id):
        return Side.VENDOR
    side = session.scalar(
        select(Person.side)
        .join(Commitment, Commitment.owner_id == Person.id)
        .where(Commitment.account_id == account.id, Person.user_id == user_id)
        .limit(1)
    )
    return side


def refusal_for(account: Account) -> str:
    return (
        f"Only the people on {escape(account.name)} — its champion <@{account.champion_user_id}>, its CSM "
        f"<@{account.csm_user_id}>, its manager and the owners of its commitments — answer its weekly review. "
        "Nothing was recorded."
    )


def answerable(session: Session, *, review_id: int, user_id: str, team_id: str) -> Answerable:
    """The review and the person's side, or a `Refusal` saying why they can't answer it.

    `team_id` is the installation's: a review of another workspace's install is not found.
    """
    review = session.get(WeeklyReview, review_id)
    if review is None or review.team_id != team_id:
        raise Refusal(NOT_FOUND)
    account = session.get_one(Account, review.account_id)
    side = side_on_account(session, account, user_id)
    if side is None:
        raise Refusal(refusal_for(account))
    newer = session.scalar(
        select(WeeklyReview.id).where(
            WeeklyReview.account_id == account.id,
            WeeklyReview.week_start > review.week_start,
            WeeklyReview.state == "posted",
        )
    )
    if newer is not None:
        raise Refusal(OUT_OF_DATE)
    return Answerable(review=review, account=account, side=side)


def check_answerable(sessions: sessionmaker[Session], *, review_id: int, user_id: str, team_id: str) -> str:
    """Read only, inside the ack before the "Not sure" form opens: the account's name, or a `Refusal`."""
    with sessions() as session:
        return answerable(session, review_id=review_id, user_id=user_id, team_id=team_id).account.name


def diary_text(user_id: str, *, confident: bool, note: str | None) -> str:
    if confident:
        return f"<@{user_id}> is confident about next week."
    return f"<@{user_id}> is not sure about next week: {escape(note or '')}"


def record_answer(
    sessions: sessionmaker[Session],
    *,
    review_id: int,
    user_id: str,
    team_id: str,
    confident: bool,
    note: str | None,
    now: datetime,
) -> bool:
    """One transaction: the person's answer (created, or replacing theirs) and its diary entry.

    Returns False when it is the answer already on record (a double click): nothing new is written.
    """
    with sessions.begin() as session:
        found = answerable(session, review_id=review_id, user_id=user_id, team_id=team_id)
        values = {"side": found.side.value, "confident": confident, "note": note, "answered_at": now}
        created = insert_once(
            session,
            ReviewAnswer,
            {"team_id": found.account.team_id, "review_id": review_id, "user_id": user_id, **values},
            unique=["review_id", "user_id"],
        )
        if created is None:
            # Guarded: only a different answer replaces the one on record, so a double click or two
            # clicks racing write one diary entry.
            changed = rows_changed(
                session,
                update(ReviewAnswer)
                .where(
                    ReviewAnswer.review_id == review_id,
                    ReviewAnswer.user_id == user_id,
                    (ReviewAnswer.confident != confident) | ReviewAnswer.note.is_distinct_from(note),
                )
                .values(**values),
            )
            if changed != 1:
                return False
        diary.record(
            session,
            account=found.account,
            kind="review_answer",
            text=diary_text(user_id, confident=confident, note=note),
            at=now,
            actor_user_id=user_id,
            side=found.side,
        )
    return True


@dataclass(frozen=True)
class Redrawn:
    """Where the review is, and whether its message now shows the answer."""

    channel_id: str
    shown: bool


def redraw(sessions: sessionmaker[Session], gateway: SlackGateway, review_id: int) -> Redrawn:
    """The review message shows who answered what, in place. A refusal is logged and returned (the
    answer is on record all the same), so the listener can tell the person."""
    with sessions() as session:
        review = session.get_one(WeeklyReview, review_id)
        channel, ts = review.channel_id, review.message_ts
        if ts is None:
            return Redrawn(channel_id=channel, shown=False)
        figures = review_figures(session, review)
    try:
        gateway.update_message(
            channel=channel, ts=ts, text=review_text(figures), blocks=review_blocks(figures)
        )
    except SlackDeliveryError as exc:
        log.warning("weekly review %s not redrawn: %s failed: %s", review_id, exc.method, exc.error)
        return Redrawn(channel_id=channel, shown=False)
    return Redrawn(channel_id=channel, shown=True)
