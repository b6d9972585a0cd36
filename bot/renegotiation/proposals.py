"""Proposals to move a commitment's date or schedule: made by one side, answered by the other.

Who may propose: the commitment's owner, the account's CSM or an accountability admin (a customer only
on their own commitments). The side a person acts for comes from their role on the account — owner of
a customer commitment, or CSM, admin, vendor owner — never from the team ID a request carries.

The other side answers: the vendor's CSM (and the account's manager after a working day) when the
customer proposed; the champion, or another customer person on the account, when the vendor did.

Every state change is a guarded UPDATE (`state = 'open'`), and opening one is an INSERT that the
partial unique index (one open proposal per commitment) lets through once: two people proposing at
once open one proposal, and two people answering at once answer it once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.accounts.plan_version import plan_changed
from bot.checkins.due_dates import DueDate, day_words, earliest_due_day, working_due_date
from bot.checkins.schedule import local_instant, zone
from bot.checkins.working_days import add_working_days
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.people.away import holiday_country_of
from bot.renegotiation.schedule import NewSchedule
from bot.slack.mrkdwn import escape
from models import (
    Account,
    Agreement,
    CheckIn,
    CheckInState,
    Commitment,
    CommitmentStatus,
    Person,
    Proposal,
    Side,
)
from models.db import rows_changed

OPEN = "open"
ACCEPTED = "accepted"
DECLINED = "declined"
EXPIRED = "expired"

MAX_REASON = 300
MAX_NOTE = 500
# Unanswered this many working days (in the answerer's zone): the account's manager is asked too, then
# the proposal lapses and the original date stands.
MANAGER_AFTER_WORKING_DAYS = 1
EXPIRES_AFTER_WORKING_DAYS = 2
PROPOSABLE = (CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)


def other(side: Side) -> Side:
    return Side.VENDOR if side is Side.CUSTOMER else Side.CUSTOMER


def proposer_side(commitment: Commitment, *, user_id: str, is_admin: bool) -> Side | None:
    """The side this person proposes for, or None when they may not propose for this commitment."""
    if user_id == commitment.owner.user_id:
        return commitment.side
    if user_id == commitment.account.csm_user_id or is_admin:
        return Side.VENDOR
    return None


def propose_refusal(commitment: Commitment) -> str:
    return (
        f"Only <@{commitment.owner.user_id}> (its owner), <@{commitment.account.csm_user_id}> (the CSM) or an "
        f"accountability admin can propose a new date for {commitment.label}. Nothing was changed."
    )


def _customer_people(session: Session, account: Account) -> set[str]:
    owners = session.scalars(
        select(Person.user_id)
        .join(Commitment, Commitment.owner_id == Person.id)
        .where(Commitment.account_id == account.id, Commitment.side == Side.CUSTOMER)
    )
    return {account.champion_user_id, *owners}


def may_answer(
    session: Session, proposal: Proposal, account: Account, *, user_id: str, admins: frozenset[str]
) -> bool:
    """The other side's people: for the vendor the CSM, manager or an admin; for the customer the
    champion or a customer owner on the account. Never the proposer themselves."""
    if user_id == proposal.proposed_by:
        return False
    if other(proposal.proposer_side) is Side.VENDOR:
        return user_id in (account.csm_user_id, account.manager_user_id) or user_id in admins
    return user_id in _customer_people(session, account)


def answer_refusal(proposal: Proposal, account: Account) -> str:
    if other(proposal.proposer_side) is Side.VENDOR:
        who = f"<@{account.csm_user_id}> (the CSM)" + (
            f", <@{account.manager_user_id}> (the manager)" if account.manager_user_id else ""
        )
    else:
        who = f"<@{account.champion_user_id}> (the champion) or the customer's people on the account"
    return f"This proposal is for {who} to answer. Nothing was recorded."


def load_commitment(session: Session, commitment_id: int) -> Commitment | None:
    return session.scalar(
        select(Commitment)
        .where(Commitment.id == commitment_id)
        .options(joinedload(Commitment.account), joinedload(Commitment.owner))
    )


def proposable(
    session: Session, commitment_id: int, *, user_id: str, is_admin: bool, team_id: str | None = None
) -> tuple[Commitment, Side]:
    """The commitment and the side proposing, if this person may propose a new date for it now."""
    commitment = load_commitment(session, commitment_id)
    if commitment is None or (team_id is not None and commitment.team_id != team_id):
        raise Refusal(f"There is no commitment #{commitment_id}. `/accountability list` shows the numbers.")
    side = proposer_side(commitment, user_id=user_id, is_admin=is_admin)
    if side is None:
        raise Refusal(propose_refusal(commitment))
    if commitment.status not in PROPOSABLE:
        raise Refusal(
            f"{commitment.label} is {commitment.status.value}: there is no date left to move. Nothing was changed."
        )
    _refuse_if_open(session, commitment)
    return commitment, side


def _refuse_if_open(session: Session, commitment: Commitment) -> None:
    existing = session.scalar(
        select(Proposal).where(Proposal.commitment_id == commitment.id, Proposal.state == OPEN)
    )
    if existing is not None:
        raise Refusal(_already_open(commitment, existing))


def _already_open(commitment: Commitment, existing: Proposal) -> str:
    return (
        f"There is already an open proposal for {commitment.label} ({escape(existing.new_schedule_text)}, "
        f"proposed by <@{existing.proposed_by}>). It must be answered, or lapse after two working days, "
        "before another one. Nothing was changed."
    )


def working_days_later(moment: datetime, days: int, *, tz: ZoneInfo, holiday_country: str | None) -> datetime:
    """The same local time `days` working days later, in the answerer's calendar."""
    local = moment.astimezone(tz)
    day = add_working_days(local.date(), days, holiday_country=holiday_country)
    return local_instant(day, local.time().replace(tzinfo=None), tz)


