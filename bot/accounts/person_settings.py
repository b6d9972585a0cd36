"""`/accountability person @x`: one person's settings — where their check-ins go and their time zone.

A person's own choice of place (`checkins:dm|channel|auto`) wins over their accounts' setting;
`checkins:account` gives the choice back to the accounts. A time zone set here is for someone Slack has
no zone for (often a guest or someone of another organisation): a profile refresh that brings no zone
keeps it, while a zone Slack does know is the person's own setting, changed in Slack.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Actor
from bot.checkins import delivery
from bot.checkins.undelivered import problems_of
from bot.diary import entries as diary
from bot.errors import Refusal
from bot.review.schedule import champion_zone_changed
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Commitment, Person

log = logging.getLogger(__name__)

ACCOUNT = "account"  # `checkins:account`: no choice of their own, the account's setting applies


@dataclass(frozen=True)
class PersonSettings:
    """No options: show the person's settings. `checkins` is dm|channel|auto|account."""

    user_id: str
    checkins: str | None = None
    tz: str | None = None
    # Their own public-holiday calendar: a country code, "none", or ACCOUNT (the account's again).
    holidays: str | None = None

    @property
    def changes(self) -> bool:
        return self.checkins is not None or self.tz is not None or self.holidays is not None


def person_settings(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    command: PersonSettings,
    *,
    actor: Actor,
    now: datetime,
) -> str:
    slack_tz = _slack_zone(gateway, command.user_id) if command.tz is not None else None
    with sessions.begin() as session:
        person, accounts = _concerned(session, actor=actor, user_id=command.user_id)
        if not command.changes:
            return _shown(person, accounts, now=now)
        said: list[str] = []
        if command.checkins is not None:
            said.append(_set_place(person, command.checkins))
        if command.tz is not None:
            said.append(_set_zone(session, person, command.tz, slack_tz=slack_tz))
        if command.holidays is not None:
            said.append(_set_holidays(session, person, command.holidays))
        for account in accounts:
            diary.record(
                session,
                account=account,
                kind="person_settings",
                text=f"Settings of <@{person.user_id}> changed by <@{actor.user_id}>: "
                + "; ".join(said)
                + ".",
                at=now,
                actor_user_id=actor.user_id,
            )
        return "Done — " + "; ".join(said) + ".\n" + _shown(person, accounts, now=now)


def _concerned(session: Session, *, actor: Actor, user_id: str) -> tuple[Person, list[Account]]:
    """The person and the accounts they are on (champion or commitment owner), if the actor may act
    for them: an admin, or the CSM of one of those accounts."""
    person = session.scalar(select(Person).where(Person.team_id == actor.team_id, Person.user_id == user_id))
    owned = select(Commitment.account_id).join(Person, Person.id == Commitment.owner_id)
    owned = owned.where(Person.team_id == actor.team_id, Person.user_id == user_id)
    accounts = list(
        session.scalars(
            select(Account)
            .where(Account.team_id == actor.team_id)
            .where(or_(Account.champion_user_id == user_id, Account.id.in_(owned)))
            .order_by(Account.name_key)
        )
    )
    if person is None or not accounts:
        raise Refusal(
            f"<@{user_id}> is not on any account yet (neither a champion nor the owner of a commitment), "
            "so there is nothing to set for them."
        )
    if actor.is_admin or any(account.csm_user_id == actor.user_id for account in accounts):
        return person, accounts
    csms = ", ".join(sorted({f"<@{account.csm_user_id}>" for account in accounts}))
    raise Refusal(
        f"Only the CSM of an account <@{user_id}> is on ({csms}) or an accountability admin can see or "
        "change their settings."
    )


def _set_place(person: Person, checkins: str) -> str:
    person.checkin_delivery = None if checkins == ACCOUNT else checkins
    if checkins == ACCOUNT:
        return "check-ins go where each account's setting says"
    return f"check-ins go to {delivery.SETTING_WORDS[checkins]} (`{checkins}`)"


def _slack_zone(gateway: SlackGateway, user_id: str) -> str | None:
    """The zone Slack has for them, read before any transaction opens; None when Slack has none (or
    can't show them to us, as for some people of other organisations)."""
    try:
        return gateway.user_profile(user_id).tz
    except SlackDeliveryError as exc:
        if exc.error in ("user_not_found", "user_not_visible"):
            return None
        raise


def _set_zone(session: Session, person: Person, tz: str, *, slack_tz: str | None) -> str:
    if slack_tz is not None and slack_tz != tz:
        raise Refusal(
            f"Slack already has a time zone for <@{person.user_id}> ({slack_tz}), from their own Slack "
            "settings, and it wins: ask them to change it in Slack. `tz:` is for people Slack has no zone for."
        )
    if person.tz != tz:
        person.tz = tz
        # Their check-ins move with them: the clock must recompute when the next one falls.
        session.execute(
            update(Commitment).where(Commitment.owner_id == person.id).values(next_checkin_at=None)
        )
        champion_zone_changed(session, team_id=person.team_id, user_id=person.user_id)
    return f"time zone {tz}"


def _set_holidays(session: Session, person: Person, holidays: str) -> str:
    """Their own calendar wins over their accounts' for their check-ins (`bot.people.away.holiday_country_of`)."""
    person.holiday_country = None if holidays == ACCOUNT else holidays
    # Their check-ins move with their calendar: the clock recomputes when the next one falls.
    session.execute(update(Commitment).where(Commitment.owner_id == person.id).values(next_checkin_at=None))
    if holidays == ACCOUNT:
        return "public holidays from each account's calendar"
    if holidays == "none":
        return "no public holidays (`holidays:none`)"
    return f"public holidays of {holidays}"


def _shown(person: Person, accounts: list[Account], *, now: datetime) -> str:
    name = f" ({escape(person.display_name)})" if person.display_name else ""
    zone = person.tz or "unknown — set it with `tz:Europe/Paris` (an IANA name)"
    own = (
        f"`{person.checkin_delivery}` (their own choice)"
        if person.checkin_delivery
        else "each account's setting"
    )
    lines = [
        f"*<@{person.user_id}>*{name}",
        f"• Time zone: {zone}",
        f"• Check-ins: {own}",
        "• Public holidays: "
        + (f"{person.holiday_country} (their own)" if person.holiday_country else "each account's calendar"),
        *(f"   ◦ {line}" for line in delivery.describe(person, accounts, now=now)),
    ]
    problems = problems_of(person)
    if problems:
        lines.append("• Can't be delivered right now: " + "; ".join(cause.words() for cause in problems))
    lines.append(
        "Change with `/accountability person <@…> checkins:dm|channel|auto|account`, `tz:<IANA zone>` and "
        "`holidays:<country>|none|account`."
    )
    return "\n".join(lines)
