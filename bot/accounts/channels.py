"""Whether an account's channels can do their jobs, asked of Slack before anything is written.

An account names three kinds of channel, each read by different people:
- the *shared* channel (usually Slack Connect): the diary, the plan, channel check-ins and the weekly
  review, read by both sides — the bot must be in it, and the champion should be;
- the *escalation* channel: escalations quote the customer's misses and are for the vendor's eyes only;
- the *digest* channel: the managers' digest holds both sides' scorecards, for the vendor too.

`judge` reads only (`conversations.info`, `conversations.members`, `users.info`), so it runs before the
write transaction opens: a refusal writes nothing, and a Slack call never holds a database lock. A channel
the bot cannot see or is not in is a refusal with the fix; any other failed call is left to the runner,
which answers "Slack did not answer, nothing was changed".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.installation import Installation
from bot.accounts.people import PROFILE_TTL
from bot.errors import Refusal
from bot.slack.gateway import MEMBERS_LIMIT, ChannelInfo, SlackDeliveryError, SlackGateway
from models import Person

# Slack's answers meaning "the bot can't see this channel / isn't in it": the fix is an invitation.
NOT_THERE = frozenset({"channel_not_found", "not_in_channel"})

# At most this many members of a vendor-only channel are judged person by person (a `users.info` each,
# unless the person's cached profile is fresh). A larger channel is judged by `is_ext_shared` alone:
# someone of another organisation can only be in it through Slack Connect, which sets it — the member
# check adds guests of the vendor's own workspace, which a large all-hands channel should not delay.
MEMBERS_JUDGED = 100

ESCALATION_REASON = (
    "escalations quote the customer's misses and are for the vendor's eyes only. "
    "Choose a channel only your own people are in."
)
DIGEST_REASON = (
    "the digest holds both sides' scorecards and is for the vendor's managers. "
    "Choose a channel only your own people are in."
)


@dataclass(frozen=True)
class AccountChannels:
    """What the checks look at: the account's channels and champion as they would be once written."""

    shared_channel_id: str
    escalation_channel_id: str
    digest_channel_id: str | None
    champion_user_id: str
    checkin_delivery: str


@dataclass(frozen=True)
class Judged:
    """What the reply says about the channels: whether the shared one is shared, and any notes."""

    shared_is_ext_shared: bool | None  # None: the shared channel was not looked at
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checks:
    """Which parts to judge: all of them for `account add`, what changed for `account edit`."""

    shared: bool = True
    champion: bool = True
    escalation: bool = True
    digest: bool = True

    @property
    def any(self) -> bool:
        return self.shared or self.champion or self.escalation or self.digest


def judge(
    gateway: SlackGateway,
    sessions: sessionmaker[Session],
    *,
    installation: Installation,
    channels: AccountChannels,
    checks: Checks,
    now: datetime,
) -> Judged:
    """Refuses (`Refusal`) a channel that can't do its job; otherwise what the reply should say."""
    notes: list[str] = []
    shared_is_ext_shared: bool | None = None
    if checks.shared or checks.champion:
        shared = _postable(
            gateway, channels.shared_channel_id, job="I post the diary, the plan and check-ins there"
        )
        shared_is_ext_shared = shared.is_ext_shared
        if checks.champion:
            note = _champion_note(gateway, sessions, installation=installation, channels=channels)
            if note:
                notes.append(note)
    if checks.escalation:
        _vendor_only(
            gateway,
            sessions,
            installation=installation,
            channel_id=channels.escalation_channel_id,
            role="the escalation channel",
            reason=ESCALATION_REASON,
            job="I post escalations there",
            now=now,
        )
    if checks.digest and channels.digest_channel_id:
        _vendor_only(
            gateway,
            sessions,
            installation=installation,
            channel_id=channels.digest_channel_id,
            role="the digest channel",
            reason=DIGEST_REASON,
            job="I post the digest there",
            now=now,
        )
    return Judged(shared_is_ext_shared=shared_is_ext_shared, notes=tuple(notes))


def _invite(channel_id: str, *, job: str) -> Refusal:
    return Refusal(
        f"Invite @accountability to <#{channel_id}> first (`/invite @accountability` in the channel), "
        f"then try again: {job}."
    )


def _postable(gateway: SlackGateway, channel_id: str, *, job: str) -> ChannelInfo:
    """The channel's info, if the bot can post there: it is a member and the channel is not archived."""
    try:
        info = gateway.channel_info(channel_id)
    except SlackDeliveryError as exc:
        if exc.error in NOT_THERE:
            # A private channel the bot is not in looks, to the bot, like no channel at all.
            raise _invite(channel_id, job=job) from exc
        raise
    if info.is_archived:
        raise Refusal(f"<#{channel_id}> is archived, so I can't post there. Choose another channel.")
    if not info.is_member:
        raise _invite(channel_id, job=job)
    return info


