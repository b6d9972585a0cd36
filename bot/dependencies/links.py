"""Setting and clearing what a commitment waits on: same account only, never in a cycle, each change a
diary entry. Only the account's CSM or an admin may change it; a customer is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts.access import Actor, manage_refusal, may_manage
from bot.checkins.schedule import zone
from bot.dependencies.blocking import holding_up
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.slack.mrkdwn import escape
from models import Commitment, CommitmentStatus

ENDED = (CommitmentStatus.DONE, CommitmentStatus.CANCELLED)


def chain_from(commitment: Commitment) -> list[Commitment]:
    """The commitment, then what it waits on, and so on (stopping should a cycle ever be met)."""
    chain: list[Commitment] = []
    seen: set[int] = set()
    current: Commitment | None = commitment
    while current is not None and current.id not in seen:
        chain.append(current)
        seen.add(current.id)
        current = current.waits_on
    return chain


def cycle_refusal(waiting: Commitment, blocker: Commitment) -> str | None:
    """Why `waiting` may not wait on `blocker`, if that would close a loop; None otherwise."""
    if waiting.id == blocker.id:
        return f"{waiting.label} can't wait on itself."
    chain = chain_from(blocker)
    if any(c.id == waiting.id for c in chain):
        path = chain[: [c.id for c in chain].index(waiting.id) + 1]
        arrows = " → ".join(c.label for c in path)
        return (
            f"{blocker.label} already waits on {waiting.label} ({arrows}), so {waiting.label} can't wait on "
            f"{blocker.label}: neither could ever be done first. Nothing was changed."
        )
    return None


def _commitment(session: Session, commitment_id: int, *, team_id: str) -> Commitment:
    commitment = session.get(Commitment, commitment_id)
    if commitment is None or commitment.team_id != team_id:
        raise Refusal(f"There is no commitment #{commitment_id}. `/accountability list` shows the numbers.")
    return commitment


def _checked_pair(waiting: Commitment, blocker: Commitment) -> None:
    if blocker.account_id != waiting.account_id:
        raise Refusal(
            f"{blocker.label} belongs to another account; {waiting.label} can only wait on a commitment of "
            f"{escape(waiting.account.name)}. Nothing was changed."
        )
    if blocker.status in ENDED:
        raise Refusal(f"{blocker.label} is already {blocker.status.value}; there is nothing to wait on.")
    refusal = cycle_refusal(waiting, blocker)
    if refusal is not None:
        raise Refusal(refusal)


def link(
    session: Session, waiting: Commitment, blocker: Commitment, *, actor_user_id: str, at: datetime
) -> None:
    """Make `waiting` wait on `blocker` (already checked to be allowed), with its diary entry."""
    _checked_pair(waiting, blocker)
    waiting.waits_on_id = blocker.id
    waiting.waits_on = blocker
    diary.record_about(
        session,
        waiting,
        kind="dependency_set",
        text=f"{waiting.label} “{escape(waiting.action)}” waits on {blocker.label} ({blocker.side.value}: "
        f"“{escape(blocker.action)}”). While {blocker.label} is overdue, misses of {waiting.label} count "
        f"against the {blocker.side.value} side.",
        at=at,
        actor_user_id=actor_user_id,
    )


def depend(
    session: Session, *, waiting_id: int, blocker_id: int, team_id: str, actor: Actor, now: datetime
) -> str:
    waiting = _commitment(session, waiting_id, team_id=team_id)
    if not may_manage(actor, waiting.account):
        raise Refusal(manage_refusal(waiting.account))
    blocker = _commitment(session, blocker_id, team_id=team_id)
    if waiting.waits_on_id == blocker.id:
        return f"{waiting.label} already waits on {blocker.label}; nothing was changed."
    link(session, waiting, blocker, actor_user_id=actor.user_id, at=now)
    return (
        f"{waiting.label} now waits on {blocker.label} (“{escape(blocker.action)}”, {blocker.side.value}). "
        f"While {blocker.label} is overdue, misses of {waiting.label} count against the {blocker.side.value} side."
    )


def undepend(session: Session, *, waiting_id: int, team_id: str, actor: Actor, now: datetime) -> str:
    waiting = _commitment(session, waiting_id, team_id=team_id)
    if not may_manage(actor, waiting.account):
        raise Refusal(manage_refusal(waiting.account))
    blocker = waiting.waits_on
    if blocker is None:
        return f"{waiting.label} waits on nothing; nothing was changed."
    waiting.waits_on_id = None
    waiting.waits_on = None
    diary.record_about(
        session,
        waiting,
        kind="dependency_cleared",
        text=f"{waiting.label} “{escape(waiting.action)}” no longer waits on {blocker.label}; its misses count "
        "against its own side again.",
        at=now,
        actor_user_id=actor.user_id,
    )
    return f"{waiting.label} no longer waits on {blocker.label}."


def chain_lines(commitments: list[Commitment]) -> list[str]:
    """ "#12 waits on #7" for each open commitment of these that waits on another."""
    return [
        f"{c.label} waits on {c.waits_on.label}"
        for c in sorted(commitments, key=lambda c: c.id)
        if c.waits_on is not None and c.status not in ENDED
    ]


@dataclass(frozen=True)
class Chain:
    """One open commitment waiting on another, for the digest: "#12 waits on #7 (overdue since Tue)"."""

    account: str
    waiting_label: str
    blocker_label: str
    overdue: str | None  # "overdue since Tue", or None while the one waited on is on track

    def words(self) -> str:
        state = f" ({self.overdue})" if self.overdue else ""
        return f"{escape(self.account)} — {self.waiting_label} waits on {self.blocker_label}{state}"


def open_chains(session: Session, ids: list[int], names: dict[int, str], *, at: datetime) -> list[Chain]:
    """Every open commitment of these accounts that waits on another, the held-up ones first."""
    waiting = session.scalars(
        select(Commitment)
        .where(
            Commitment.account_id.in_(ids),
            Commitment.waits_on_id.is_not(None),
            Commitment.status.not_in(ENDED),
        )
        .order_by(Commitment.account_id, Commitment.id)
    )
    chains = []
    for commitment in waiting:
        assert commitment.waits_on is not None
        holdup = holding_up(session, commitment, at=at)
        overdue = None
        if holdup is not None:
            overdue = f"overdue since {holdup.since.astimezone(zone(holdup.blocker.owner.tz)):%a %d %b}"
        chains.append(
            Chain(names[commitment.account_id], commitment.label, commitment.waits_on.label, overdue)
        )
    return sorted(chains, key=lambda c: c.overdue is None)
