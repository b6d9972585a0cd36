"""Rows written straight through the domain services, for tests that start after the commands."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Actor
from bot.accounts.commitments import Commit, create_commitment
from bot.accounts.people import upsert_person
from bot.accounts.registry import AccountAdd, create_account
from bot.checkins.recurrence import parse_recurrence
from models import Account, Answer, CheckIn, CheckInState, Commitment, Escalation, EscalationState, Side

VENDOR_TEAM = "T0VENDOR"


def csm_actor(user_id: str = "U0CSM") -> Actor:
    return Actor(user_id=user_id, team_id=VENDOR_TEAM, enterprise_id=None, is_admin=False, is_external=False)


def make_account(
    sessions: sessionmaker[Session], *, now: datetime, name: str = "Acme", holidays: str | None = None
) -> int:
    with sessions.begin() as session:
        account = create_account(
            session,
            AccountAdd(
                name=name,
                shared_channel_id="C0SHARED",
                escalation_channel_id="C0ESCAL",
                champion_user_id="U0CHAMP",
                holiday_country=holidays,
            ),
            actor=csm_actor(),
            now=now,
        )
        return account.id


def make_commitment(
    sessions: sessionmaker[Session],
    *,
    account_id: int,
    now: datetime,
    owner: str = "U0CHAMP",
    tz: str = "Europe/London",
    every: str = "every monday",
    at: time = time(10, 0),
    side: Side = Side.CUSTOMER,
) -> int:
    with sessions.begin() as session:
        person = upsert_person(
            session,
            team_id=VENDOR_TEAM,
            enterprise_id=None,
            user_id=owner,
            role_side=side,
            profile=None,
            now=now,
        )
        person.tz = tz
        account = session.get(Account, account_id)
        assert account is not None
        created = create_commitment(
            session,
            Commit(
                account.name,
                side,
                owner,
                "Send the weekly usage report",
                at,
                recurrence=parse_recurrence(every),
            ),
            account=account,
            owner=person,
            actor=csm_actor(),
            now=now,
        )
        commitment: Commitment = created.commitment
        # As if the champion had already agreed to the plan (the agreement has tests of its own).
        commitment.agreed_at = now
        return commitment.id


OUTCOMES = {
    "done": (CheckInState.ANSWERED, Answer.DONE),
    "partly": (CheckInState.ANSWERED, Answer.PARTLY),
    "blocked": (CheckInState.ANSWERED, Answer.BLOCKED),
    "not_yet": (CheckInState.ANSWERED, Answer.NOT_YET),
    "none": (CheckInState.NO_RESPONSE, None),
    "skipped": (CheckInState.SKIPPED, None),
}


def add_history(
    sessions: sessionmaker[Session], *, commitment_id: int, newest: datetime, outcomes: list[str | None]
) -> None:
    """Closed weekly check-ins, newest first (None: no occurrence that week), already judged by the
    escalation rules, so a test can state a quarter of history exactly."""
    with sessions.begin() as session:
        commitment = session.get_one(Commitment, commitment_id)
        for week, outcome in enumerate(outcomes):
            if outcome is None:
                continue
            state, answer = OUTCOMES[outcome]
            at = newest - timedelta(weeks=week)
            session.add(
                CheckIn(
                    team_id=commitment.team_id,
                    commitment_id=commitment_id,
                    scheduled_at=at,
                    state=state,
                    answer=answer,
                    answered_at=at + timedelta(hours=1) if answer else None,
                    sent_at=at if state is not CheckInState.SKIPPED else None,
                    evaluated=True,
                )
            )


def open_escalation(
    sessions: sessionmaker[Session],
    *,
    account_id: int,
    opened_at: datetime,
    commitment_id: int | None = None,
    kind: str = "customer_slip",
    summary: str = "Two of the last four check-ins were missed.",
) -> int:
    """An open episode, as the escalation rules would open it, not yet posted."""
    key = f"{commitment_id if commitment_id else 'account'}:{kind}"
    with sessions.begin() as session:
        episode = Escalation(
            team_id=VENDOR_TEAM, account_id=account_id, commitment_id=commitment_id, side=Side.CUSTOMER,
            kind=kind, episode_key=key, level=1, state=EscalationState.OPEN, opened_at=opened_at,
            summary=summary, post_pending=True,
        )  # fmt: skip
        session.add(episode)
        session.flush()
        return episode.id
