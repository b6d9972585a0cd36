"""How each subcommand is carried out once parsed and allowed.

Slack is asked about people (and, for accounts, their channels: `bot.accounts.channels`) before any
transaction opens (a Slack call never holds a lock), then the write happens in one transaction, so a
refusal at any step leaves the database as it was.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import CREATE_REFUSAL, Actor, manage_refusal, may_create_accounts, may_manage
from bot.accounts.agreements import post_agreement
from bot.accounts.channels import AccountChannels, Checks, Judged, judge
from bot.accounts.commitments import Commit, close, create_commitment, pause, resume
from bot.accounts.installation import Installation
from bot.accounts.listing import list_commitments
from bot.accounts.people import fetch_profiles, upsert_person, zone_unknown_untold
from bot.accounts.person_settings import PersonSettings, person_settings
from bot.accounts.plan_version import plan_changed
from bot.accounts.registry import (
    AccountAdd,
    AccountEdit,
    create_account,
    edit_account,
    find_account,
    find_readable_account,
)
from bot.commands import parsed, replies
from bot.commands.replies import Reply
from bot.dependencies import links
from bot.diary import entries as diary
from bot.diary.export import diary_csv
from bot.diary.pages import diary_page
from bot.digest.posting import post_digest_now
from bot.digest.settings import DigestSettings, change_digest_settings
from bot.errors import Refusal
from bot.escalation import risk
from bot.escalation.autopsy import AutopsyInput, record_autopsy
from bot.escalation.policy import policy_of, with_overrides
from bot.escalation.posting import redraw_resolved
from bot.escalation.signoff import request_sign_offs
from bot.people.away import Away, set_away
from bot.people.away_words import AwayWords, change_away_words
from bot.people.handing_over import follow_through, hand_over_everything
from bot.people.handover import redraw as redraw_handovers
from bot.people.handover import settle
from bot.renegotiation.posting import proposed_reply
from bot.renegotiation.proposals import create_proposal
from bot.slack.errors import plain
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, CommitmentStatus, DiaryEntry, Person, Side

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Execution:
    """One person's request being carried out: who, when, and how to reach the database and Slack."""

    sessions: sessionmaker[Session]
    gateway: SlackGateway
    actor: Actor
    now: datetime

    @contextmanager
    def writing(self, needed: Iterable[tuple[str, Side]] = ()) -> Iterator[tuple[Session, dict[str, Person]]]:
        """One transaction, with the people a command names fetched from Slack first and then stored."""
        needed = list(needed)
        actor, now = self.actor, self.now
        with self.sessions() as session:
            profiles = fetch_profiles(
                self.gateway, session, team_id=actor.team_id, user_ids=[u for u, _ in needed], now=now
            )
        with self.sessions.begin() as session:
            people = {
                user_id: upsert_person(
                    session,
                    team_id=actor.team_id,
                    enterprise_id=actor.enterprise_id,
                    user_id=user_id,
                    role_side=side,
                    profile=profiles.get(user_id),
                    now=now,
                )
                for user_id, side in needed
            }
            yield session, people


def _vendor_only(people: dict[str, Person], roles: Iterable[tuple[str, str | None]]) -> None:
    """A CSM or manager acts for the vendor: someone of another organisation can never be one."""
    for role, user_id in roles:
        if user_id and people[user_id].is_external:
            raise Refusal(
                f"<@{user_id}> is not one of the vendor's own people (another organisation, or a guest), "
                f"so they can't be the {role}. Name someone of your organisation."
            )


def _installation(actor: Actor) -> Installation:
    return Installation(team_id=actor.team_id, enterprise_id=actor.enterprise_id)


def _tell_csm(run: Execution, *, csm_user_id: str, zones_unknown: list[str], reply: str) -> str:
    """The CSM hears of people without a time zone even when someone else ran the command (by DM);
    a DM that fails is said in the reply, never dropped."""
    if not zones_unknown or csm_user_id == run.actor.user_id:
        return reply
    try:
        run.gateway.post_message(csm_user_id, text=replies.zones_unknown_for_csm(zones_unknown))
    except SlackDeliveryError as exc:
        log.warning("CSM %s not told of unknown zones: %s failed: %s", csm_user_id, exc.method, exc.error)
        return reply + "\n" + replies.csm_not_told(csm_user_id, plain(exc.error))
    return reply


