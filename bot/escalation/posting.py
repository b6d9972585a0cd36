"""Telling Slack what the rules changed: the nudge DMs, and one post per episode, updated in place as
it is raised, acknowledged or resolved.

A post Slack refuses is never dropped: the episode stays `post_pending` and every clock pass tries
again; a permanent refusal (not in the channel, archived…) is also told to the CSM by DM and written
in the diary. Every Slack call that fails is logged with its method and error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.schedule import zone
from bot.dependencies.blocking import holding_up_words
from bot.errors import Refusal
from bot.escalation.episodes import recent_checkins, record_episode
from bot.escalation.message import EscalationView, escalation_blocks, escalation_text
from bot.escalation.policy import Policy, policy_of
from bot.escalation.risk import AT_RISK_KIND, repeat_of
from bot.escalation.rules import Nudge, evaluate
from bot.slack.errors import Failure, classify, plain
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Answer, CheckIn, Commitment, Escalation, EscalationState, Person, Side
from models.db import rows_changed

log = logging.getLogger(__name__)

# A first post claimed this long ago by a pass that never recorded it: that pass died.
ABANDONED_POST = timedelta(minutes=10)

POST_NOT_REDRAWN = "That is recorded, but I couldn't update the escalation post just now; it will show on the post's next update."


def run_rules(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """Evaluate newly closed check-ins and due dates; publish what changed. Returns episodes touched."""
    changes = evaluate(sessions, now=now)
    for nudge in changes.nudges:
        _send_nudge(gateway, nudge)
    for escalation_id in sorted(changes.touched):
        publish(sessions, gateway, escalation_id, now=now)
    return len(changes.touched)


def _send_nudge(gateway: SlackGateway, nudge: Nudge) -> None:
    try:
        gateway.post_message(nudge.user_id, text=nudge.text)
    except SlackDeliveryError as exc:
        # The nudge is courtesy; the miss itself is already in the diary.
        log.warning("nudge to %s not sent: %s failed: %s", nudge.user_id, exc.method, exc.error)


def mark(checkin: CheckIn) -> str:
    if checkin.answer is Answer.DONE:
        return "✓"
    if checkin.answer is Answer.PARTLY:
        return "◐"
    return "✗"


class _About(TypedDict, total=False):
    """What the post says beyond the episode itself: its commitment's record, or the linked episodes."""

    owner_user_id: str
    action: str
    marks: str | None
    agreed: str | None
    last_note: str | None
    linked: str | None
    holding_up: str | None


def view_of(session: Session, episode: Escalation) -> EscalationView:
    account = session.get_one(Account, episode.account_id)
    commitment = session.get(Commitment, episode.commitment_id) if episode.commitment_id else None
    about = (
        _commitment_record(session, commitment, policy_of(account))
        if commitment is not None
        else _About(linked=_linked(session, episode, account))
    )
    return EscalationView(
        escalation_id=episode.id,
        kind=episode.kind,
        level=episode.level,
        state=episode.state.value,
        account_name=account.name,
        side=episode.side.value,
        summary=episode.summary or "",
        mentions=_mentions(account, level=episode.level),
        **about,
        acknowledged=f"Acknowledged by <@{episode.acknowledged_by}>." if episode.acknowledged_by else None,
        resolved=_resolution(episode),
        at_risk=account.at_risk and episode.kind == AT_RISK_KIND and episode.level >= 2,
        **_risk_record(session, account, episode),
    )


class _Risk(TypedDict, total=False):
    repeat: str | None
    risk_cleared: str | None


def _risk_record(session: Session, account: Account, episode: Escalation) -> _Risk:
    """A raised slip that makes the third at-risk episode in 180 days says so; one whose mark was
    cleared since says by whom and why."""
    if episode.kind != AT_RISK_KIND or episode.raised_at is None:
        return _Risk()
    tz = zone(
        session.scalar(
            select(Person.tz).where(Person.team_id == account.team_id, Person.user_id == account.csm_user_id)
        )
    )
    repeat = repeat_of(session, account, episode)
    cleared = None
    if (
        not account.at_risk
        and account.risk_cleared_at is not None
        and account.risk_cleared_at >= episode.raised_at
    ):
        cleared = (
            f"At-risk mark cleared by <@{account.risk_cleared_by}> on {account.risk_cleared_at.astimezone(tz):%d %b}: "
            f"{escape(account.risk_cleared_reason or '')}"
        )
    return _Risk(
        repeat=f"*{repeat.words(tz)}.* {escape(repeat.pointer(tz))}" if repeat else None,
        risk_cleared=cleared,
    )


