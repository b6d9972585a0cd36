"""People and their time zones, learnt from Slack's `users.info` and cached in the database.

`users.info` is cheap (Tier 4) but not free, and a check-in must be scheduled in the owner's own zone:
profiles are refreshed when older than a day, and read from the table otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Actor
from bot.accounts.installation import Installation
from bot.errors import Refusal
from bot.review.schedule import champion_zone_changed
from bot.slack.gateway import SlackDeliveryError, SlackGateway, SlackProfile
from models import Commitment, Person, Side

log = logging.getLogger(__name__)

PROFILE_TTL = timedelta(hours=24)


def fetch_profiles(
    gateway: SlackGateway, session: Session, *, team_id: str, user_ids: list[str], now: datetime
) -> dict[str, SlackProfile]:
    """Profiles for the users whose cached row is missing or stale; the rest need no Slack call."""
    cached = {
        p.user_id: p
        for p in session.scalars(
            select(Person).where(Person.team_id == team_id, Person.user_id.in_(user_ids))
        )
    }
    fetched: dict[str, SlackProfile] = {}
    for user_id in dict.fromkeys(user_ids):
        person = cached.get(user_id)
        if person is not None and person.profile_checked_at and now - person.profile_checked_at < PROFILE_TTL:
            continue
        try:
            fetched[user_id] = gateway.user_profile(user_id)
        except SlackDeliveryError as exc:
            log.warning("profile of %s not read: %s failed: %s", user_id, exc.method, exc.error)
            if exc.error == "user_not_found":
                raise Refusal(
                    f"I can't find <@{user_id}> in Slack. Mention someone who is in this workspace "
                    "or in a channel shared with it."
                ) from exc
            raise
    return fetched


def upsert_person(
    session: Session,
    *,
    team_id: str,
    enterprise_id: str | None,
    user_id: str,
    role_side: Side,
    profile: SlackProfile | None,
    now: datetime,
) -> Person:
    """The person's row, created or refreshed; someone from another organisation is always a customer."""
    person = session.scalar(select(Person).where(Person.team_id == team_id, Person.user_id == user_id))
    if person is None:
        person = Person(team_id=team_id, enterprise_id=enterprise_id, user_id=user_id, side=role_side)
        session.add(person)
    if profile is not None:
        if profile.is_bot:
            raise Refusal(f"<@{user_id}> is a bot. Commitments and champions must be people.")
        if profile.deleted:
            raise Refusal(f"<@{user_id}> has been deactivated in Slack.")
        person.home_team_id = profile.team_id
        person.display_name = profile.name[:120]
        # Slack leaves the zone out for some people of another organisation: a refresh without one
        # keeps the zone someone set (`/accountability person @x tz:…`); None means "unknown" (UTC).
        tz = profile.tz if profile.tz is not None else person.tz
        if person.id is not None and person.tz != tz:
            # Their check-ins move with them: the clock must recompute when the next one falls.
            session.execute(
                update(Commitment).where(Commitment.owner_id == person.id).values(next_checkin_at=None)
            )
        if person.tz != tz:
            # So do the weekly reviews of the accounts they champion (UTC until their zone is known).
            champion_zone_changed(session, team_id=team_id, user_id=user_id)
        person.tz = tz
        person.is_external = not Installation(team_id, enterprise_id).employs(profile)
        person.profile_checked_at = now
    person.side = Side.CUSTOMER if person.is_external else role_side
    session.flush()
    return person


def zone_unknown_untold(people: Iterable[Person]) -> list[str]:
    """The people Slack gave no time zone, not yet told of: their check-ins fall in UTC (see
    `bot.checkins.schedule.zone`) until someone sets one. Marked told, so the CSM hears it once."""
    untold: list[str] = []
    for person in dict.fromkeys(people):
        if person.tz is None and not person.tz_unknown_told:
            person.tz_unknown_told = True
            untold.append(person.user_id)
    return untold


def identify(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    installation: Installation,
    user_id: str,
    admins: frozenset[str],
    now: datetime,
) -> Actor:
    """The person behind a request, judged against the installation from Slack's own profile of them.

    Reads only: a refused request writes nothing, not even the cache. A fresh cached profile answers
    without a Slack call; otherwise `users.info` does. Someone Slack cannot find is an outsider.
    """
    with sessions() as session:
        person = session.scalar(
            select(Person).where(Person.team_id == installation.team_id, Person.user_id == user_id)
        )
        cached = (
            (person.is_external, person.tz)
            if person is not None
            and person.profile_checked_at is not None
            and now - person.profile_checked_at < PROFILE_TTL
            else None
        )
    if cached is not None:
        external, tz = cached
    else:
        try:
            profile = gateway.user_profile(user_id)
        except SlackDeliveryError as exc:
            log.warning("profile of %s not read: %s failed: %s", user_id, exc.method, exc.error)
            if exc.error != "user_not_found":
                raise
            external, tz = True, None
        else:
            external, tz = not installation.employs(profile) or profile.deleted, profile.tz
    return _actor(installation, user_id=user_id, admins=admins, external=external, tz=tz)


def _actor(
    installation: Installation, *, user_id: str, admins: frozenset[str], external: bool, tz: str | None
) -> Actor:
    return Actor(
        user_id=user_id,
        team_id=installation.team_id,
        enterprise_id=installation.enterprise_id,
        # Admins are named by user ID (unique across organisations); an outsider is never one.
        is_admin=user_id in admins and not external,
        is_external=external,
        tz=tz,
    )


def quick_actor(
    session: Session,
    *,
    installation: Installation,
    user_id: str,
    payload_team_id: str | None,
    payload_enterprise_id: str | None,
    admins: frozenset[str],
) -> Actor:
    """A Slack-call-free judgement for the 3-second ack, used only to refuse or to open a form.

    The payload's team may *refuse* (a team outside the installation is never the vendor) but never
    grant: whatever the form submits is judged again by `identify`.
    """
    person = session.scalar(
        select(Person).where(Person.team_id == installation.team_id, Person.user_id == user_id)
    )
    external = not installation.includes(team_id=payload_team_id, enterprise_id=payload_enterprise_id) or (
        person is not None and person.is_external
    )
    tz = person.tz if person is not None else None
    return _actor(installation, user_id=user_id, admins=admins, external=external, tz=tz)