def add_account(run: Execution, command: AccountAdd) -> str:
    if not may_create_accounts(run.actor):
        raise Refusal(CREATE_REFUSAL)
    channels = AccountChannels(
        shared_channel_id=command.shared_channel_id,
        escalation_channel_id=command.escalation_channel_id,
        digest_channel_id=command.digest_channel_id,
        champion_user_id=command.champion_user_id,
        checkin_delivery=command.checkin_delivery,
    )
    # One channel for both jobs is refused by create_account, in words of its own: no need to ask Slack.
    distinct = command.shared_channel_id != command.escalation_channel_id
    judged = _judge_channels(run, channels, Checks()) if distinct else Judged(shared_is_ext_shared=None)
    needed = [(command.champion_user_id, Side.CUSTOMER)]
    # The CSM (the creator unless csm: names someone) is stored too, so digests can name them.
    csm = command.csm_user_id or run.actor.user_id
    needed += [(user, Side.VENDOR) for user in (csm, command.manager_user_id) if user]
    with run.writing(needed) as (session, people):
        _vendor_only(people, [("CSM", command.csm_user_id), ("manager", command.manager_user_id)])
        account = create_account(session, command, actor=run.actor, now=run.now)
        zones = zone_unknown_untold(people.values())
        reply = replies.account_created(account, judged=judged, zones_unknown=zones)
        csm_user_id = account.csm_user_id
    return _tell_csm(run, csm_user_id=csm_user_id, zones_unknown=zones, reply=reply)


def _judge_channels(run: Execution, channels: AccountChannels, checks: Checks) -> Judged:
    return judge(
        run.gateway,
        run.sessions,
        installation=_installation(run.actor),
        channels=channels,
        checks=checks,
        now=run.now,
    )


def _channels_of(account: Account) -> AccountChannels:
    return AccountChannels(
        shared_channel_id=account.shared_channel_id,
        escalation_channel_id=account.escalation_channel_id,
        digest_channel_id=account.digest_channel_id,
        champion_user_id=account.champion_user_id,
        checkin_delivery=account.checkin_delivery,
    )


def edit(run: Execution, command: AccountEdit) -> str:
    sides = {"champion": Side.CUSTOMER, "csm": Side.VENDOR, "manager": Side.VENDOR}
    names = {"csm": "CSM", "manager": "manager"}
    changes = dict(command.changes)
    with run.sessions() as session:
        # Who may edit is settled before Slack is asked anything about the account's channels.
        before = find_account(session, team_id=run.actor.team_id, name=command.name)
        if not may_manage(run.actor, before):
            raise Refusal(manage_refusal(before))
        current = _channels_of(before)
    intended = AccountChannels(
        shared_channel_id=changes.get("channel") or current.shared_channel_id,
        escalation_channel_id=changes.get("escalations") or current.escalation_channel_id,
        digest_channel_id=changes.get("digest", current.digest_channel_id),
        champion_user_id=changes.get("champion") or current.champion_user_id,
        checkin_delivery=changes.get("checkins") or current.checkin_delivery,
    )
    checks = Checks(
        shared="channel" in changes,
        # Whether the champion can read the channel depends on the channel, on them, and on where
        # their check-ins go.
        champion=bool({"channel", "champion", "checkins"} & changes.keys()),
        escalation="escalations" in changes,
        digest=changes.get("digest") is not None,
    )
    distinct = intended.shared_channel_id != intended.escalation_channel_id
    judged = _judge_channels(run, intended, checks) if distinct else Judged(shared_is_ext_shared=None)
    needed = [(value, sides[key]) for key, value in command.changes if key in sides and value]
    with run.writing(needed) as (session, people):
        _vendor_only(people, [(names[key], value) for key, value in command.changes if key in names])
        account = edit_account(session, command, actor=run.actor, now=run.now)
        if checks.any and _channels_of(account) != intended:
            # Someone else changed the account while Slack was being asked: what was judged is stale.
            raise Refusal(f"{escape(account.name)} changed while I was checking it. Please try again.")
        zones = zone_unknown_untold(people.values())
        reply = replies.account_updated(account, judged=judged, zones_unknown=zones)
        if changes.get("champion") not in (None, current.champion_user_id):
            reply += "\n" + replies.new_champion_agrees(account)
        csm_user_id = account.csm_user_id
        # A champion named here settles a hand-over that was waiting for one.
        handovers = settle(session, account, now=run.now)
    redraw_handovers(run.sessions, run.gateway, handovers)
    return _tell_csm(run, csm_user_id=csm_user_id, zones_unknown=zones, reply=reply)