def _commitment_record(session: Session, commitment: Commitment, policy: Policy) -> _About:
    recent = recent_checkins(session, commitment.id, policy.window)
    agreed = None
    if commitment.side is Side.CUSTOMER:
        agreed = (
            f"The customer agreed to this commitment on {commitment.agreed_at.astimezone(zone(commitment.owner.tz)):%d %b %Y}."
            if commitment.agreed_at
            else "The customer has not agreed to this commitment yet."
        )
    last_note = session.scalar(
        select(CheckIn.note)
        .where(CheckIn.commitment_id == commitment.id, CheckIn.note.is_not(None))
        .order_by(CheckIn.scheduled_at.desc())
        .limit(1)
    )
    return _About(
        owner_user_id=commitment.owner.user_id,
        action=commitment.action,
        marks=" ".join(mark(c) for c in reversed(recent)) or None,
        agreed=agreed,
        last_note=last_note,
        holding_up=holding_up_words(session, commitment),
    )


def _linked(session: Session, episode: Escalation, account: Account) -> str | None:
    """An account-wide episode names the commitment episodes it spans."""
    others = session.scalars(
        select(Escalation).where(
            Escalation.account_id == account.id,
            Escalation.state != EscalationState.RESOLVED,
            Escalation.id != episode.id,
        )
    ).all()
    if not others:
        return None
    return "Related open escalations: " + ", ".join(f"#{e.id} ({e.kind.replace('_', ' ')})" for e in others)


def _mentions(account: Account, *, level: int) -> str:
    if level < 2:
        return f"<@{account.csm_user_id}>"
    manager = (
        f"<@{account.manager_user_id}> (manager)"
        if account.manager_user_id
        else "the manager (none is set for this account)"
    )
    return f"{manager} and <@{account.csm_user_id}>"


def _resolution(episode: Escalation) -> str | None:
    if episode.state is not EscalationState.RESOLVED:
        return None
    by = f" by <@{episode.resolved_by}>" if episode.resolved_by else ""
    return f"Resolved{by}: {escape(episode.resolution_note or '')}"


@dataclass(frozen=True)
class _Post:
    view: EscalationView
    channel: str
    ts: str | None


def publish(
    sessions: sessionmaker[Session], gateway: SlackGateway, escalation_id: int, *, now: datetime
) -> bool:
    """Post the episode once; every later change updates that same message. True when Slack has it.

    The first post is claimed with a guarded UPDATE, so two clocks never post one episode twice; only
    a clock that dies between posting and recording can (the post is then made again once the claim
    is ten minutes old — a second copy beats none).
    """
    post = _read_post(sessions, escalation_id, now=now)
    if post is None:
        return False  # another pass is posting it right now
    text, blocks = escalation_text(post.view), escalation_blocks(post.view)
    try:
        if post.ts is None:
            posted = gateway.post_message(post.channel, text=text, blocks=blocks)
            _posted(sessions, escalation_id, channel=posted.channel, ts=posted.ts, now=now)
        else:
            gateway.update_message(channel=post.channel, ts=post.ts, text=text, blocks=blocks)
            with sessions.begin() as session:
                session.execute(
                    update(Escalation)
                    .where(Escalation.id == escalation_id)
                    .values(post_pending=False, post_error=None)
                )
    except SlackDeliveryError as exc:
        _post_failed(sessions, gateway, escalation_id, failure=exc, now=now)
        return False
    return True


def redraw(
    sessions: sessionmaker[Session], gateway: SlackGateway, escalation_id: int, *, now: datetime
) -> None:
    """The post after a person's change is already recorded: if the database fails now, no record is
    lost, but the person is told the post lags behind it."""
    try:
        publish(sessions, gateway, escalation_id, now=now)
    except SQLAlchemyError as exc:
        log.exception("escalation %s changed but not redrawn", escalation_id)
        raise Refusal(POST_NOT_REDRAWN) from exc


def redraw_resolved(
    sessions: sessionmaker[Session], gateway: SlackGateway, escalation_ids: list[int], *, now: datetime
) -> None:
    """Posts of episodes a person's action just resolved. Each stays `post_pending` until its update
    lands, so one Slack refuses now is redrawn by the clock's next pass instead."""
    for escalation_id in escalation_ids:
        try:
            publish(sessions, gateway, escalation_id, now=now)
        except SQLAlchemyError:
            log.exception("escalation %s resolved but not redrawn; the clock retries it", escalation_id)


