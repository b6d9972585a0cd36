"""The at-risk lifecycle of an account: cleared by its CSM or an admin with a reason, and counted.

An account goes at risk when a customer commitment's slip is raised to the manager (see
`episodes.ensure_episode`); each such raised episode is one *at-risk episode*. Slipping once or twice
can be a bad quarter; by the third time in 180 days the account is dying, so the third (and every
later) episode says so, pointing at the autopsies already held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.diary import entries as diary
from bot.errors import Refusal
from bot.slack.mrkdwn import escape
from models import Account, Autopsy, Escalation
from models.db import rows_changed

REPEAT_WINDOW = timedelta(days=180)
REPEAT_FROM = 3  # the third episode in the window is called out, and every later one
AT_RISK_KIND = "customer_slip"
MAX_REASON = 500

ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}

NOT_AT_RISK = "{name} is not marked at risk. Nothing was changed."
REASON_NEEDED = "Say why the risk is cleared; the reason goes into the diary and the digest."


def ordinal(n: int) -> str:
    return ORDINALS.get(n, f"{n}th")


def clear_risk(session: Session, account: Account, *, by: str, reason: str, now: datetime) -> None:
    """Clears the mark once: a guarded UPDATE, so of two people clearing at once one is recorded and
    the other hears it was not at risk any more. The caller has checked who may."""
    reason = reason.strip()
    if not reason:
        raise Refusal(REASON_NEEDED)
    moved = rows_changed(
        session,
        update(Account)
        .where(Account.id == account.id, Account.at_risk.is_(True))
        .values(
            at_risk=False, risk_cleared_at=now, risk_cleared_by=by, risk_cleared_reason=reason[:MAX_REASON]
        ),
    )
    if moved != 1:
        raise Refusal(NOT_AT_RISK.format(name=escape(account.name)))
    session.refresh(account)
    diary.record(
        session,
        account=account,
        kind="risk_cleared",
        text=f"<@{by}> cleared the at-risk mark on {escape(account.name)}: {escape(reason[:MAX_REASON])}",
        at=now,
        actor_user_id=by,
    )


def may_clear(account: Account, *, user_id: str, admins: frozenset[str]) -> None:
    """The account's CSM or an admin; anyone else is refused before anything is written."""
    if user_id in admins or user_id == account.csm_user_id:
        return
    raise Refusal(
        f"Only <@{account.csm_user_id}>, the CSM of {escape(account.name)}, or an accountability admin "
        "can clear its at-risk mark."
    )


@dataclass(frozen=True)
class Repeat:
    """An account at risk again and again: the n-th episode in the window, since when, and the
    autopsies already held meanwhile (their dates: a modal has no message to link to)."""

    account_id: int
    account: str
    times: int
    since: datetime
    autopsies: tuple[datetime, ...]

    def words(self, tz: ZoneInfo) -> str:
        return f"{ordinal(self.times).capitalize()} time at risk since {self.since.astimezone(tz):%B}"

    def phrase(self, tz: ZoneInfo) -> str:
        """The same words inside a line: "third time at risk since June"."""
        return f"{ordinal(self.times)} time at risk since {self.since.astimezone(tz):%B}"

    def pointer(self, tz: ZoneInfo) -> str:
        """Where the earlier autopsies are: their dates, and the diary command that shows them."""
        since: date = self.since.astimezone(tz).date()
        diary_cmd = f"`/accountability diary {self.account} since {since:%Y-%m-%d}`"
        if not self.autopsies:
            return f"No autopsy was held after the earlier episodes; the record is in {diary_cmd}."
        dates = ", ".join(f"{a.astimezone(tz):%d %b %Y}" for a in self.autopsies)
        plural = "ies" if len(self.autopsies) != 1 else "y"
        return f"Earlier autops{plural}: {dates} — in {diary_cmd}."


def _raised_times(
    session: Session, account_ids: list[int], *, start: datetime, end: datetime
) -> dict[int, list[datetime]]:
    rows = session.execute(
        select(Escalation.account_id, Escalation.raised_at)
        .where(
            Escalation.account_id.in_(account_ids),
            Escalation.kind == AT_RISK_KIND,
            Escalation.raised_at.is_not(None),
            Escalation.raised_at > start,
            Escalation.raised_at <= end,
        )
        .order_by(Escalation.raised_at)
    ).all()
    times: dict[int, list[datetime]] = {}
    for account_id, raised_at in rows:
        assert raised_at is not None  # filtered above
        times.setdefault(account_id, []).append(raised_at)
    return times


def repeats(session: Session, accounts: list[Account], *, at: datetime) -> list[Repeat]:
    """Accounts whose at-risk episodes in the 180 days up to `at` number three or more."""
    ids = [a.id for a in accounts]
    names = {a.id: a.name for a in accounts}
    times = _raised_times(session, ids, start=at - REPEAT_WINDOW, end=at)
    counted = {account_id: raised for account_id, raised in times.items() if len(raised) >= REPEAT_FROM}
    if not counted:
        return []
    held = session.execute(
        select(Autopsy.account_id, Autopsy.created_at)
        .where(
            Autopsy.account_id.in_(list(counted)),
            Autopsy.created_at > at - REPEAT_WINDOW,
            Autopsy.created_at <= at,
        )
        .order_by(Autopsy.created_at)
    ).all()
    autopsies: dict[int, list[datetime]] = {}
    for account_id, created_at in held:
        autopsies.setdefault(account_id, []).append(created_at)
    return [
        Repeat(account_id, names[account_id], len(raised), raised[0], tuple(autopsies.get(account_id, [])))
        for account_id, raised in sorted(counted.items(), key=lambda item: names[item[0]].lower())
    ]


def repeat_of(session: Session, account: Account, episode: Escalation) -> Repeat | None:
    """The repeat this raised episode makes, counted up to its own raise (a redraw months later says
    what it said then)."""
    if episode.kind != AT_RISK_KIND or episode.raised_at is None:
        return None
    found = repeats(session, [account], at=episode.raised_at)
    return found[0] if found else None


@dataclass(frozen=True)
class RiskCleared:
    account: str
    at: datetime
    by: str
    reason: str


def cleared_between(
    session: Session, account_ids: list[int], *, start: datetime, end: datetime
) -> list[RiskCleared]:
    """The accounts whose at-risk mark was cleared in the period, with when, by whom and why."""
    rows = session.execute(
        select(Account.name, Account.risk_cleared_at, Account.risk_cleared_by, Account.risk_cleared_reason)
        .where(
            Account.id.in_(account_ids),
            Account.risk_cleared_at.is_not(None),
            Account.risk_cleared_at >= start,
            Account.risk_cleared_at < end,
        )
        .order_by(Account.risk_cleared_at)
    ).all()
    return [RiskCleared(name, at, by or "", reason or "") for name, at, by, reason in rows if at is not None]
