"""Handing work on, from the CSM's hand-over DM (a user picker) or by `/accountability handover`.

Slack is asked about the new owner before the transaction opens (a Slack call never holds a lock);
the hand-over is one transaction, so a refusal leaves everything as it was. After it, the CSM's DMs
are redrawn and, once every customer commitment has an owner and the champion is in place, the new
version of the plan is put to the champion: their "I agree" restarts the customer's check-ins.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Actor, manage_refusal
from bot.accounts.agreements import post_agreement
from bot.accounts.people import fetch_profiles, upsert_person
from bot.errors import Refusal
from bot.people.handover import (
    LIVE,
    HandedOver,
    hand_over,
    may_hand_over,
    open_handover,
    redraw,
    waiting_commitment,
)
from bot.slack.errors import plain
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import command_word, escape
from models import Account, Commitment, Handover, Person, Side

log = logging.getLogger(__name__)


@contextmanager
def _with_person(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    actor: Actor,
    user_id: str,
    side: Side,
    now: datetime,
) -> Iterator[tuple[Session, Person]]:
    """One transaction with the person taking over stored from their Slack profile (a bot or a
    deactivated account is refused there)."""
    with sessions() as session:
        profiles = fetch_profiles(gateway, session, team_id=actor.team_id, user_ids=[user_id], now=now)
    with sessions.begin() as session:
        person = upsert_person(
            session,
            team_id=actor.team_id,
            enterprise_id=actor.enterprise_id,
            user_id=user_id,
            role_side=side,
            profile=profiles.get(user_id),
            now=now,
        )
        yield session, person


def pick_new_owner(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    actor: Actor,
    handover_id: int,
    commitment_id: int | None,
    to_user_id: str,
    now: datetime,
) -> HandedOver:
    """One picker of the hand-over DM: a commitment's new owner, or (`commitment_id` None) the new champion."""
    with sessions() as session:
        handover = open_handover(session, handover_id, team_id=actor.team_id)
        if handover.closed_at is not None:
            raise Refusal("Everything in this hand-over already has a new owner. Nothing was changed.")
        side = (
            Side.CUSTOMER
            if commitment_id is None
            else waiting_commitment(session, handover, commitment_id).side
        )
    with _with_person(sessions, gateway, actor=actor, user_id=to_user_id, side=side, now=now) as (
        session,
        to,
    ):
        handover = open_handover(session, handover_id, team_id=actor.team_id)
        account = session.get_one(Account, handover.account_id)
        if commitment_id is None:
            departed = session.get_one(Person, handover.person_id)
            if account.champion_user_id != departed.user_id:
                raise Refusal(
                    f"{escape(account.name)} already has a new champion, <@{account.champion_user_id}>. Nothing was changed."
                )
            commitments: list[Commitment] = []
        else:
            commitments = [waiting_commitment(session, handover, commitment_id)]
        return hand_over(
            session,
            account=account,
            commitments=commitments,
            champion=commitment_id is None,
            to=to,
            actor=actor,
            now=now,
            handover=handover,
        )


def hand_over_everything(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    actor: Actor,
    from_user_id: str,
    to_user_id: str,
    account_name: str | None,
    now: datetime,
) -> list[HandedOver]:
    """`handover @from @to [Account]`: everything `from` holds on the account (or on every account the
    actor may hand over on) — open commitments and the champion's role."""
    with sessions() as session:
        departed = session.scalar(
            select(Person).where(Person.team_id == actor.team_id, Person.user_id == from_user_id)
        )
        side = departed.side if departed is not None else Side.VENDOR
    with _with_person(sessions, gateway, actor=actor, user_id=to_user_id, side=side, now=now) as (
        session,
        to,
    ):
        results = [
            hand_over(
                session,
                account=account,
                commitments=commitments,
                champion=account.champion_user_id == from_user_id,
                to=to,
                actor=actor,
                now=now,
                handover=handover,
            )
            for account, commitments, handover in _holdings(
                session, actor=actor, departed=departed, from_user_id=from_user_id, account_name=account_name
            )
        ]
    return results


def _holdings(
    session: Session, *, actor: Actor, departed: Person | None, from_user_id: str, account_name: str | None
) -> list[tuple[Account, list[Commitment], Handover | None]]:
    owned = (
        select(Commitment.account_id).where(Commitment.owner_id == departed.id, Commitment.status.in_(LIVE))
        if departed is not None
        else None
    )
    query = select(Account).where(Account.team_id == actor.team_id)
    held = Account.champion_user_id == from_user_id
    query = query.where(or_(held, Account.id.in_(owned)) if owned is not None else held)
    if account_name is not None:
        query = query.where(Account.name_key == account_name.casefold())
    holdings: list[tuple[Account, list[Commitment], Handover | None]] = []
    refused: Account | None = None
    for account in session.scalars(query.order_by(Account.id)):
        handover = (
            session.scalar(
                select(Handover).where(
                    Handover.account_id == account.id,
                    Handover.person_id == departed.id,
                    Handover.closed_at.is_(None),
                )
            )
            if departed is not None
            else None
        )
        if not may_hand_over(actor, account, handover):
            refused = refused or account
            continue
        commitments = (
            list(
                session.scalars(
                    select(Commitment)
                    .where(
                        Commitment.account_id == account.id,
                        Commitment.owner_id == departed.id,
                        Commitment.status.in_(LIVE),
                    )
                    .order_by(Commitment.id)
                )
            )
            if departed is not None
            else []
        )
        holdings.append((account, commitments, handover))
    if not holdings:
        if refused is not None and account_name is not None:
            raise Refusal(manage_refusal(refused))
        where = f"on {escape(account_name)}" if account_name else "on the accounts you manage"
        raise Refusal(
            f"<@{from_user_id}> holds no open commitments and is no champion {where}. Nothing was changed."
        )
    return holdings


def follow_through(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    results: list[HandedOver],
    *,
    actor: Actor,
    now: datetime,
) -> str:
    """Redraw the CSM's DMs, put the plan to each champion it is ready for, and say what happened."""
    redraw(sessions, gateway, [h for result in results for h in result.handover_ids])
    return "\n".join(_said(sessions, gateway, result, actor=actor, now=now) for result in results)


def _said(
    sessions: sessionmaker[Session], gateway: SlackGateway, result: HandedOver, *, actor: Actor, now: datetime
) -> str:
    what = [*result.labels, *(["the champion's role"] if result.champion else [])]
    line = f"*{escape(result.account)}*: handed " + ", ".join(what) + f" over to <@{result.to_user_id}>."
    if not result.customer_changed:
        return line + " Their check-ins start from now."
    if not result.ready_for_agreement:
        return (
            line + " The customer's check-ins wait until every customer commitment has an owner and the "
            "champion agrees to the new plan."
        )
    try:
        posted = post_agreement(
            sessions, gateway, team_id=actor.team_id, account_name=result.account, actor=actor, now=now
        )
    except Refusal as refusal:
        return f"{line} The plan was not put to the champion: {refusal.message}"
    except SlackDeliveryError as exc:
        log.warning("plan for %s not posted after a hand-over: %s", result.account, exc.error)
        return (
            f"{line} I couldn't post the new plan ({plain(exc.error)}): "
            f"`/accountability agreement {command_word(result.account)}` posts it."
        )
    return f"{line} {posted} The customer's check-ins resume once they agree."
