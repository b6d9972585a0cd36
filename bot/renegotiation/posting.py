"""Putting a proposal to the other side, and telling people what became of it.

The vendor's side is asked in the CSM's DM (and the manager's, once a working day passed unanswered).
The customer's side is asked where the champion's check-ins go (`bot.checkins.delivery`): their DM,
or the account's shared channel mentioning them — and the channel too when a DM is refused. A question
Slack refuses is written in the diary and the proposer is told in plain words, never Slack's code.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins import delivery
from bot.checkins.answers import load as load_checkin
from bot.checkins.answers import message_views
from bot.checkins.message import message_blocks, message_text
from bot.diary import entries as diary
from bot.renegotiation.message import QuestionView, question_blocks, question_text
from bot.renegotiation.proposals import (
    OPEN,
    Outcome,
    Proposed,
    claim_manager_question,
    expire,
    load,
    other,
)
from bot.slack.errors import ambiguous, cannot_dm, plain
from bot.slack.gateway import PostedMessage, SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Commitment, Person, Proposal, Side

log = logging.getLogger(__name__)


def _view(proposal: Proposal, commitment: Commitment, *, addressed_to: str) -> QuestionView:
    return QuestionView(
        proposal_id=proposal.id,
        account_name=commitment.account.name,
        commitment_label=commitment.label,
        side=commitment.side.value,
        action=commitment.action,
        owner_user_id=commitment.owner.user_id,
        proposed_by=proposal.proposed_by,
        proposer_side=proposal.proposer_side.value,
        old_schedule=proposal.old_schedule_text,
        new_schedule=proposal.new_schedule_text,
        reason=proposal.reason,
        addressed_to=addressed_to,
        state=proposal.state,
        answered_by=proposal.answered_by,
        answer_note=proposal.answer_note,
    )


def _person(session: Session, account: Account, user_id: str) -> Person | None:
    return session.scalar(select(Person).where(Person.team_id == account.team_id, Person.user_id == user_id))


def post_question(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, proposal_id: int, now: datetime
) -> str | None:
    """Ask the other side; None when asked, else the plain reason it could not be (also in the diary)."""
    with sessions() as session:
        found = load(session, proposal_id)
        assert found is not None
        proposal, commitment = found
        account = commitment.account
        if other(proposal.proposer_side) is Side.VENDOR:
            asked, place, external = account.csm_user_id, delivery.DM, False
        else:
            asked = account.champion_user_id
            person = _person(session, account, asked)
            external = person.is_external if person is not None else True
            # Someone never seen yet goes by the account's setting.
            setting = (
                account.checkin_delivery if account.checkin_delivery in delivery.SETTINGS else delivery.AUTO
            )
            place = (
                delivery.place_for(person, account, now=now)
                if person is not None
                else delivery.place_of(setting, dm_retry_at=None, now=now)
            )
        view = _view(proposal, commitment, addressed_to=asked)
        shared = account.shared_channel_id
    text, blocks = question_text(view), question_blocks(view)
    try:
        posted = _post(gateway, asked, shared, place=place, external=external, text=text, blocks=blocks)
    except SlackDeliveryError as exc:
        log.warning("proposal %s not put to %s: %s failed: %s", proposal_id, asked, exc.method, exc.error)
        with sessions.begin() as session:
            found = load(session, proposal_id)
            assert found is not None
            diary.record_about(
                session,
                found[1],
                kind="renegotiation_undelivered",
                text=f"The proposal could not be put to <@{asked}>: {plain(exc.error)}. They can still answer "
                "it once it reaches them; until then it lapses after two working days.",
                at=now,
                dedupe_key=f"proposal:{proposal_id}:undelivered",
            )
        return f"I couldn't put it to <@{asked}>: {plain(exc.error)}."
    with sessions.begin() as session:
        session.execute(
            update(Proposal)
            .where(Proposal.id == proposal_id, Proposal.message_ts.is_(None))
            .values(channel_id=posted.channel, message_ts=posted.ts)
        )
    return None


def _post(
    gateway: SlackGateway,
    user_id: str,
    shared_channel: str,
    *,
    place: str,
    external: bool,
    text: str,
    blocks: list[dict[str, object]],
) -> PostedMessage:
    """A DM, or the shared channel (also when the DM is refused for good)."""
    if place == delivery.DM:
        try:
            return gateway.post_message(user_id, text=text, blocks=blocks)
        except SlackDeliveryError as exc:
            if ambiguous(exc.error) or not cannot_dm(exc.error, external=external):
                raise
            log.info("proposal DM to %s refused (%s): asking in the shared channel", user_id, exc.error)
    return gateway.post_message(shared_channel, text=text, blocks=blocks)


def redraw_question(sessions: sessionmaker[Session], gateway: SlackGateway, *, proposal_id: int) -> None:
    """The question shows its answer in place of the buttons; a refused redraw is only logged (the
    answer is on record and the proposer is told separately)."""
    with sessions() as session:
        found = load(session, proposal_id)
        if found is None:
            return
        proposal, commitment = found
        if proposal.channel_id is None or proposal.message_ts is None:
            return
        account = commitment.account
        asked = (
            account.csm_user_id if other(proposal.proposer_side) is Side.VENDOR else account.champion_user_id
        )
        view = _view(proposal, commitment, addressed_to=asked)
        channel, ts = proposal.channel_id, proposal.message_ts
    try:
        gateway.update_message(channel=channel, ts=ts, text=question_text(view), blocks=question_blocks(view))
    except SlackDeliveryError as exc:
        log.warning("proposal %s not redrawn: %s failed: %s", proposal_id, exc.method, exc.error)


def redraw_checkin(sessions: sessionmaker[Session], gateway: SlackGateway, *, checkin_id: int) -> None:
    """The check-in the accepted proposal replaced shows it was renegotiated, without its buttons."""
    with sessions() as session:
        checkin = load_checkin(session, checkin_id)
        if checkin is None or checkin.channel_id is None or checkin.message_ts is None:
            return
        views = message_views(session, channel_id=checkin.channel_id, message_ts=checkin.message_ts)
        channel, ts = checkin.channel_id, checkin.message_ts
    try:
        gateway.update_message(channel=channel, ts=ts, text=message_text(views), blocks=message_blocks(views))
    except SlackDeliveryError as exc:
        log.warning("renegotiated check-in %s not redrawn: %s failed: %s", checkin_id, exc.method, exc.error)


def tell_proposer(sessions: sessionmaker[Session], gateway: SlackGateway, outcome: Outcome) -> None:
    """A DM; a customer a DM can't reach is told in the shared channel, mentioning them."""
    try:
        gateway.post_message(outcome.proposer_user_id, text=outcome.text)
        return
    except SlackDeliveryError as exc:
        log.info("proposer %s not told by DM: %s %s", outcome.proposer_user_id, exc.method, exc.error)
        if outcome.proposer_side is not Side.CUSTOMER:
            return
    with sessions() as session:
        account = session.get_one(Account, outcome.account_id)
        channel = account.shared_channel_id
    try:
        gateway.post_message(channel, text=f"<@{outcome.proposer_user_id}> {outcome.text}")
    except SlackDeliveryError as exc:
        log.warning("proposer %s not told: %s failed: %s", outcome.proposer_user_id, exc.method, exc.error)


