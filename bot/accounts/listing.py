"""`/accountability list`: what each account has agreed, what state each commitment is in, and what waits
on what. Kept-rates count a miss against the side it was charged to (bot/dependencies/sides.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.accounts.access import Actor, list_refusal, may_list
from bot.accounts.commitments import upcoming_checkins
from bot.accounts.registry import find_account
from bot.checkins.schedule import zone
from bot.dependencies.links import chain_lines
from bot.digest.scorecard import SCORE_WINDOW, KeptRate, kept_rates
from bot.errors import Refusal
from bot.slack.mrkdwn import escape
from models import Account, Commitment, CommitmentStatus, Side

MAX_ACCOUNTS_LISTED = 15


def commitment_state(commitment: Commitment) -> str:
    if commitment.status is CommitmentStatus.PAUSED:
        if commitment.paused_until is None:
            return "paused"
        return f"paused until {commitment.paused_until.astimezone(zone(commitment.owner.tz)):%a %d %b}"
    if commitment.status is not CommitmentStatus.ACTIVE:
        return commitment.status.value
    if commitment.side is Side.CUSTOMER and commitment.agreed_at is None:
        return "awaiting agreement"
    return "active"


def _next_checkin(commitment: Commitment, account: Account, now: datetime) -> str:
    if commitment_state(commitment) != "active":
        return ""
    tz = zone(commitment.owner.tz)
    found = upcoming_checkins(
        commitment,
        holiday_country=account.holiday_country,
        after=max(now, commitment.scheduled_through or now),
        count=1,
    )
    return f", next {found[0]:%a %d %b %H:%M} ({tz.key})" if found else ""


def _moved(commitment: Commitment) -> str:
    """How often both sides agreed to move it: serial renegotiation is worth seeing."""
    n = commitment.renegotiations or 0
    return f" · date moved {n} time{'s' if n != 1 else ''}" if n else ""


def account_listing(account: Account, now: datetime, rates: dict[tuple[int, Side], KeptRate]) -> str:
    lines = [
        f"*{escape(account.name)}* — champion <@{account.champion_user_id}>, CSM <@{account.csm_user_id}>"
    ]
    if account.desired_outcome:
        lines.append(f"Desired Outcome: {escape(account.desired_outcome)}")
    empty = KeptRate(0, 0)
    lines.append(
        f"Last 12 weeks: customer side {rates.get((account.id, Side.CUSTOMER), empty)} · "
        f"vendor side {rates.get((account.id, Side.VENDOR), empty)}"
    )
    if not account.commitments:
        lines.append("  _no commitments yet_")
    for commitment in account.commitments:
        lines.append(
            f"  {commitment.label} {commitment.side.value} · <@{commitment.owner.user_id}> — “{escape(commitment.action)}”, "
            f"{escape(commitment.schedule_text)} · *{commitment_state(commitment)}*{_next_checkin(commitment, account, now)}"
            + _moved(commitment)
        )
    chains = chain_lines(list(account.commitments))
    if chains:
        lines.append("  Waiting: " + " · ".join(chains))
    return "\n".join(lines)


def list_commitments(
    session: Session, *, account_name: str | None, team_id: str, actor: Actor, now: datetime
) -> str:
    if actor.is_external:
        raise Refusal("Customers see their plan in the shared channel and their check-ins in the App Home.")
    options = selectinload(Account.commitments).joinedload(Commitment.owner)
    if account_name is not None:
        account = find_account(session, team_id=team_id, name=account_name)
        if not may_list(session, actor, account):
            raise Refusal(list_refusal(account))
        return account_listing(account, now, kept_rates(session, [account.id], since=now - SCORE_WINDOW))
    query = select(Account).where(Account.team_id == team_id).options(options).order_by(Account.name_key)
    if not actor.is_admin:
        query = query.where(
            (Account.csm_user_id == actor.user_id) | (Account.manager_user_id == actor.user_id)
        )
    accounts = list(session.scalars(query.limit(MAX_ACCOUNTS_LISTED + 1)))
    if not accounts:
        return (
            "You are not the CSM or manager of any account yet. `/accountability list <Account>` shows "
            "an account you work on."
        )
    listed = accounts[:MAX_ACCOUNTS_LISTED]
    rates = kept_rates(session, [a.id for a in listed], since=now - SCORE_WINDOW)
    shown = [account_listing(a, now, rates) for a in listed]
    if len(accounts) > MAX_ACCOUNTS_LISTED:
        shown.append("…and more. Name an account to see it: `/accountability list <Account>`.")
    return "\n\n".join(shown)