def _read_post(sessions: sessionmaker[Session], escalation_id: int, *, now: datetime) -> _Post | None:
    """What to post and where; None when another pass holds the claim on the first post."""
    with sessions.begin() as session:
        episode = session.get_one(Escalation, escalation_id)
        if episode.message_ts is None:
            claimed = rows_changed(
                session,
                update(Escalation)
                .where(Escalation.id == escalation_id, Escalation.message_ts.is_(None))
                .where(
                    (Escalation.post_claimed_at.is_(None))
                    | (Escalation.post_claimed_at < now - ABANDONED_POST)
                    | (Escalation.post_pending.is_(True))
                )
                .values(post_claimed_at=now, post_pending=False, post_attempts=Escalation.post_attempts + 1),
            )
            if claimed != 1:
                return None
            session.refresh(episode)
        channel = episode.channel_id or session.get_one(Account, episode.account_id).escalation_channel_id
        return _Post(view=view_of(session, episode), channel=channel, ts=episode.message_ts)


def _posted(
    sessions: sessionmaker[Session], escalation_id: int, *, channel: str, ts: str, now: datetime
) -> None:
    """Recorded with its message; only now does the diary say the vendor's team was told."""
    with sessions.begin() as session:
        session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.message_ts.is_(None))
            .values(channel_id=channel, message_ts=ts, post_pending=False, post_error=None)
        )
        episode = session.get_one(Escalation, escalation_id)
        commitment = session.get(Commitment, episode.commitment_id) if episode.commitment_id else None
        what = f" (“{escape(commitment.action)}”)" if commitment else ""
        record_episode(
            session,
            episode,
            account=session.get_one(Account, episode.account_id),
            kind="escalation_opened",
            text=f"{episode.summary or ''}{what} Raised with the vendor's team"
            + (", manager included." if episode.level >= 2 else "."),
            at=now,
            dedupe_key=f"escalation:{episode.id}:opened",
        )


def _post_failed(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    escalation_id: int,
    *,
    failure: SlackDeliveryError,
    now: datetime,
) -> None:
    error = failure.error
    with sessions.begin() as session:
        episode = session.get_one(Escalation, escalation_id)
        episode.post_pending = True
        episode.post_error = error[:200]
        account = session.get_one(Account, episode.account_id)
        channel = episode.channel_id or account.escalation_channel_id
        tell = classify(error) is not Failure.TRANSIENT and not episode.post_problem_reported
        if tell:
            episode.post_problem_reported = True
            record_episode(
                session,
                episode,
                account=account,
                kind="escalation_unposted",
                text=f"{episode.summary or ''} An escalation was opened but could not be posted for the vendor's "
                f"team in <#{channel}> ({plain(error)}); the CSM was told and it is retried every minute.",
                at=now,
                dedupe_key=f"escalation:{episode.id}:unposted",
            )
        csm, name = account.csm_user_id, account.name
    log.warning(
        "escalation %s not posted in %s: %s failed: %s", escalation_id, channel, failure.method, error
    )
    if tell:
        _tell_csm(gateway, csm, escalation_id, channel=channel, name=name, error=error)


def _tell_csm(
    gateway: SlackGateway, csm: str, escalation_id: int, *, channel: str, name: str, error: str
) -> None:
    try:
        gateway.post_message(
            csm,
            text=f"I couldn't post an escalation about {escape(name)} in <#{channel}>: {plain(error)}. "
            "Invite me to the channel (or set another with `/accountability account edit`); I keep "
            "trying every minute, and it is in the diary meanwhile.",
        )
    except SlackDeliveryError as exc:
        log.warning(
            "could not tell %s about escalation %s: %s failed: %s", csm, escalation_id, exc.method, exc.error
        )


def retry_pending_posts(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """Every pass: the posts and updates Slack refused before, and first posts a dead clock left."""
    with sessions() as session:
        pending = list(
            session.scalars(
                select(Escalation.id)
                .where(
                    (Escalation.post_pending.is_(True))
                    | (Escalation.message_ts.is_(None) & (Escalation.post_claimed_at < now - ABANDONED_POST))
                )
                .where(~((Escalation.state == EscalationState.RESOLVED) & Escalation.message_ts.is_(None)))
                .order_by(Escalation.id)
            )
        )
    return sum(1 for escalation_id in pending if publish(sessions, gateway, escalation_id, now=now))