def commit(run: Execution, command: Commit) -> str:
    with run.writing([(command.owner_user_id, command.side)]) as (session, people):
        account = find_account(session, team_id=run.actor.team_id, name=command.account)
        owner = people[command.owner_user_id]
        if command.side is Side.VENDOR and owner.is_external:
            raise Refusal(
                f"<@{owner.user_id}> is from the customer's organisation, so they can't own a vendor commitment."
            )
        created = create_commitment(
            session, command, account=account, owner=owner, actor=run.actor, now=run.now
        )
        return replies.commitment_recorded(command, created, account=account, owner=owner)


def depend(run: Execution, command: parsed.Depend) -> str:
    with run.writing() as (session, _):
        return links.depend(
            session, waiting_id=command.commitment_id, blocker_id=command.on_id, **_acting(run)
        )


def undepend(run: Execution, command: parsed.Undepend) -> str:
    with run.writing() as (session, _):
        return links.undepend(session, waiting_id=command.commitment_id, **_acting(run))


def policy(run: Execution, command: parsed.PolicyCommand) -> str:
    with run.writing() as (session, _):
        if not command.changes:
            account = find_readable_account(session, actor=run.actor, name=command.account)
            return replies.policy_shown(account, policy_of(account))
        account = find_account(session, team_id=run.actor.team_id, name=command.account)
        if not may_manage(run.actor, account):
            raise Refusal(manage_refusal(account))
        try:
            changed = with_overrides(account, dict(command.changes))
        except ValueError as exc:
            raise Refusal(str(exc)) from exc
        diary.record(
            session,
            account=account,
            kind="policy_changed",
            text=replies.policy_changed_entry(command.changes),
            at=run.now,
            actor_user_id=run.actor.user_id,
        )
        plan_changed(session, account)
        return replies.policy_updated(account, changed)


def correct(run: Execution, command: parsed.Correct) -> str:
    actor = run.actor
    with run.writing() as (session, _):
        entry = session.get(DiaryEntry, command.entry_id)
        if entry is None or entry.team_id != actor.team_id:
            raise Refusal(
                f"There is no diary entry #{command.entry_id}. `/accountability diary <Account>` shows the numbers."
            )
        account = session.get_one(Account, entry.account_id)
        if not may_manage(actor, account):
            raise Refusal(manage_refusal(account))
        correction = diary.correct(
            session, entry=entry, account=account, text=command.text, actor_user_id=actor.user_id, at=run.now
        )
        session.flush()
        return replies.correction_recorded(correction, entry=entry, account=account)


class _Acting(TypedDict):
    team_id: str
    actor: Actor
    now: datetime


class _Target(_Acting):
    commitment_id: int | None
    account_name: str | None


def _acting(run: Execution) -> _Acting:
    return {"team_id": run.actor.team_id, "actor": run.actor, "now": run.now}


def _target(run: Execution, command: parsed.Targets) -> _Target:
    return {**_acting(run), "commitment_id": command.commitment_id, "account_name": command.account}


def listing(run: Execution, command: parsed.ListCommitments) -> str:
    with run.writing() as (session, _):
        return list_commitments(session, account_name=command.account, **_acting(run))


def pause_some(run: Execution, command: parsed.Pause) -> str:
    with run.writing() as (session, _):
        return pause(session, until=command.until, **_target(run, command))


def resume_some(run: Execution, command: parsed.Resume) -> str:
    with run.writing() as (session, _):
        return resume(session, **_target(run, command))


def _close(run: Execution, commitment_id: int, *, status: CommitmentStatus, note: str | None) -> str:
    with run.writing() as (session, _):
        closed = close(session, commitment_id=commitment_id, status=status, note=note, **_acting(run))
    redraw_resolved(run.sessions, run.gateway, closed.resolved, now=run.now)
    return closed.reply


def done(run: Execution, command: parsed.MarkDone) -> str:
    return _close(run, command.commitment_id, status=CommitmentStatus.DONE, note=command.note)


def cancel(run: Execution, command: parsed.Cancel) -> str:
    return _close(run, command.commitment_id, status=CommitmentStatus.CANCELLED, note=command.reason)


def agreement(run: Execution, command: parsed.Agreement) -> str:
    actor = run.actor
    return post_agreement(
        run.sessions,
        run.gateway,
        team_id=actor.team_id,
        account_name=command.account,
        actor=actor,
        now=run.now,
    )


def diary_view(run: Execution, command: parsed.DiaryView) -> Reply:
    with run.sessions() as session:
        account = find_readable_account(session, actor=run.actor, name=command.account)
        page = diary_page(session, account=account, actor=run.actor, since=command.since, page=1)
    return Reply(page.text, page.blocks)


