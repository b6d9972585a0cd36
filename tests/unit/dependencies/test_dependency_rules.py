"""What a cycle is, and when a commitment is held up: the rules that decide whom a miss counts against."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.dependencies.blocking import charged_side, holding_up, overdue_since
from bot.dependencies.links import chain_from, chain_lines, cycle_refusal, link
from bot.errors import Refusal
from models import Account, CheckIn, CheckInState, Commitment, CommitmentStatus, Side
from tests.factories import add_history, make_account, make_commitment

CREATED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def chain(*ids: int) -> list[Commitment]:
    """Commitments #ids[0] waiting on #ids[1] waiting on … (in memory)."""
    commitments = [Commitment(id=i, account_id=1, status=CommitmentStatus.ACTIVE) for i in ids]
    for waiting, blocker in pairwise(commitments):
        waiting.waits_on = blocker
    return commitments


def test_a_commitment_waiting_on_itself_is_a_cycle() -> None:
    [one] = chain(7)
    assert cycle_refusal(one, one) == "#7 can't wait on itself."


def test_closing_a_loop_is_refused_with_the_whole_chain_named() -> None:
    twelve, _, seven = chain(12, 9, 7)
    refusal = cycle_refusal(seven, twelve)
    assert refusal is not None and refusal.startswith("#12 already waits on #7 (#12 → #9 → #7)")


def test_waiting_on_something_off_the_chain_is_no_cycle() -> None:
    twelve, seven = chain(12, 7)
    other = Commitment(id=3, account_id=1, status=CommitmentStatus.ACTIVE)
    assert cycle_refusal(other, twelve) is None
    assert cycle_refusal(twelve, other) is None
    assert [c.id for c in chain_from(twelve)] == [12, 7]
    assert chain_lines([seven, twelve]) == ["#12 waits on #7"]


def test_chain_from_stops_at_a_loop_already_in_the_data() -> None:
    a, b = chain(1, 2)
    b.waits_on = a
    assert [c.id for c in chain_from(a)] == [1, 2]


@pytest.fixture
def pair(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """#customer (weekly, Mondays) waiting on #vendor (weekly, Mondays)."""
    account_id = make_account(sessions, now=CREATED)
    customer = make_commitment(sessions, account_id=account_id, now=CREATED)
    vendor = make_commitment(
        sessions, account_id=account_id, now=CREATED, owner="U0ENG", tz="Asia/Tokyo", side=Side.VENDOR
    )
    with sessions.begin() as session:
        link(
            session,
            session.get_one(Commitment, customer),
            session.get_one(Commitment, vendor),
            actor_user_id="U0CSM",
            at=CREATED,
        )
    return customer, vendor


def test_a_blocker_whose_last_checkin_was_kept_holds_nothing_up(
    sessions: sessionmaker[Session], pair: tuple[int, int]
) -> None:
    customer, vendor = pair
    add_history(
        sessions, commitment_id=vendor, newest=CREATED + timedelta(weeks=1), outcomes=["done", "none"]
    )
    with sessions() as session:
        assert (
            holding_up(session, session.get_one(Commitment, customer), at=CREATED + timedelta(weeks=2))
            is None
        )


def test_a_blocker_whose_last_checkin_was_missed_holds_up_and_takes_the_miss(
    sessions: sessionmaker[Session], pair: tuple[int, int]
) -> None:
    customer, vendor = pair
    missed_at = CREATED + timedelta(weeks=1)
    add_history(sessions, commitment_id=vendor, newest=missed_at, outcomes=["not_yet", "done"])
    with sessions() as session:
        waiting = session.get_one(Commitment, customer)
        holdup = holding_up(session, waiting, at=missed_at + timedelta(days=1))
        assert holdup is not None and (holdup.blocker.id, holdup.since) == (vendor, missed_at)
        checkin = CheckIn(commitment=waiting, scheduled_at=missed_at, state=CheckInState.NO_RESPONSE)
        assert charged_side(session, checkin, at=missed_at + timedelta(days=1)) is Side.VENDOR
        # Before the vendor's miss, the customer's own miss is its own.
        assert charged_side(session, checkin, at=missed_at - timedelta(days=1)) is None


def test_a_due_date_is_overdue_from_the_end_of_that_working_day_in_its_owners_zone(
    sessions: sessionmaker[Session], pair: tuple[int, int]
) -> None:
    _, vendor = pair
    with sessions.begin() as session:
        commitment = session.get_one(Commitment, vendor)
        commitment.rrule, commitment.due_on = None, date(2026, 11, 10)
        # 18:00 in Tokyo is 09:00 UTC.
        assert overdue_since(session, commitment, at=datetime(2026, 11, 10, 8, 59, tzinfo=UTC)) is None
        deadline = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
        assert overdue_since(session, commitment, at=deadline) == deadline
        commitment.status = CommitmentStatus.DONE
        assert overdue_since(session, commitment, at=deadline + timedelta(days=3)) is None


def test_a_commitment_of_another_account_can_not_be_waited_on(
    sessions: sessionmaker[Session], pair: tuple[int, int]
) -> None:
    customer, _ = pair
    other_account = make_account(sessions, now=CREATED, name="Globex")
    other = make_commitment(sessions, account_id=other_account, now=CREATED)
    with sessions.begin() as session:
        waiting = session.get_one(Commitment, customer)
        with pytest.raises(Refusal, match="belongs to another account"):
            link(session, waiting, session.get_one(Commitment, other), actor_user_id="U0CSM", at=CREATED)
        assert session.get_one(Account, other_account).name == "Globex"
