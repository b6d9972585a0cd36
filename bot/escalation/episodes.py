"""What the rules, the handling and the posting share about one escalation episode.

An episode is found by its key while it is unresolved (one post per commitment and kind), opened or
raised but never lowered, resolved by one guarded UPDATE whoever asks (the clock or a person), and
every step it takes is written to the diary with the same links.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.diary import entries as diary
from bot.slack.mrkdwn import escape
from models import Account, CheckIn, CheckInState, Commitment, DiaryEntry, Escalation, EscalationState, Side
from models.db import rows_changed

CLOSED = (CheckInState.ANSWERED, CheckInState.NO_RESPONSE)


def recent_checkins(session: Session, commitment_id: int, window: int) -> list[CheckIn]:
    """The commitment's last `window` closed check-ins, newest first."""
    return list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.commitment_id == commitment_id, CheckIn.state.in_(CLOSED))
            .order_by(CheckIn.scheduled_at.desc())
            .limit(window)
        )
    )


def open_episode(session: Session, *, account_id: int, key: str) -> Escalation | None:
    """The unresolved episode with this key: at most one, held so by a partial unique index."""
    return session.scalar(
        select(Escalation).where(
            Escalation.account_id == account_id,
            Escalation.episode_key == key,
            Escalation.state != EscalationState.RESOLVED,
        )
    )


class _Links(TypedDict):
    side: Side
    commitment_id: int | None
    escalation_id: int


class EntryExtras(TypedDict, total=False):
    actor_user_id: str | None
    dedupe_key: str | None


def _links(episode: Escalation) -> _Links:
    return {"side": episode.side, "commitment_id": episode.commitment_id, "escalation_id": episode.id}


def record_episode(
    session: Session,
    episode: Escalation,
    *,
    account: Account,
    kind: str,
    text: str,
    at: datetime,
    **extras: Unpack[EntryExtras],
) -> DiaryEntry | None:
    """A diary entry about the episode, linked to its side and commitment like every other step."""
    return diary.record(session, account=account, kind=kind, text=text, at=at, **_links(episode), **extras)


def ensure_episode(
    session: Session,
    *,
    account: Account,
    commitment: Commitment | None,
    kind: str,
    level: int,
    summary: str,
    now: datetime,
) -> int:
    """The open episode of this kind, opened or raised to `level` (never lowered)."""
    key = f"{commitment.id if commitment else 'account'}:{kind}"
    episode = open_episode(session, account_id=account.id, key=key)
    if episode is None:
        episode, fresh = _open_episode(
            session,
            account=account,
            commitment=commitment,
            kind=kind,
            key=key,
            level=level,
            summary=summary,
            now=now,
        )
        if not fresh:
            return episode.id
    elif level > episode.level:
        episode.level = level
        episode.raised_at = now
        what = f" (“{escape(commitment.action)}”)" if commitment else ""
        record_episode(
            session,
            episode,
            account=account,
            kind="escalation_raised",
            text=f"{summary}{what} The manager is now involved.",
            at=now,
        )
    episode.summary = summary  # the record moves on even when the level does not
    if level >= 2 and kind == "customer_slip" and not account.at_risk:
        account.at_risk = True
        diary.record(
            session,
            account=account,
            kind="account_at_risk",
            text=f"{escape(account.name)} is marked at risk.",
            at=now,
        )
    return episode.id


def _open_episode(
    session: Session,
    *,
    account: Account,
    commitment: Commitment | None,
    kind: str,
    key: str,
    level: int,
    summary: str,
    now: datetime,
) -> tuple[Escalation, bool]:
    """A new episode waiting for its first post (True), or the one another pass opened first (False)."""
    episode = Escalation(
        team_id=account.team_id,
        enterprise_id=account.enterprise_id,
        account_id=account.id,
        commitment_id=commitment.id if commitment else None,
        side=commitment.side if commitment else Side.CUSTOMER,
        kind=kind,
        episode_key=key,
        level=level,
        state=EscalationState.OPEN,
        opened_at=now,
        raised_at=now if level >= 2 else None,
        summary=summary,
        post_pending=True,
    )
    try:
        with session.begin_nested():
            session.add(episode)
            session.flush()
    except IntegrityError:
        # Several clocks may judge the same deadline at once: the partial unique index lets one
        # open the episode, and the others find it instead of crashing their pass.
        raced = open_episode(session, account_id=account.id, key=key)
        if raced is None:
            raise
        return raced, False
    return episode, True


def resolve_once(
    session: Session, episode: Escalation, *, account: Account, by: str | None, note: str, now: datetime
) -> bool:
    """Resolve once: a guarded UPDATE, so two Resolve submissions (or a submission racing the clock's
    auto-resolve) record one resolution. False when someone else already resolved it."""
    moved = rows_changed(
        session,
        update(Escalation)
        .where(Escalation.id == episode.id, Escalation.state != EscalationState.RESOLVED)
        .values(state=EscalationState.RESOLVED, resolved_by=by, resolved_at=now, resolution_note=note),
    )
    if moved != 1:
        return False
    session.refresh(episode)
    who = f" by <@{by}>" if by else ""
    record_episode(
        session,
        episode,
        account=account,
        kind="escalation_resolved",
        text=f"Escalation resolved{who}: {escape(note)}",
        at=now,
        actor_user_id=by,
    )
    return True


def resolve_for_done(session: Session, commitment: Commitment, *, now: datetime) -> list[int]:
    """A commitment that is done or cancelled leaves no escalation open: each of its open episodes
    resolves the moment it closes, with the words the clock would use, and is marked for its post to be
    redrawn (by the caller now, or by the clock's retry of pending posts if Slack fails). Returns the
    posted ones; one never posted stays unposted, as the clock leaves it."""
    resolved: list[int] = []
    episodes = session.scalars(
        select(Escalation).where(
            Escalation.commitment_id == commitment.id, Escalation.state != EscalationState.RESOLVED
        )
    )
    note = f"the commitment is {commitment.status.value}"
    for episode in list(episodes):
        posted = episode.message_ts is not None
        if resolve_once(session, episode, account=commitment.account, by=None, note=note, now=now) and posted:
            episode.post_pending = True
            resolved.append(episode.id)
    return resolved