def answerer_zone(session: Session, account: Account, side: Side) -> ZoneInfo:
    user_id = account.csm_user_id if side is Side.VENDOR else account.champion_user_id
    tz = session.scalar(select(Person.tz).where(Person.team_id == account.team_id, Person.user_id == user_id))
    return zone(tz)


@dataclass(frozen=True)
class Proposed:
    proposal_id: int
    commitment_label: str
    answerer_user_id: str
    new_schedule_text: str
    due_note: str | None = None  # "Sat 12 Dec is a weekend day, so it's due Fri 11 Dec."


def create_proposal(
    sessions: sessionmaker[Session],
    *,
    commitment_id: int,
    checkin_id: int | None,
    user_id: str,
    is_admin: bool,
    new: NewSchedule,
    reason: str,
    now: datetime,
    team_id: str | None = None,
) -> Proposed:
    """Open the proposal and write it in the diary; the question is posted after the commit."""
    reason = reason.strip()
    if not reason:
        raise Refusal("Say why the date should move: a proposal needs a reason.")
    if len(reason) > MAX_REASON:
        raise Refusal(f"A reason can be at most {MAX_REASON} characters.")
    with sessions.begin() as session:
        commitment, side = proposable(
            session, commitment_id, user_id=user_id, is_admin=is_admin, team_id=team_id
        )
        account = commitment.account
        at = new.at or commitment.local_time
        new, due = _on_a_working_day(commitment, new, at=at, now=now)
        _check_new_schedule(commitment, new, at=at, now=now)
        answering = other(side)
        tz = answerer_zone(session, account, answering)
        values = {
            "team_id": commitment.team_id,
            "enterprise_id": commitment.enterprise_id,
            "account_id": account.id,
            "commitment_id": commitment.id,
            "checkin_id": _open_checkin(session, commitment, checkin_id),
            "proposed_by": user_id,
            "proposer_side": side,
            "reason": reason,
            "old_due_on": commitment.due_on,
            "old_rrule": commitment.rrule,
            "old_local_time": commitment.local_time,
            "old_schedule_text": commitment.schedule_text,
            "new_due_on": new.due_on,
            "new_rrule": new.rule,
            "new_local_time": at,
            "new_schedule_text": new.text(at),
            "state": OPEN,
            "created_at": now,
            "manager_at": working_days_later(
                now, MANAGER_AFTER_WORKING_DAYS, tz=tz, holiday_country=account.holiday_country
            )
            if answering is Side.VENDOR and account.manager_user_id
            else None,
            "expires_at": working_days_later(
                now, EXPIRES_AFTER_WORKING_DAYS, tz=tz, holiday_country=account.holiday_country
            ),
            "manager_asked": False,
        }
        proposal_id = _insert_open(session, values)
        if proposal_id is None:
            existing = session.scalar(
                select(Proposal).where(Proposal.commitment_id == commitment.id, Proposal.state == OPEN)
            )
            raise Refusal(
                _already_open(commitment, existing) if existing else "Someone proposed a moment ago."
            )
        answerer = account.csm_user_id if answering is Side.VENDOR else account.champion_user_id
        diary.record_about(
            session,
            commitment,
            kind="renegotiation_proposed",
            text=f"<@{user_id}> ({side.value} side) proposed moving {commitment.label} “{escape(commitment.action)}” "
            f"from {escape(commitment.schedule_text)} to {escape(new.text(at))}. Reason: {escape(reason)}",
            at=now,
            actor_user_id=user_id,
            dedupe_key=f"proposal:{proposal_id}:proposed",
        )
        return Proposed(proposal_id, commitment.label, answerer, new.text(at), due.note() if due else None)


