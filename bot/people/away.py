"""Time off: while someone is away no check-ins or reminders go to them, and what falls meanwhile is
recorded as *skipped (away)*, counting against nobody.

An away period is set by the person themselves, or by the CSM of an account they are on or an admin
(`/accountability away`, the **I'm away** button), or read from their Slack status when it matches the
workspace's away words and has an expiry. It ends by itself when its day has passed.

A check-in already sent and still open when its owner goes away is not closed as no response while they
are away: its reminder and closing time move to the working days after they are back (the reminder
cadence restarts from their return).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.accounts.access import Actor
from bot.checkins.schedule import is_working_day, local_instant, zone
from bot.checkins.working_days import end_of_working_day, working_morning_after
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.slack.gateway import SlackDeliveryError, SlackGateway, SlackProfile
from bot.slack.mrkdwn import escape
from models import (
    Account,
    CheckIn,
    CheckInState,
    Commitment,
    CommitmentStatus,
    Person,
    WorkspaceSettings,
)
from models.db import rows_changed

log = logging.getLogger(__name__)

DEFAULT_AWAY_WORDS: tuple[str, ...] = (
    ":palm_tree:",
    ":airplane:",
    "vacation",
    "OOO",
    "out of office",
    "on leave",
)
# An absence longer than this many working days is told to the CSM (once).
LONG_ABSENCE_WORKING_DAYS = 5
MAX_REASON = 200
COMMAND, BUTTON, STATUS = "command", "button", "status"


@dataclass(frozen=True)
class Away:
    """`away [@person] until <date> ["reason"]`, or `away [@person] off` (until is None)."""

    user_id: str | None
    until: date | None
    reason: str | None = None
    source: str = COMMAND


# --- who is away --------------------------------------------------------------------------------------


def is_away(person: Person, at: datetime) -> bool:
    return person.away_until is not None and at < person.away_until


def holiday_country_of(person: Person, account: Account) -> str | None:
    """A person's own public-holiday calendar wins over their account's (`person @x holidays:CC`);
    "none" means they keep no public holidays."""
    own = person.holiday_country
    if own is None:
        return account.holiday_country
    return None if own.lower() == "none" else own


def _accounts_of(session: Session, person: Person) -> list[Account]:
    owned = select(Commitment.account_id).where(Commitment.owner_id == person.id)
    return list(
        session.scalars(
            select(Account)
            .where(Account.team_id == person.team_id)
            .where(or_(Account.champion_user_id == person.user_id, Account.id.in_(owned)))
            .order_by(Account.name_key)
        )
    )


def _day_words(day: date) -> str:
    return f"{day:%A} {day.day} {day:%b %Y}"


def _last_day(person: Person) -> date:
    """The last day of the away period, in their own zone (away_until is the start of the next day)."""
    assert person.away_until is not None
    return (person.away_until.astimezone(zone(person.tz)) - timedelta(seconds=1)).date()


# --- setting and ending -------------------------------------------------------------------------------


def set_away(
    sessions: sessionmaker[Session], gateway: SlackGateway, command: Away, *, actor: Actor, now: datetime
) -> str:
    target = command.user_id or actor.user_id
    if actor.is_external and target != actor.user_id:
        raise Refusal("Customers set only their own time off: `/accountability away until <date>`.")
    with sessions.begin() as session:
        person = session.scalar(
            select(Person).where(Person.team_id == actor.team_id, Person.user_id == target)
        )
        accounts = _accounts_of(session, person) if person is not None else []
        if person is None or not accounts:
            raise Refusal(
                f"<@{target}> is not on any account (neither a champion nor the owner of a commitment), "
                "so there are no check-ins to hold."
            )
        _may_set(actor, target, accounts)
        if command.until is None:
            if person.away_until is None or person.away_until <= now:
                return f"<@{target}> is not away."
            _end(session, person, accounts, now=now, by=actor.user_id)
            return f"Welcome back — check-ins to <@{target}> start again."
        today = now.astimezone(zone(person.tz)).date()
        if command.until < today:
            raise Refusal("An away period must end today or later.")
        reason = command.reason[:MAX_REASON] if command.reason else None
        start_away(
            session,
            person,
            accounts,
            until=local_instant(command.until + timedelta(days=1), time(0, 0), zone(person.tz)),
            reason=reason,
            source=command.source,
            now=now,
            by=actor.user_id,
        )
        said = f"<@{target}> is away until {_day_words(command.until)}"
    tell_csms_of_long_absences(sessions, gateway, now=now)
    return (
        said
        + (f" ({escape(reason)})" if reason else "")
        + ". No check-ins or reminders go to them until then; those that fall meanwhile are recorded as "
        "skipped (away) and count against nobody. End it early with `/accountability away "
        + (f"<@{target}> " if target != actor.user_id else "")
        + "off`."
    )


def _may_set(actor: Actor, target: str, accounts: list[Account]) -> None:
    if target == actor.user_id:
        return
    if not actor.is_external and (
        actor.is_admin or any(account.csm_user_id == actor.user_id for account in accounts)
    ):
        return
    csms = ", ".join(sorted({f"<@{account.csm_user_id}>" for account in accounts}))
    raise Refusal(
        f"Only <@{target}> themselves, the CSM of an account they are on ({csms}) or an accountability "
        "admin can set their time off."
    )


def start_away(
    session: Session,
    person: Person,
    accounts: list[Account],
    *,
    until: datetime,
    reason: str | None,
    source: str,
    now: datetime,
    by: str | None,
) -> None:
    """Record the period, skip what is due but not yet sent, and hold what is open until they are back."""
    person.away_until = until
    person.away_reason = reason
    person.away_source = source
    person.away_told = False
    last = _last_day(person)
    how = {COMMAND: "", BUTTON: " (I'm away)", STATUS: " (from their Slack status)"}.get(source, "")
    by_words = f" — set by <@{by}>" if by and by != person.user_id else ""
    for account in accounts:
        diary.record(
            session,
            account=account,
            kind="away",
            text=f"<@{person.user_id}> is away until {_day_words(last)}{how}"
            + (f": {escape(reason)}" if reason else "")
            + f"{by_words}. Check-ins meanwhile are skipped and count against nobody.",
            at=now,
            actor_user_id=by,
        )
    for checkin in _checkins_of(session, person, CheckInState.DUE):
        if checkin.scheduled_at < until:
            skip_for_away(session, checkin, now=now)
    hold_open_checkins(session, person)


def _checkins_of(session: Session, person: Person, state: CheckInState) -> list[CheckIn]:
    return list(
        session.scalars(
            select(CheckIn)
            .join(CheckIn.commitment)
            .where(Commitment.owner_id == person.id, CheckIn.state == state)
            .options(joinedload(CheckIn.commitment).joinedload(Commitment.account))
            .order_by(CheckIn.id)
        ).unique()
    )


def skip_for_away(session: Session, checkin: CheckIn, *, now: datetime) -> None:
    moved = rows_changed(
        session,
        update(CheckIn)
        .where(CheckIn.id == checkin.id, CheckIn.state == CheckInState.DUE)
        .values(state=CheckInState.SKIPPED, skip_reason="away"),
    )
    if moved == 1:
        record_skipped_away(session, checkin.commitment, checkin.scheduled_at, checkin_id=checkin.id, now=now)


def record_skipped_away(
    session: Session, commitment: Commitment, instant: datetime, *, checkin_id: int, now: datetime
) -> None:
    diary.record(
        session,
        account=commitment.account,
        kind="checkin_skipped",
        text=f"Check-in of {instant.astimezone(zone(commitment.owner.tz)):%a %d %b %H:%M} for "
        f"“{escape(commitment.action)}” was skipped (away): <@{commitment.owner.user_id}> is away. "
        "It does not count against anyone.",
        at=now,
        side=commitment.side,
        commitment_id=commitment.id,
        checkin_id=checkin_id,
        dedupe_key=f"checkin:{checkin_id}:skipped",
    )


def hold_open_checkins(session: Session, person: Person) -> None:
    """An open check-in neither reminds nor closes while its owner is away: both move past their return."""
    if person.away_until is None:
        return
    back = person.away_until
    for checkin in _checkins_of(session, person, CheckInState.SENT):
        tz = zone(person.tz)
        holidays = holiday_country_of(person, checkin.commitment.account)
        first_morning = working_morning_after(back - timedelta(seconds=1), 1, tz=tz, holiday_country=holidays)
        if checkin.remind_at is not None and checkin.remind_at < back:
            checkin.remind_at = first_morning
        if checkin.closes_at is not None and checkin.closes_at < first_morning:
            checkin.closes_at = end_of_working_day(first_morning, tz=tz, holiday_country=holidays)


def _end(session: Session, person: Person, accounts: list[Account], *, now: datetime, by: str | None) -> None:
    person.away_until = None
    person.away_reason = None
    person.away_source = None
    person.away_told = False
    early = f" (ended by <@{by}>)" if by and by != person.user_id else ""
    for account in accounts:
        diary.record(
            session,
            account=account,
            kind="back",
            text=f"<@{person.user_id}> is back{early}: check-ins to them start again.",
            at=now,
            actor_user_id=by,
        )


# --- the clock ----------------------------------------------------------------------------------------


def time_off(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> None:
    """Before scheduling: end away periods that have passed, read the Slack status of the owners whose
    check-ins are about to go out (through the profile cache), hold open check-ins of whoever is away,
    and tell CSMs of long absences."""
    end_finished(sessions, now=now)
    read_statuses(sessions, gateway, now=now)
    with sessions.begin() as session:
        for person in session.scalars(select(Person).where(Person.away_until > now)):
            hold_open_checkins(session, person)
    tell_csms_of_long_absences(sessions, gateway, now=now)


def end_finished(sessions: sessionmaker[Session], *, now: datetime) -> None:
    with sessions() as session:
        ids = list(session.scalars(select(Person.id).where(Person.away_until <= now)))
    for person_id in ids:
        with sessions.begin() as session:
            person = session.get(Person, person_id)
            if person is None or person.away_until is None or person.away_until > now:
                continue
            ended = person.away_until
            # Guarded: two clocks ending the same period write "back" once.
            if (
                rows_changed(
                    session,
                    update(Person)
                    .where(Person.id == person_id, Person.away_until == ended)
                    .values(away_until=None, away_reason=None, away_source=None, away_told=False),
                )
                != 1
            ):
                continue
            for account in _accounts_of(session, person):
                diary.record(
                    session,
                    account=account,
                    kind="back",
                    text=f"<@{person.user_id}> is back: check-ins to them start again.",
                    at=now,
                    dedupe_key=f"person:{person_id}:back:{ended.isoformat()}",
                )


def away_words(session: Session, team_id: str) -> list[str]:
    row = session.scalar(select(WorkspaceSettings).where(WorkspaceSettings.team_id == team_id))
    if row is None or not row.away_words:
        return list(DEFAULT_AWAY_WORDS)
    try:
        words = json.loads(row.away_words)
    except ValueError:
        return list(DEFAULT_AWAY_WORDS)
    return [str(word) for word in words] if isinstance(words, list) else list(DEFAULT_AWAY_WORDS)


def status_means_away(profile: SlackProfile, words: list[str]) -> bool:
    text = (profile.status_text or "").lower()
    emoji = (profile.status_emoji or "").lower()
    for word in words:
        lowered = word.strip().lower()
        if not lowered:
            continue
        if lowered.startswith(":") and lowered.endswith(":"):
            if emoji == lowered or lowered in text:
                return True
        elif lowered in text:
            return True
    return False


def read_statuses(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> None:
    """Owners with a check-in about to fall due whose cached profile is stale: read `users.info` once
    (as the cache would anyway), and an away status with an expiry makes them away until it expires."""
    from bot.accounts.people import PROFILE_TTL, upsert_person

    with sessions() as session:
        rows = session.execute(
            select(Person.id, Person.user_id, Person.team_id)
            .join(Commitment, Commitment.owner_id == Person.id)
            .where(Commitment.status == CommitmentStatus.ACTIVE, Commitment.agreed_at.is_not(None))
            .where((Commitment.next_checkin_at.is_(None)) | (Commitment.next_checkin_at <= now))
            .where((Person.profile_checked_at.is_(None)) | (Person.profile_checked_at <= now - PROFILE_TTL))
            .distinct()
        ).all()
    for person_id, user_id, team_id in rows:
        try:
            profile = gateway.user_profile(user_id)
        except SlackDeliveryError as exc:
            log.warning("status of %s not read: %s failed: %s", user_id, exc.method, exc.error)
            if exc.error in ("user_not_found", "user_not_visible"):
                # Slack won't show them: not asked again before the cache would be refreshed anyway.
                with sessions.begin() as session:
                    session.execute(
                        update(Person).where(Person.id == person_id).values(profile_checked_at=now)
                    )
            continue
        with sessions.begin() as session:
            person = session.get(Person, person_id)
            if person is None:
                continue
            try:
                upsert_person(
                    session,
                    team_id=person.team_id,
                    enterprise_id=person.enterprise_id,
                    user_id=user_id,
                    role_side=person.side,
                    profile=profile,
                    now=now,
                )
            except Refusal:
                person.profile_checked_at = now
            expires = profile.status_expiration
            if not expires or not status_means_away(profile, away_words(session, team_id)):
                continue
            until = datetime.fromtimestamp(expires, tz=now.tzinfo)
            if until <= now or (person.away_until is not None and person.away_until >= until):
                continue
            start_away(
                session,
                person,
                _accounts_of(session, person),
                until=until,
                reason=(profile.status_text or profile.status_emoji or "")[:MAX_REASON] or None,
                source=STATUS,
                now=now,
                by=None,
            )


def _working_days_away(person: Person, account: Account, *, now: datetime) -> int:
    assert person.away_until is not None
    day = now.astimezone(zone(person.tz)).date()
    last = _last_day(person)
    holidays = holiday_country_of(person, account)
    count = 0
    while day <= last:
        if is_working_day(day, holiday_country=holidays):
            count += 1
        day += timedelta(days=1)
    return count


def tell_csms_of_long_absences(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime
) -> None:
    """The CSM hears once, by DM, when someone on their account is away more than five working days,
    with the commitments affected. Claimed (marked told) before sending, so two clocks tell once; a
    DM that fails un-marks it, and a later pass tries again."""
    with sessions() as session:
        people = list(
            session.scalars(select(Person).where(Person.away_until > now, Person.away_told.is_(False)))
        )
        todo: list[tuple[int, datetime, dict[str, str]]] = []
        for person in people:
            assert person.away_until is not None
            by_csm: dict[str, list[str]] = defaultdict(list)
            for account in _accounts_of(session, person):
                if _working_days_away(person, account, now=now) <= LONG_ABSENCE_WORKING_DAYS:
                    continue
                open_ones = session.scalars(
                    select(Commitment)
                    .where(Commitment.account_id == account.id, Commitment.owner_id == person.id)
                    .where(Commitment.status.in_((CommitmentStatus.ACTIVE, CommitmentStatus.PAUSED)))
                    .order_by(Commitment.id)
                )
                lines = [f"• #{c.id} “{escape(c.action)}” ({escape(account.name)})" for c in open_ones]
                if person.user_id == account.champion_user_id:
                    lines.append(f"• they are the champion of {escape(account.name)}")
                by_csm[account.csm_user_id].extend(lines)
            if by_csm:
                head = _long_absence_text(person)
                todo.append(
                    (
                        person.id,
                        person.away_until,
                        {csm: "\n".join([head, *ls]) for csm, ls in by_csm.items()},
                    )
                )
    for person_id, until, messages in todo:
        with sessions.begin() as session:
            claimed = rows_changed(
                session,
                update(Person)
                .where(Person.id == person_id, Person.away_until == until, Person.away_told.is_(False))
                .values(away_told=True),
            )
        if claimed != 1:
            continue
        for csm, body in messages.items():
            try:
                gateway.send_dm(
                    csm, text=body, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": body}}]
                )
            except SlackDeliveryError as exc:
                log.warning("long absence not told to %s: %s %s", csm, exc.method, exc.error)
                with sessions.begin() as session:
                    session.execute(
                        update(Person)
                        .where(Person.id == person_id, Person.away_until == until)
                        .values(away_told=False)
                    )
                break


def _long_absence_text(person: Person) -> str:
    reason = f" ({escape(person.away_reason)})" if person.away_reason else ""
    return (
        f"<@{person.user_id}> is away until {_day_words(_last_day(person))}{reason} — more than "
        f"{LONG_ABSENCE_WORKING_DAYS} working days. Their check-ins are skipped meanwhile and count against "
        "nobody. Commitments affected:"
    )
