"""Telling people at once what a Blocked answer named: the owner of the commitment holding it up and the
account's CSM, or (for something not on the plan) the CSM, asked to add it. By DM; a DM Slack refuses
is logged and written in the vendor's private diary in plain words, never dropped."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.answers import load
from bot.diary import entries as diary
from bot.slack.errors import plain
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import CheckIn, Commitment

log = logging.getLogger(__name__)


def _about(checkin: CheckIn) -> str:
    commitment = checkin.commitment
    note = f"\n> {escape(checkin.note).replace(chr(10), chr(10) + '> ')}" if checkin.note else ""
    return (
        f"<@{commitment.owner.user_id}> answered *Blocked* on {commitment.label} “{escape(commitment.action)}” "
        f"({escape(commitment.account.name)}, {commitment.side.value} side){note}"
    )


def _send(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    checkin_id: int,
    user_id: str,
    text: str,
    why: str,
    now: datetime,
) -> bool:
    try:
        gateway.post_message(user_id, text=text)
        return True
    except SlackDeliveryError as exc:
        log.warning("%s not told by DM (%s): %s failed: %s", user_id, why, exc.method, exc.error)
        with sessions.begin() as session:
            checkin = load(session, checkin_id)
            assert checkin is not None
            diary.record_checkin(
                session,
                checkin,
                kind="blocker_not_told",
                text=f"<@{user_id}> could not be told by DM {why}: {plain(exc.error)}",
                at=now,
                private=True,
                dedupe_key=f"checkin:{checkin_id}:blocker_not_told:{user_id}",
            )
        return False


def tell_named_blocker(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, checkin_id: int, now: datetime
) -> None:
    """The blocking commitment's owner and the CSM hear that it is holding something up."""
    with sessions() as session:
        checkin = load(session, checkin_id)
        if checkin is None or checkin.blocked_by_commitment_id is None:
            return
        blocker = session.get_one(Commitment, checkin.blocked_by_commitment_id)
        about = _about(checkin)
        side = (checkin.charged_side or blocker.side).value
        owner_text = (
            f"{about}\nThey named your commitment {blocker.label} “{escape(blocker.action)}” as what is holding "
            f"it up, so this miss counts against the {side} side. Can you unblock it, or say when?"
        )
        csm_text = (
            f"{about}\nNamed as the blocker: {blocker.label} “{escape(blocker.action)}” "
            f"(<@{blocker.owner.user_id}>, {blocker.side.value} side). The miss counts against the {side} side."
        )
        recipients = {blocker.owner.user_id: owner_text}
        recipients.setdefault(checkin.commitment.account.csm_user_id, csm_text)
    for user_id, text in recipients.items():
        _send(
            sessions,
            gateway,
            checkin_id=checkin_id,
            user_id=user_id,
            text=text,
            why=f"that #{blocker.id} is holding up #{checkin.commitment_id}",
            now=now,
        )


def ask_csm_to_add(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, checkin_id: int, now: datetime
) -> None:
    """Something not on the plan held it up: the CSM is asked to add it, so it can be tracked."""
    with sessions() as session:
        checkin = load(session, checkin_id)
        if checkin is None:
            return
        commitment = checkin.commitment
        csm = commitment.account.csm_user_id
        text = (
            f"{_about(checkin)}\nWhat is holding it up is *not on the plan*. Please add it, so both sides can "
            f"see it: `/accountability commit …`, then `/accountability depend {commitment.label} on #<new>`."
        )
        label = commitment.label
    _send(
        sessions,
        gateway,
        checkin_id=checkin_id,
        user_id=csm,
        text=text,
        why=f"that {label} is held up by something not on the plan",
        now=now,
    )