def _on_a_working_day(
    commitment: Commitment, new: NewSchedule, *, at: time, now: datetime
) -> tuple[NewSchedule, DueDate | None]:
    """A proposed date on the owner's day off moves to their working day before it, as for `commit`
    (bot/checkins/due_dates.py); a date already past is left for `_check_new_schedule` to refuse."""
    tz = zone(commitment.owner.tz)
    if new.due_on is None or new.due_on < now.astimezone(tz).date():
        return new, None
    due = working_due_date(
        new.due_on,
        earliest=earliest_due_day(at=at, tz=tz, now=now),
        holiday_country=holiday_country_of(commitment.owner, commitment.account),
    )
    return replace(new, due_on=due.due_on), due


def _check_new_schedule(commitment: Commitment, new: NewSchedule, *, at: time, now: datetime) -> None:
    tz = zone(commitment.owner.tz)
    today = now.astimezone(tz).date()
    if new.due_on is not None and local_instant(new.due_on, at, tz) <= now:
        raise Refusal(
            f"{day_words(new.due_on)} at {at:%H:%M} has already passed in <@{commitment.owner.user_id}>'s "
            f"time zone ({tz.key}). Give a later date."
        )
    if new.due_on is not None and new.due_on < today:
        raise Refusal("Give a date from today on.")
    same = (new.due_on, new.rule, at) == (commitment.due_on, commitment.rrule, commitment.local_time)
    if same:
        raise Refusal(
            f"{commitment.label} is already {escape(commitment.schedule_text)}. Nothing to propose."
        )


def _open_checkin(session: Session, commitment: Commitment, checkin_id: int | None) -> int | None:
    """The check-in the proposal was made from, if it is this commitment's and still open."""
    if checkin_id is None:
        return None
    checkin = session.get(CheckIn, checkin_id)
    if checkin is None or checkin.commitment_id != commitment.id:
        return None
    return checkin_id if checkin.state in (CheckInState.DUE, CheckInState.SENT) else None


