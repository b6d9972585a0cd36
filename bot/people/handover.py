"""Hand-overs: when someone leaves, their work gets a new owner instead of silently slipping.

When an account's champion leaves its shared channel, or anyone holding work on an account is
deactivated in Slack, their open commitments there are marked *needs a new owner*: no check-ins go
to them, what was already open closes as skipped (counting against nobody), and a hand-over is
opened that asks the CSM (the manager, when the CSM is the one who left) for a new owner per
commitment. A champion who left takes the customer's agreement with them: customer check-ins wait
until a new champion agrees to the plan afresh (a new plan version).

A hand-over is recorded when Slack's event arrives (before it is acknowledged); the asking DM is sent
right after, and by the clock for any that could not be sent then, so a departure is never dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Actor, manage_refusal, may_manage
from bot.accounts.plan_version import plan_changed, stop_customer_checkins
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.people.handover_message import ask_blocks, ask_text
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import (
    Account,
    CheckIn,
    CheckInState,
    Commitment,
    CommitmentStatus,
    DiaryEntry,
    Handover,
    Person,
    Side,
)
from models.db import insert_once, rows_changed

log = logging.getLogger(__name__)

LEFT_CHANNEL, DEACTIVATED = "left_channel", "deactivated"
LIVE = (CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)
OPEN_CHECKINS = (CheckInState.DUE, CheckInState.SENT)
# A claimed ask not finished by then (a crash, a Slack failure) is taken again by a later pass.
ASK_LEASE = timedelta(minutes=10)


# --- a departure ---------------------------------------------------------------------------------------


def record_departure(
    sessions: sessionmaker[Session],
    *,
    team_id: str,
    user_id: str,
    reason: str,
    now: datetime,
    channel_id: str | None = None,
) -> list[int]:
    """Open a hand-over on each account the person leaves work behind on; the IDs of those opened now
    (a redelivered event, or a second event for the same departure, opens nothing new)."""
    with sessions.begin() as session:
        person = session.scalar(select(Person).where(Person.team_id == team_id, Person.user_id == user_id))
        if person is None:
            return []
        opened: list[int] = []
        for account in _accounts_left(session, person, reason=reason, channel_id=channel_id):
            handover_id = _open(session, account, person, reason=reason, now=now)
            if handover_id is not None:
                opened.append(handover_id)
        return opened


def _accounts_left(session: Session, person: Person, *, reason: str, channel_id: str | None) -> list[Account]:
    """Leaving the shared channel matters for the champion (the customer's voice there); being
    deactivated matters wherever they hold work or are champion."""
    if reason == LEFT_CHANNEL:
        return list(
            session.scalars(
                select(Account)
                .where(
                    Account.team_id == person.team_id,
                    Account.shared_channel_id == channel_id,
                    Account.champion_user_id == person.user_id,
                )
                .order_by(Account.id)
            )
        )
    owning = select(Commitment.account_id).where(
        Commitment.owner_id == person.id, Commitment.status.in_(LIVE)
    )
    return list(
        session.scalars(
            select(Account)
            .where(
                Account.team_id == person.team_id,
                or_(Account.champion_user_id == person.user_id, Account.id.in_(owning)),
            )
            .order_by(Account.id)
        )
    )


def _open(session: Session, account: Account, person: Person, *, reason: str, now: datetime) -> int | None:
    was_champion = account.champion_user_id == person.user_id
    asked = account.csm_user_id if account.csm_user_id != person.user_id else account.manager_user_id
    handover_id = insert_once(
        session,
        Handover,
        {
            "team_id": account.team_id,
            "enterprise_id": account.enterprise_id,
            "account_id": account.id,
            "person_id": person.id,
            "reason": reason,
            "was_champion": was_champion,
            "opened_at": now,
            "ask_user_id": asked,
            "ask_attempts": 0,
        },
        unique=["account_id", "person_id"],
        where=text("closed_at IS NULL"),
    )
    if handover_id is None:
        return None
    commitments = _held(session, account_id=account.id, person_id=person.id)
    for commitment in commitments:
        commitment.needs_owner_since = now
        _close_open_checkins(session, commitment, now=now)
    if was_champion:
        stop_customer_checkins(session, account)
    diary.record(
        session,
        account=account,
        kind="owner_left",
        text=_departure_words(
            account, person, reason=reason, commitments=commitments, was_champion=was_champion
        ),
        at=now,
        dedupe_key=f"handover:{handover_id}:opened",
    )
    return int(handover_id)


def _held(session: Session, *, account_id: int, person_id: int) -> list[Commitment]:
    return list(
        session.scalars(
            select(Commitment)
            .where(
                Commitment.account_id == account_id,
                Commitment.owner_id == person_id,
                Commitment.status.in_(LIVE),
            )
            .order_by(Commitment.id)
        )
    )


def _close_open_checkins(session: Session, commitment: Commitment, *, now: datetime) -> None:
    """What was asked of someone who has gone can't be answered by them: skipped, not missed."""
    session.execute(
        update(CheckIn)
        .where(CheckIn.commitment_id == commitment.id, CheckIn.state.in_(OPEN_CHECKINS))
        .values(state=CheckInState.SKIPPED, skip_reason="no_owner", remind_at=None, closes_at=None)
    )


def _departure_words(
    account: Account, person: Person, *, reason: str, commitments: list[Commitment], was_champion: bool
) -> str:
    who = f"<@{person.user_id}>"
    what = (
        f"{who} left <#{account.shared_channel_id}>."
        if reason == LEFT_CHANNEL
        else f"{who}'s Slack account was deactivated."
    )
    parts = [what]
    if commitments:
        labels = ", ".join(c.label for c in commitments)
        parts.append(
            f"Their open commitments ({labels}) need a new owner; no check-ins go to them meanwhile, "
            "and nothing counts against anyone."
        )
    if was_champion:
        parts.append(
            f"{escape(account.name)} needs a new champion, who agrees to the plan afresh before the "
            "customer's check-ins resume."
        )
    return " ".join(parts)


# --- asking the CSM --------------------------------------------------------------------------------------


def ask_pending(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """Send each open hand-over's question not sent yet (the listener's attempt failed or never ran)."""
    # Sorted here rather than by the query, so SQLite reads the open hand-overs through their partial
    # index instead of walking every hand-over ever opened in ID order.
    with sessions() as session:
        pending = sorted(
            session.scalars(
                select(Handover.id).where(
                    Handover.closed_at.is_(None),
                    Handover.message_ts.is_(None),
                    Handover.ask_user_id.is_not(None),
                    or_(Handover.ask_claimed_at.is_(None), Handover.ask_claimed_at < now - ASK_LEASE),
                )
            )
        )
    return sum(ask(sessions, gateway, handover_id, now=now) for handover_id in pending)


def ask(sessions: sessionmaker[Session], gateway: SlackGateway, handover_id: int, *, now: datetime) -> bool:
    """The DM to the CSM with a user picker per commitment, sent once (a guarded claim); a refusal is
    kept on the row (the digest shows hand-overs still waiting) and tried again after the lease."""
    with sessions.begin() as session:
        claimed = rows_changed(
            session,
            update(Handover)
            .where(
                Handover.id == handover_id,
                Handover.message_ts.is_(None),
                Handover.closed_at.is_(None),
                or_(Handover.ask_claimed_at.is_(None), Handover.ask_claimed_at < now - ASK_LEASE),
            )
            .values(ask_claimed_at=now, ask_attempts=Handover.ask_attempts + 1),
        )
        if claimed != 1:
            return False
        handover = session.get_one(Handover, handover_id)
        user_id = handover.ask_user_id
        view = _view(session, handover)
    if user_id is None:
        return False
    try:
        posted = gateway.send_dm(user_id, text=ask_text(view), blocks=ask_blocks(view))
    except SlackDeliveryError as exc:
        log.warning(
            "hand-over %s not asked of %s: %s failed: %s", handover_id, user_id, exc.method, exc.error
        )
        with sessions.begin() as session:
            session.execute(
                update(Handover).where(Handover.id == handover_id).values(ask_error=exc.error[:200])
            )
        return False
    with sessions.begin() as session:
        session.execute(
            update(Handover)
            .where(Handover.id == handover_id)
            .values(channel_id=posted.channel, message_ts=posted.ts, ask_error=None)
        )
    return True


@dataclass(frozen=True)
class HandoverView:
    """What the CSM's DM shows of one hand-over, read in one place for the first post and each redraw."""

    handover_id: int
    account: str
    shared_channel_id: str
    person_user_id: str
    reason: str
    needs_champion: bool
    champion_user_id: str
    waiting: list[tuple[int, str, str]] = field(default_factory=list)  # (id, side, action)
    handed: list[tuple[int, str]] = field(default_factory=list)  # (id, new owner's user ID)
    closed: bool = False


def _view(session: Session, handover: Handover) -> HandoverView:
    account = session.get_one(Account, handover.account_id)
    person = session.get_one(Person, handover.person_id)
    waiting = [
        (c.id, c.side.value, c.action)
        for c in _held(session, account_id=account.id, person_id=person.id)
        if c.needs_owner_since is not None
    ]
    handed = [
        (int(commitment_id), owner)
        for commitment_id, owner in session.execute(
            select(Commitment.id, Person.user_id)
            .join(Person, Person.id == Commitment.owner_id)
            .where(Commitment.id.in_(_handed_ids(session, handover)))
            .order_by(Commitment.id)
        )
    ]
    return HandoverView(
        handover_id=handover.id,
        account=account.name,
        shared_channel_id=account.shared_channel_id,
        person_user_id=person.user_id,
        reason=handover.reason,
        needs_champion=handover.was_champion and account.champion_user_id == person.user_id,
        champion_user_id=account.champion_user_id,
        waiting=waiting,
        handed=handed,
        closed=handover.closed_at is not None,
    )


def _handed_ids(session: Session, handover: Handover) -> list[int]:
    """The commitments handed on from this hand-over, read from the diary entries that record it."""
    return [
        int(commitment_id)
        for commitment_id in session.scalars(
            select(DiaryEntry.commitment_id).where(
                DiaryEntry.account_id == handover.account_id,
                DiaryEntry.kind == "handed_over",
                DiaryEntry.dedupe_key.like(f"handover:{handover.id}:commitment:%"),
            )
        )
        if commitment_id is not None
    ]


def redraw(sessions: sessionmaker[Session], gateway: SlackGateway, handover_ids: list[int]) -> None:
    """The CSM's DM shows what is still waiting and what was handed to whom; a failed redraw leaves the
    old DM, whose pickers are refused politely once used (`hand_over_commitment`)."""
    for handover_id in dict.fromkeys(handover_ids):
        with sessions() as session:
            handover = session.get(Handover, handover_id)
            if handover is None or handover.channel_id is None or handover.message_ts is None:
                continue
            channel_id, ts = handover.channel_id, handover.message_ts
            view = _view(session, handover)
        try:
            gateway.update_message(channel=channel_id, ts=ts, text=ask_text(view), blocks=ask_blocks(view))
        except SlackDeliveryError as exc:
            log.warning("hand-over %s not redrawn: %s failed: %s", handover_id, exc.method, exc.error)


# --- handing over ---------------------------------------------------------------------------------------


@dataclass
class HandedOver:
    """What a hand-over changed: for the reply, the DMs to redraw and the plan to put to the champion."""

    account_id: int
    account: str
    to_user_id: str
    labels: list[str] = field(default_factory=list)
    champion: bool = False
    customer_changed: bool = False
    handover_ids: list[int] = field(default_factory=list)
    # Every customer commitment has an owner and the champion is in place: the plan can be put to them.
    ready_for_agreement: bool = False


def may_hand_over(actor: Actor, account: Account, handover: Handover | None) -> bool:
    """The CSM or an admin; and whoever the hand-over asked (the manager, when the CSM left)."""
    return may_manage(actor, account) or (
        handover is not None and not actor.is_external and actor.user_id == handover.ask_user_id
    )


def hand_over(
    session: Session,
    *,
    account: Account,
    commitments: list[Commitment],
    champion: bool,
    to: Person,
    actor: Actor,
    now: datetime,
    handover: Handover | None = None,
) -> HandedOver:
    """Give the commitments (and the champion's role) to `to`, in the caller's transaction.

    A commitment keeps its history; from now on its check-ins go to the new owner, starting from now
    (nothing is asked about the time it had no owner). A customer commitment with a new owner is a
    change to the customer's side of the plan, agreed to afresh.
    """
    if not may_hand_over(actor, account, handover):
        raise Refusal(manage_refusal(account))
    result = HandedOver(account_id=account.id, account=account.name, to_user_id=to.user_id)
    for commitment in commitments:
        if commitment.side is Side.VENDOR and to.is_external:
            raise Refusal(
                f"<@{to.user_id}> is not one of the vendor's own people, so they can't own the vendor's "
                f"commitment {commitment.label}. Choose someone of your organisation. Nothing was changed."
            )
        previous = commitment.owner.user_id
        source = _open_handover_of(session, account_id=account.id, person_id=commitment.owner_id)
        commitment.owner_id = to.id
        commitment.needs_owner_since = None
        commitment.next_checkin_at = None
        if commitment.scheduled_through is None or commitment.scheduled_through < now:
            commitment.scheduled_through = now
        if commitment.side is Side.CUSTOMER:
            commitment.agreed_at = None
            plan_changed(session, account)
            result.customer_changed = True
        session.flush()
        diary.record_about(
            session,
            commitment,
            kind="handed_over",
            text=f"{commitment.label} “{escape(commitment.action)}” was handed over from <@{previous}> to "
            f"<@{to.user_id}>.",
            at=now,
            actor_user_id=actor.user_id,
            # Marks which hand-over it settled (its DM lists it); handed on once per hand-over.
            dedupe_key=f"handover:{source.id}:commitment:{commitment.id}" if source else None,
        )
        result.labels.append(commitment.label)
    if champion and account.champion_user_id != to.user_id:
        previous_champion = account.champion_user_id
        account.champion_user_id = to.user_id
        account.next_review_at = None  # the review falls on the new champion's wall clock
        stop_customer_checkins(session, account)
        result.champion = result.customer_changed = True
        diary.record(
            session,
            account=account,
            kind="champion_changed",
            text=f"<@{to.user_id}> takes over from <@{previous_champion}> as {escape(account.name)}'s champion. "
            "The customer's check-ins resume once they agree to the plan.",
            at=now,
            actor_user_id=actor.user_id,
        )
    result.handover_ids = settle(session, account, now=now)
    result.ready_for_agreement = result.customer_changed and ready_for_agreement(session, account)
    return result


def _open_handover_of(session: Session, *, account_id: int, person_id: int) -> Handover | None:
    return session.scalar(
        select(Handover).where(
            Handover.account_id == account_id, Handover.person_id == person_id, Handover.closed_at.is_(None)
        )
    )


def settle(session: Session, account: Account, *, now: datetime) -> list[int]:
    """Close the account's hand-overs with nothing left waiting; the IDs of all that were open (their
    DMs are redrawn)."""
    touched: list[int] = []
    for handover in session.scalars(
        select(Handover).where(Handover.account_id == account.id, Handover.closed_at.is_(None))
    ):
        touched.append(handover.id)
        person = session.get_one(Person, handover.person_id)
        waiting = any(
            c.needs_owner_since is not None
            for c in _held(session, account_id=account.id, person_id=person.id)
        )
        champion_missing = handover.was_champion and account.champion_user_id == person.user_id
        if not waiting and not champion_missing:
            handover.closed_at = now
    return touched


def ready_for_agreement(session: Session, account: Account) -> bool:
    """No customer commitment still waits for an owner and the champion is not someone who left."""
    waiting = session.scalar(
        select(Commitment.id).where(
            Commitment.account_id == account.id,
            Commitment.side == Side.CUSTOMER,
            Commitment.status.in_(LIVE),
            Commitment.needs_owner_since.is_not(None),
        )
    )
    champion_gone = session.scalar(
        select(Handover.id)
        .join(Person, Person.id == Handover.person_id)
        .where(
            Handover.account_id == account.id,
            Handover.closed_at.is_(None),
            Handover.was_champion.is_(True),
            Person.user_id == account.champion_user_id,
        )
    )
    return waiting is None and champion_gone is None


def open_handover(session: Session, handover_id: int, *, team_id: str) -> Handover:
    handover = session.get(Handover, handover_id)
    if handover is None or handover.team_id != team_id:
        raise Refusal("I can't find that hand-over any more.")
    return handover


def waiting_commitment(session: Session, handover: Handover, commitment_id: int) -> Commitment:
    """The commitment a picker names, if it still waits for a new owner from this hand-over."""
    commitment = session.get(Commitment, commitment_id)
    if (
        commitment is None
        or commitment.account_id != handover.account_id
        or commitment.owner_id != handover.person_id
        or commitment.needs_owner_since is None
    ):
        raise Refusal(
            f"#{commitment_id} no longer waits for a new owner (it was handed over or closed). Nothing was changed."
        )
    return commitment