def export(run: Execution, command: parsed.Export) -> str:
    with run.sessions() as session:
        account = find_readable_account(session, actor=run.actor, name=command.account)
        content, count = diary_csv(session, account=account, actor=run.actor)
        name = account.name
    filename = f"{re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-').lower() or 'account'}-diary.csv"
    run.gateway.upload_file(
        channel=run.gateway.open_dm(run.actor.user_id),
        filename=filename,
        content=content,
        title=f"Accountability diary — {name}",
        initial_comment=replies.export_comment(count, name=name),
    )
    return replies.exported(count, name=name, filename=filename)


def digest_now(run: Execution, command: parsed.DigestNow) -> str:
    return post_digest_now(
        run.sessions, run.gateway, actor=run.actor, account_name=command.account, now=run.now
    )


def digest_settings(run: Execution, command: DigestSettings) -> str:
    with run.sessions.begin() as session:
        return change_digest_settings(session, command, actor=run.actor, now=run.now)


def person(run: Execution, command: PersonSettings) -> str:
    return person_settings(run.sessions, run.gateway, command, actor=run.actor, now=run.now)


def away(run: Execution, command: Away) -> str:
    return set_away(run.sessions, run.gateway, command, actor=run.actor, now=run.now)


def away_words_setting(run: Execution, command: AwayWords) -> str:
    with run.sessions.begin() as session:
        return change_away_words(session, command, actor=run.actor, now=run.now)


def autopsy(run: Execution, data: AutopsyInput) -> str:
    actor = run.actor
    fix = data.corrective
    needed = [(fix.owner_user_id, fix.side)] if fix else []
    # Those taking part are stored as people (named in the digest; anyone of another organisation
    # stays a customer), after the same checks: a bot or a deactivated account is refused.
    needed += [(u, Side.VENDOR) for u in data.participants if not fix or u != fix.owner_user_id]
    with run.writing(needed) as (session, people):
        account = session.get(Account, data.account_id)
        if account is None or account.team_id != actor.team_id:
            raise Refusal("That account no longer exists.")
        if not may_manage(actor, account):
            raise Refusal(manage_refusal(account))
        corrective_ids: list[int] = []
        if fix is not None:
            owner = people[fix.owner_user_id]
            created = create_commitment(session, fix, account=account, owner=owner, actor=actor, now=run.now)
            corrective_ids.append(created.commitment.id)
        recorded = record_autopsy(
            session,
            data=data,
            account=account,
            user_id=actor.user_id,
            now=run.now,
            corrective_ids=corrective_ids,
        )
        reply = replies.autopsy_recorded(account, causes=len(data.causes), corrective_ids=corrective_ids)
        autopsy_id = recorded.id
    if not data.participants:
        return reply
    # Asked once the autopsy is stored: a Slack call never holds the transaction open.
    problems = request_sign_offs(run.sessions, run.gateway, autopsy_id)
    asked = f" {len(data.participants) - len(problems)} of {len(data.participants)} taking part were asked to sign it off."
    return " ".join([reply + asked, *problems])


def clear_risk(run: Execution, command: parsed.ClearRisk) -> str:
    with run.writing() as (session, _):
        account = find_account(session, team_id=run.actor.team_id, name=command.account)
        if not may_manage(run.actor, account):
            raise Refusal(manage_refusal(account))
        risk.clear_risk(session, account, by=run.actor.user_id, reason=command.reason, now=run.now)
        return f"The at-risk mark on {escape(account.name)} is cleared, and the reason is in the diary."


def propose(run: Execution, command: parsed.Propose) -> str:
    """Opened in one transaction (refused if another is open), then put to the other side."""
    actor = run.actor
    proposed = create_proposal(
        run.sessions,
        commitment_id=command.commitment_id,
        checkin_id=None,
        user_id=actor.user_id,
        is_admin=actor.is_admin and not actor.is_external,
        new=command.new,
        reason=command.reason,
        now=run.now,
        team_id=actor.team_id,
    )
    return proposed_reply(run.sessions, run.gateway, proposed, now=run.now)


def handover(run: Execution, command: parsed.Handover) -> str:
    results = hand_over_everything(
        run.sessions,
        run.gateway,
        actor=run.actor,
        from_user_id=command.from_user_id,
        to_user_id=command.to_user_id,
        account_name=command.account,
        now=run.now,
    )
    return follow_through(run.sessions, run.gateway, results, actor=run.actor, now=run.now)