def _insert_open(session: Session, values: dict[str, Any]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING on the partial unique index: the database decides who opened it."""
    where = text("state = 'open'")
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement = (
            pg_insert(Proposal)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["commitment_id"], index_where=where)
        )
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = (
            sqlite_insert(Proposal)
            .values(**values)
            .on_conflict_do_nothing(  # type: ignore[assignment]
                index_elements=["commitment_id"], index_where=where
            )
        )
    return session.scalar(statement.returning(Proposal.id))


def load(session: Session, proposal_id: int) -> tuple[Proposal, Commitment] | None:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        return None
    commitment = load_commitment(session, proposal.commitment_id)
    assert commitment is not None
    return proposal, commitment


def answerable(
    session: Session, proposal_id: int, *, user_id: str, admins: frozenset[str]
) -> tuple[Proposal, Commitment]:
    """The proposal, if this person may answer it now; a `Refusal` saying why not otherwise."""
    found = load(session, proposal_id)
    if found is None:
        raise Refusal("I can't find that proposal any more.")
    proposal, commitment = found
    if not may_answer(session, proposal, commitment.account, user_id=user_id, admins=admins):
        raise Refusal(answer_refusal(proposal, commitment.account))
    if proposal.state != OPEN:
        raise Refusal(closed_words(proposal))
    return proposal, commitment


def closed_words(proposal: Proposal) -> str:
    if proposal.state == EXPIRED:
        return "This proposal lapsed unanswered; the original date stands. Nothing was changed."
    return f"This proposal was already {proposal.state} by <@{proposal.answered_by}>. Nothing was changed."


@dataclass(frozen=True)
class Outcome:
    """An answered (or lapsed) proposal: who to tell, and which messages to redraw."""

    proposal_id: int
    state: str
    proposer_user_id: str
    proposer_side: Side
    account_id: int
    commitment_label: str
    checkin_id: int | None  # the check-in closed as renegotiated, to redraw
    text: str  # what the proposer is told


def answer_proposal(
    sessions: sessionmaker[Session],
    *,
    proposal_id: int,
    user_id: str,
    accept: bool,
    note: str | None,
    admins: frozenset[str],
    now: datetime,
) -> Outcome:
    if note is not None and len(note) > MAX_NOTE:
        raise Refusal(f"A note can be at most {MAX_NOTE} characters.")
    with sessions.begin() as session:
        proposal, commitment = answerable(session, proposal_id, user_id=user_id, admins=admins)
        state = ACCEPTED if accept else DECLINED
        moved = rows_changed(
            session,
            update(Proposal)
            .where(Proposal.id == proposal_id, Proposal.state == OPEN)
            .values(state=state, answered_by=user_id, answered_at=now, answer_note=note),
        )
        if moved != 1:
            raise Refusal("This proposal was answered a moment ago. Nothing was changed.")
        session.refresh(proposal)
        closed = _apply(session, proposal, commitment, now=now) if accept else None
        if not accept:
            _record_declined(session, proposal, commitment, now=now)
        return Outcome(
            proposal_id=proposal.id,
            state=state,
            proposer_user_id=proposal.proposed_by,
            proposer_side=proposal.proposer_side,
            account_id=commitment.account_id,
            commitment_label=commitment.label,
            checkin_id=closed,
            text=_told(proposal, commitment),
        )


def _told(proposal: Proposal, commitment: Commitment) -> str:
    what = f"{commitment.label} “{escape(commitment.action)}”"
    if proposal.state == ACCEPTED:
        return (
            f"<@{proposal.answered_by}> accepted your proposal: {what} is now {escape(proposal.new_schedule_text)}. "
            "The check-in it replaces counts for neither side."
        )
    if proposal.state == DECLINED:
        note = f" Their note: {escape(proposal.answer_note)}" if proposal.answer_note else ""
        return (
            f"<@{proposal.answered_by}> declined your proposal to move {what} to "
            f"{escape(proposal.new_schedule_text)}.{note} The original date stands: "
            f"{escape(proposal.old_schedule_text)}."
        )
    return (
        f"Your proposal to move {what} to {escape(proposal.new_schedule_text)} was not answered within two "
        f"working days, so it lapsed. The original date stands: {escape(proposal.old_schedule_text)}."
    )


def _apply(session: Session, proposal: Proposal, commitment: Commitment, *, now: datetime) -> int | None:
    """The new schedule from now on: nothing before now is created again, and the clock looks afresh."""
    tz = zone(commitment.owner.tz)
    commitment.due_on = proposal.new_due_on
    commitment.rrule = proposal.new_rrule
    commitment.local_time = proposal.new_local_time
    commitment.schedule_text = proposal.new_schedule_text
    commitment.starts_on = now.astimezone(tz).date()
    if commitment.scheduled_through is None or commitment.scheduled_through < now:
        commitment.scheduled_through = now
    commitment.next_checkin_at = None
    commitment.renegotiations = (commitment.renegotiations or 0) + 1
    closed = _close_replaced_checkins(session, proposal, commitment)
    account = commitment.account
    diary.record(
        session,
        account=account,
        kind="renegotiation_accepted",
        text=f"{commitment.label} “{escape(commitment.action)}” moved from {escape(proposal.old_schedule_text)} "
        f"to {escape(proposal.new_schedule_text)}. Reason: {escape(proposal.reason)}. Proposed by "
        f"<@{proposal.proposed_by}> ({proposal.proposer_side.value} side), accepted by <@{proposal.answered_by}>. "
        "The check-in it replaces counts for neither side.",
        at=now,
        actor_user_id=proposal.answered_by,
        side=commitment.side,
        commitment_id=commitment.id,
        checkin_id=closed,
        dedupe_key=f"proposal:{proposal.id}:accepted",
    )
    _new_plan_version(session, account, proposal, commitment, now=now)
    return closed


def _close_replaced_checkins(session: Session, proposal: Proposal, commitment: Commitment) -> int | None:
    """The check-in the proposal was made from — and, for a date that moved, the due date's own check-in
    if it is still open — closes as renegotiated: not missed, not kept."""
    ids = [proposal.checkin_id] if proposal.checkin_id else []
    if proposal.old_due_on is not None:
        ids += list(
            session.scalars(
                select(CheckIn.id).where(
                    CheckIn.commitment_id == commitment.id, CheckIn.state == CheckInState.SENT
                )
            )
        )
    closed: int | None = None
    for checkin_id in dict.fromkeys(ids):
        moved = rows_changed(
            session,
            update(CheckIn)
            .where(CheckIn.id == checkin_id, CheckIn.state.in_((CheckInState.DUE, CheckInState.SENT)))
            .values(state=CheckInState.RENEGOTIATED, remind_at=None, closes_at=None, evaluated=True),
        )
        if moved == 1 and closed is None:
            closed = checkin_id
    return closed


def _new_plan_version(
    session: Session, account: Account, proposal: Proposal, commitment: Commitment, *, now: datetime
) -> None:
    """The plan changed, so its version goes up. The customer's side took part in this change (it
    proposed it or accepted it), so when the previous version was agreed, the new one is recorded as
    agreed by that customer person: no new "I agree" is asked for a change they agreed to themselves.
    A plan still waiting for its first agreement simply gets the change in the version to be posted."""
    before = account.plan_version
    previous = session.scalar(
        select(Agreement).where(Agreement.account_id == account.id, Agreement.version == before)
    )
    plan_changed(session, account)
    if account.plan_version == before or previous is None or previous.response != "agreed":
        return
    customer = proposal.proposed_by if proposal.proposer_side is Side.CUSTOMER else proposal.answered_by
    assert customer is not None
    session.add(
        Agreement(
            team_id=account.team_id,
            enterprise_id=account.enterprise_id,
            account_id=account.id,
            version=account.plan_version,
            plan=previous.plan,
            commitment_ids=previous.commitment_ids,
            posted_at=now,
            response="agreed",
            responded_by=customer,
            responded_at=now,
        )
    )
    diary.record(
        session,
        account=account,
        kind="agreement_agreed",
        text=f"Version {account.plan_version} of the joint plan: {commitment.label} now "
        f"{escape(proposal.new_schedule_text)}. <@{customer}> agreed to this change when they "
        + ("proposed it" if customer == proposal.proposed_by else "accepted it")
        + "; no new agreement is needed.",
        at=now,
        actor_user_id=customer,
        side=Side.CUSTOMER,
        dedupe_key=f"proposal:{proposal.id}:plan",
    )


def _record_declined(session: Session, proposal: Proposal, commitment: Commitment, *, now: datetime) -> None:
    note = f" Note: {escape(proposal.answer_note)}" if proposal.answer_note else ""
    diary.record_about(
        session,
        commitment,
        kind="renegotiation_declined",
        text=f"<@{proposal.answered_by}> declined moving {commitment.label} “{escape(commitment.action)}” to "
        f"{escape(proposal.new_schedule_text)} (proposed by <@{proposal.proposed_by}>).{note} The original "
        f"date stands: {escape(proposal.old_schedule_text)}.",
        at=now,
        actor_user_id=proposal.answered_by,
        dedupe_key=f"proposal:{proposal.id}:declined",
    )


def expire(sessions: sessionmaker[Session], proposal_id: int, *, now: datetime) -> Outcome | None:
    """Lapse one proposal unanswered past its time; None when another pass or an answer got there first."""
    with sessions.begin() as session:
        moved = rows_changed(
            session,
            update(Proposal)
            .where(Proposal.id == proposal_id, Proposal.state == OPEN, Proposal.expires_at <= now)
            .values(state=EXPIRED),
        )
        if moved != 1:
            return None
        found = load(session, proposal_id)
        assert found is not None
        proposal, commitment = found
        diary.record_about(
            session,
            commitment,
            kind="renegotiation_expired",
            text=f"The proposal to move {commitment.label} “{escape(commitment.action)}” to "
            f"{escape(proposal.new_schedule_text)} (by <@{proposal.proposed_by}>) was not answered within two "
            f"working days and lapsed. The original date stands: {escape(proposal.old_schedule_text)}.",
            at=now,
            dedupe_key=f"proposal:{proposal.id}:expired",
        )
        return Outcome(
            proposal_id=proposal.id,
            state=EXPIRED,
            proposer_user_id=proposal.proposed_by,
            proposer_side=proposal.proposer_side,
            account_id=commitment.account_id,
            commitment_label=commitment.label,
            checkin_id=None,
            text=_told(proposal, commitment),
        )


def claim_manager_question(sessions: sessionmaker[Session], proposal_id: int, *, now: datetime) -> bool:
    """Claimed before the manager is asked, so two clock passes ask once."""
    with sessions.begin() as session:
        return (
            rows_changed(
                session,
                update(Proposal)
                .where(
                    Proposal.id == proposal_id,
                    Proposal.state == OPEN,
                    Proposal.manager_asked.is_(False),
                    Proposal.manager_at <= now,
                )
                .values(manager_asked=True),
            )
            == 1
        )


def renegotiated_since(
    session: Session, account_ids: list[int], *, since: datetime, end: datetime
) -> dict[int, int]:
    """Accepted proposals per commitment in the window: serial renegotiation is itself a pattern."""
    rows = session.execute(
        select(Proposal.commitment_id, Proposal.id).where(
            Proposal.account_id.in_(account_ids),
            Proposal.state == ACCEPTED,
            Proposal.answered_at >= since,
            Proposal.answered_at < end,
        )
    ).all()
    counts: dict[int, int] = {}
    for commitment_id, _ in rows:
        counts[commitment_id] = counts.get(commitment_id, 0) + 1
    return counts


@dataclass(frozen=True)
class FormSubject:
    """What the propose form needs, read cheaply inside the 3-second ack."""

    commitment_id: int
    checkin_id: int | None
    action: str
    schedule_text: str
    by_date: bool


def form_subject(
    sessions: sessionmaker[Session], *, kind: str, number: int, user_id: str, is_admin: bool
) -> FormSubject:
    """The commitment a Propose button is about (from a check-in or from the App Home), if this person
    may propose for it now; a `Refusal` saying why not otherwise."""
    with sessions() as session:
        checkin_id: int | None = None
        commitment_id = number
        if kind == "checkin":
            checkin = session.get(CheckIn, number)
            if checkin is None:
                raise Refusal("I can't find that check-in any more.")
            checkin_id, commitment_id = checkin.id, checkin.commitment_id
        commitment, _ = proposable(session, commitment_id, user_id=user_id, is_admin=is_admin)
        return FormSubject(
            commitment_id=commitment.id,
            checkin_id=checkin_id,
            action=commitment.action,
            schedule_text=commitment.schedule_text,
            by_date=commitment.rrule is None,
        )


def owner_today(sessions: sessionmaker[Session], commitment_id: int, *, now: datetime) -> date:
    """Dates in a proposal ("tomorrow", "next friday") are read in the commitment owner's calendar."""
    with sessions() as session:
        commitment = load_commitment(session, commitment_id)
        tz = zone(commitment.owner.tz if commitment is not None else None)
    return now.astimezone(tz).date()