def settled(sessions: sessionmaker[Session], gateway: SlackGateway, outcome: Outcome) -> None:
    """After an answer or a lapse: the question and the replaced check-in redrawn, the proposer told."""
    redraw_question(sessions, gateway, proposal_id=outcome.proposal_id)
    if outcome.checkin_id is not None:
        redraw_checkin(sessions, gateway, checkin_id=outcome.checkin_id)
    tell_proposer(sessions, gateway, outcome)


def follow_up(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """The clock's step: ask the manager about proposals a working day unanswered, lapse those two
    working days unanswered. Returns how many lapsed."""
    with sessions() as session:
        to_ask = list(
            session.scalars(
                select(Proposal.id).where(
                    Proposal.state == OPEN, Proposal.manager_asked.is_(False), Proposal.manager_at <= now
                )
            )
        )
        lapsing = list(
            session.scalars(select(Proposal.id).where(Proposal.state == OPEN, Proposal.expires_at <= now))
        )
    for proposal_id in to_ask:
        if proposal_id not in lapsing and claim_manager_question(sessions, proposal_id, now=now):
            _ask_manager(sessions, gateway, proposal_id=proposal_id, now=now)
    lapsed = 0
    for proposal_id in lapsing:
        outcome = expire(sessions, proposal_id, now=now)
        if outcome is not None:
            lapsed += 1
            settled(sessions, gateway, outcome)
    return lapsed


def _ask_manager(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, proposal_id: int, now: datetime
) -> None:
    with sessions() as session:
        found = load(session, proposal_id)
        assert found is not None
        proposal, commitment = found
        manager = commitment.account.manager_user_id
        if manager is None:
            return
        view = _view(proposal, commitment, addressed_to=manager)
    note = (
        f"<@{manager}>, this proposal has waited a working day for <@{commitment.account.csm_user_id}>. "
        "You can answer it too."
    )
    try:
        gateway.post_message(manager, text=note + " " + question_text(view), blocks=question_blocks(view))
    except SlackDeliveryError as exc:
        log.warning(
            "manager %s not asked about proposal %s: %s failed: %s",
            manager,
            proposal_id,
            exc.method,
            exc.error,
        )
        with sessions.begin() as session:
            found = load(session, proposal_id)
            assert found is not None
            diary.record_about(
                session,
                found[1],
                kind="renegotiation_undelivered",
                text=f"The manager <@{manager}> could not be asked about the proposal: {plain(exc.error)}.",
                at=now,
                private=True,
                dedupe_key=f"proposal:{proposal_id}:manager_undelivered",
            )


def proposed_reply(
    sessions: sessionmaker[Session], gateway: SlackGateway, proposed: Proposed, *, now: datetime
) -> str:
    """Put the new proposal to the other side and say to the proposer what happens next."""
    problem = post_question(sessions, gateway, proposal_id=proposed.proposal_id, now=now)
    reply = (
        f"Proposed: {proposed.commitment_label} {escape(proposed.new_schedule_text)}. "
        + (f"{proposed.due_note} " if proposed.due_note else "")
        + f"<@{proposed.answerer_user_id}> is asked to accept or decline; unanswered for two working days, "
        "the original date stands."
    )
    return reply + (f" {problem}" if problem else "")