def _members(gateway: SlackGateway, channel_id: str, *, limit: int, job: str) -> list[str]:
    try:
        return gateway.channel_members(channel_id, limit=limit)
    except SlackDeliveryError as exc:
        if exc.error in NOT_THERE:
            raise _invite(channel_id, job=job) from exc
        raise


def _champion_note(
    gateway: SlackGateway,
    sessions: sessionmaker[Session],
    *,
    installation: Installation,
    channels: AccountChannels,
) -> str | None:
    """The champion must be in the shared channel — unless their check-ins go by DM only.

    Under `checkins:channel` their check-ins are posted there, and under `auto` every check-in they can't
    be sent by DM goes there too: a champion outside the channel would never see them, and their misses
    would count against the customer for a message nobody could read. So the account is refused, with the
    fix. Under `checkins:dm` (the account's, or the champion's own `person` setting) nothing of theirs
    depends on the channel, so the account is accepted with a note: they will still want to join it for
    the diary and the weekly review.
    """
    members = _members(
        gateway,
        channels.shared_channel_id,
        limit=MEMBERS_LIMIT,
        job="I post the diary, the plan and check-ins there",
    )
    if channels.champion_user_id in members:
        return None
    if len(members) >= MEMBERS_LIMIT:
        # Too many members to have read them all: the champion may well be among the rest.
        return None
    champion, channel = f"<@{channels.champion_user_id}>", f"<#{channels.shared_channel_id}>"
    if _delivery(sessions, installation=installation, channels=channels) == "dm":
        return (
            f"{champion} is not in {channel}: their check-ins go by DM, but invite them to the channel "
            "to see the diary and the weekly review."
        )
    raise Refusal(
        f"{champion} is not in {channel}, so check-ins posted there would never reach them. "
        f"Invite them to {channel}, or send their check-ins by DM only with `checkins:dm` "
        "(e.g. `/accountability account edit <Account> checkins:dm`)."
    )


def _delivery(
    sessions: sessionmaker[Session], *, installation: Installation, channels: AccountChannels
) -> str:
    """Where the champion's check-ins go: their own setting, else the account's."""
    with sessions() as session:
        own = session.scalar(
            select(Person.checkin_delivery).where(
                Person.team_id == installation.team_id, Person.user_id == channels.champion_user_id
            )
        )
    return own or channels.checkin_delivery


def _vendor_only(
    gateway: SlackGateway,
    sessions: sessionmaker[Session],
    *,
    installation: Installation,
    channel_id: str,
    role: str,
    reason: str,
    job: str,
    now: datetime,
) -> None:
    """A channel for the vendor's eyes: the bot can post there, and no one of another organisation is in it."""
    info = _postable(gateway, channel_id, job=job)
    if info.is_ext_shared:
        raise Refusal(f"<#{channel_id}> is shared with another organisation, so it can't be {role}: {reason}")
    members = _members(gateway, channel_id, limit=MEMBERS_JUDGED + 1, job=job)
    if len(members) > MEMBERS_JUDGED:
        return  # judged by is_ext_shared alone (see MEMBERS_JUDGED)
    own = gateway.own_user_id()
    outsiders = _outsiders(
        gateway, sessions, installation=installation, user_ids=[m for m in members if m != own], now=now
    )
    if outsiders:
        named = ", ".join(f"<@{user_id}>" for user_id in outsiders[:5])
        raise Refusal(
            f"<#{channel_id}> has people from outside your organisation in it ({named}), "
            f"so it can't be {role}: {reason}"
        )


def _outsiders(
    gateway: SlackGateway,
    sessions: sessionmaker[Session],
    *,
    installation: Installation,
    user_ids: Iterable[str],
    now: datetime,
) -> list[str]:
    """Members who are not the vendor's own people: a fresh cached profile answers, else `users.info`.

    Nothing is stored: these people are looked at, not named by the account (and a refusal writes nothing).
    """
    user_ids = list(user_ids)
    with sessions() as session:
        cached = {
            person.user_id: person.is_external
            for person in session.scalars(
                select(Person).where(Person.team_id == installation.team_id, Person.user_id.in_(user_ids))
            )
            if person.profile_checked_at is not None and now - person.profile_checked_at < PROFILE_TTL
        }
    outsiders: list[str] = []
    for user_id in user_ids:
        if user_id in cached:
            if cached[user_id]:
                outsiders.append(user_id)
            continue
        try:
            profile = gateway.user_profile(user_id)
        except SlackDeliveryError as exc:
            if exc.error != "user_not_found":
                raise
            # A member Slack won't show us is no one we can vouch for.
            outsiders.append(user_id)
            continue
        if not profile.deleted and not installation.employs(profile):
            outsiders.append(user_id)
    return outsiders
