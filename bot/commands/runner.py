"""Carrying out one `/accountability` command and wording the answer.

The order matters: parse (no I/O), look people up in Slack (no transaction open), then write
everything in one transaction, so a refusal at any step leaves the database as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import CUSTOMER_REFUSAL, Actor, manage_refusal, may_manage
from bot.accounts.agreements import post_agreement
from bot.accounts.commitments import close, create_commitment, pause, resume
from bot.accounts.installation import Installation
from bot.accounts.listing import list_commitments
from bot.accounts.people import fetch_profiles, identify, quick_actor, upsert_person
from bot.accounts.plan_version import plan_changed
from bot.accounts.registry import create_account, edit_account, find_account, find_readable_account
from bot.checkins.schedule import zone
from bot.commands.forms import FORMS
from bot.commands.grammar import (
    AccountAdd,
    AccountEdit,
    Agreement,
    Cancel,
    Command,
    CommandError,
    Commit,
    Correct,
    DiaryView,
    DigestNow,
    DigestSettings,
    Export,
    Help,
    ListCommitments,
    MarkDone,
    OpenAutopsy,
    OpenForm,
    Pause,
    PolicyCommand,
    Resume,
    help_text,
    parse,
)
from bot.diary import entries as diary
from bot.diary.export import diary_csv
from bot.diary.pages import diary_page, page_request
from bot.digest.posting import post_digest_now
from bot.digest.settings import change_digest_settings
from bot.errors import Refusal
from bot.escalation.autopsy import AutopsyInput, autopsy_form, record_autopsy
from bot.escalation.policy import policy_of, with_overrides
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, CommitmentStatus, DiaryEntry, Person, Side


@dataclass(frozen=True)
class Reply:
    """What the person sees: plain text always (notifications, screen readers), blocks when richer."""

    text: str
    blocks: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Invocation:
    """A command or form submission: who sent it, and the installation (the vendor) it was sent to."""

    installation: Installation
    user_id: str
    text: str


@dataclass(frozen=True)
class AckAnswer:
    """What the 3-second ack does: open a modal (a trigger_id dies within 3 seconds), refuse with the
    reason and the right form, or simply acknowledge and leave the work for after it."""

    view: dict[str, Any] | None = None
    refusal: str | None = None


def answer_in_ack(
    text: str,
    *,
    sessions: sessionmaker[Session],
    installation: Installation,
    user_id: str,
    payload_team_id: str | None,
    payload_enterprise_id: str | None,
    admins: frozenset[str],
    now: datetime,
) -> AckAnswer:
    """One parse, no Slack call: cheap enough for the ack. Forms open only for the vendor's people;
    what a form submits is judged again in full when it arrives."""
    try:
        command = parse(text, today=now.astimezone(UTC).date())
    except CommandError as exc:
        return AckAnswer(refusal=exc.reply)
    if not isinstance(command, OpenForm | OpenAutopsy):
        return AckAnswer()
    with sessions() as session:
        actor = quick_actor(
            session,
            installation=installation,
            user_id=user_id,
            payload_team_id=payload_team_id,
            payload_enterprise_id=payload_enterprise_id,
            admins=admins,
        )
        if actor.is_external:
            return AckAnswer(refusal=CUSTOMER_REFUSAL)
        if isinstance(command, OpenForm):
            return AckAnswer(view=FORMS[command.form]())
        try:
            account = find_account(session, team_id=installation.team_id, name=command.account)
        except Refusal as exc:
            return AckAnswer(refusal=exc.message)
        if not may_manage(actor, account):
            return AckAnswer(refusal=manage_refusal(account))
        return AckAnswer(
            view=autopsy_form(account_id=account.id, escalation_id=None, account_name=account.name)
        )


def answered_in_ack(text: str, *, now: datetime) -> bool:
    """Refused, or a form opened, while acknowledging: nothing is left for after the ack."""
    try:
        command = parse(text, today=now.astimezone(UTC).date())
    except CommandError:
        return True
    return isinstance(command, OpenForm | OpenAutopsy)


def run(
    invocation: Invocation,
    *,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    admins: frozenset[str],
    now: datetime,
    form: Callable[[date], Command | AutopsyInput] | None = None,
) -> Reply:
    """`form` reads a submitted modal instead of parsing `invocation.text`; everything after is shared."""
    try:
        result = _run(invocation, sessions=sessions, gateway=gateway, admins=admins, now=now, form=form)
    except CommandError as exc:
        return Reply(exc.reply)
    except Refusal as exc:
        return Reply(exc.message)
    except SlackDeliveryError as exc:
        return Reply(
            f"Slack did not answer as expected ({exc.error}), so nothing was changed. Please try again."
        )
    return result if isinstance(result, Reply) else Reply(result)


def _run(
    invocation: Invocation,
    *,
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    admins: frozenset[str],
    now: datetime,
    form: Callable[[date], Command | AutopsyInput] | None,
) -> str | Reply:
    installation = invocation.installation
    team_id = installation.team_id
    actor = identify(
        sessions, gateway, installation=installation, user_id=invocation.user_id, admins=admins, now=now
    )
    invoker_today = now.astimezone(zone(actor.tz)).date()
    command = form(invoker_today) if form is not None else parse(invocation.text, today=invoker_today)
    if isinstance(command, Help | OpenForm | OpenAutopsy):
        return help_text()
    if actor.is_external and not _customer_may(command):
        raise Refusal(CUSTOMER_REFUSAL)
    if isinstance(command, AutopsyInput):
        return _autopsy(sessions, gateway, data=command, actor=actor, now=now)
    if isinstance(command, Export):
        return _export(sessions, gateway, account_name=command.account, actor=actor)
    if isinstance(command, DiaryView):
        with sessions() as session:
            account = find_readable_account(session, actor=actor, name=command.account)
            page = diary_page(session, account=account, actor=actor, since=command.since, page=1)
        return Reply(page.text, page.blocks)
    if isinstance(command, DigestNow):
        return post_digest_now(sessions, gateway, actor=actor, account_name=command.account, now=now)
    if isinstance(command, DigestSettings):
        with sessions.begin() as session:
            return change_digest_settings(session, command, actor=actor, now=now)
    if isinstance(command, Agreement):
        return post_agreement(
            sessions, gateway, team_id=actor.team_id, account_name=command.account, actor=actor, now=now
        )
    needed = _people_in(command)
    with sessions() as session:
        profiles = fetch_profiles(gateway, session, team_id=team_id, user_ids=[u for u, _ in needed], now=now)
    with sessions.begin() as session:
        people = {
            user_id: upsert_person(
                session,
                team_id=team_id,
                enterprise_id=installation.enterprise_id,
                user_id=user_id,
                role_side=side,
                profile=profiles.get(user_id),
                now=now,
            )
            for user_id, side in needed
        }
        _check_vendor_roles(command, people)
        return _execute(session, command, actor=actor, people=people, now=now)


def _export(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, account_name: str, actor: Actor
) -> str:
    with sessions() as session:
        account = find_readable_account(session, actor=actor, name=account_name)
        content, count = diary_csv(session, account=account, actor=actor)
        name = account.name
    filename = f"{re.sub(r'[^A-Za-z0-9]+', '-', name).strip('-').lower() or 'account'}-diary.csv"
    channel = gateway.open_dm(actor.user_id)
    gateway.upload_file(
        channel=channel,
        filename=filename,
        content=content,
        title=f"Accountability diary — {name}",
        initial_comment=f"The accountability diary of {escape(name)}: {count} entries.",
    )
    return f"Exported {count} diary entries of {escape(name)} as {filename}: it's in your DM with me."


def _autopsy(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, data: AutopsyInput, actor: Actor, now: datetime
) -> str:
    needed = [(data.corrective.owner_user_id, data.corrective.side)] if data.corrective else []
    with sessions() as session:
        profiles = fetch_profiles(
            gateway, session, team_id=actor.team_id, user_ids=[u for u, _ in needed], now=now
        )
    with sessions.begin() as session:
        account = session.get(Account, data.account_id)
        if account is None or account.team_id != actor.team_id:
            raise Refusal("That account no longer exists.")
        if not may_manage(actor, account):
            raise Refusal(manage_refusal(account))
        corrective_ids: list[int] = []
        if data.corrective is not None:
            owner = upsert_person(
                session,
                team_id=actor.team_id,
                enterprise_id=actor.enterprise_id,
                user_id=data.corrective.owner_user_id,
                role_side=data.corrective.side,
                profile=profiles.get(data.corrective.owner_user_id),
                now=now,
            )
            created = create_commitment(
                session, data.corrective, account=account, owner=owner, actor=actor, now=now
            )
            corrective_ids.append(created.commitment.id)
        record_autopsy(
            session, data=data, account=account, user_id=actor.user_id, now=now, corrective_ids=corrective_ids
        )
        fixes = f" Corrective commitment #{corrective_ids[0]} recorded." if corrective_ids else ""
        return f"Autopsy recorded for {escape(account.name)}: {len(data.causes)} causes.{fixes}"


def diary_turn(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    value: str,
    installation: Installation,
    user_id: str,
    admins: frozenset[str],
    now: datetime,
) -> Reply:
    """Next / Previous on a diary page: the same visibility check as the command, every time."""
    account_id, since, page_number = page_request(value)
    actor = identify(sessions, gateway, installation=installation, user_id=user_id, admins=admins, now=now)
    with sessions() as session:
        account = session.get(Account, account_id)
        if account is None or account.team_id != installation.team_id:
            return Reply("That account no longer exists.")
        try:
            page = diary_page(session, account=account, actor=actor, since=since, page=page_number)
        except Refusal as exc:
            return Reply(exc.message)
    return Reply(page.text, page.blocks)


def _customer_may(command: Command | AutopsyInput) -> bool:
    """What someone of the customer's organisation may run: reading their own account."""
    if isinstance(command, PolicyCommand):
        return not command.changes
    return isinstance(command, DiaryView | Export)


def _check_vendor_roles(command: Command, people: dict[str, Person]) -> None:
    """A CSM or manager acts for the vendor: someone of another organisation can never be one."""
    roles: list[tuple[str, str | None]] = []
    if isinstance(command, AccountAdd):
        roles = [("CSM", command.csm_user_id), ("manager", command.manager_user_id)]
    elif isinstance(command, AccountEdit):
        names = {"csm": "CSM", "manager": "manager"}
        roles = [(names[key], value) for key, value in command.changes if key in names]
    for role, user_id in roles:
        if user_id and people[user_id].is_external:
            raise Refusal(
                f"<@{user_id}> is not one of the vendor's own people (another organisation, or a guest), "
                f"so they can't be the {role}. Name someone of your organisation."
            )


def _people_in(command: Command) -> list[tuple[str, Side]]:
    if isinstance(command, AccountAdd):
        found = [(command.champion_user_id, Side.CUSTOMER)]
        for vendor_user in (command.csm_user_id, command.manager_user_id):
            if vendor_user:
                found.append((vendor_user, Side.VENDOR))
        return found
    if isinstance(command, Commit):
        return [(command.owner_user_id, command.side)]
    if isinstance(command, AccountEdit):
        sides = {"champion": Side.CUSTOMER, "csm": Side.VENDOR, "manager": Side.VENDOR}
        return [(value, sides[key]) for key, value in command.changes if key in sides and value]
    return []


def _execute(
    session: Session, command: Command, *, actor: Actor, people: dict[str, Person], now: datetime
) -> str:
    if isinstance(command, AccountAdd):
        account = create_account(session, command, actor=actor, now=now)
        manager = f"manager <@{account.manager_user_id}>, " if account.manager_user_id else ""
        digest = f", digest in <#{account.digest_channel_id}>" if account.digest_channel_id else ""
        return (
            f"Account *{escape(account.name)}* created. Champion <@{account.champion_user_id}>, "
            f"CSM <@{account.csm_user_id}>, {manager}diary in <#{account.shared_channel_id}>, "
            f"escalations in <#{account.escalation_channel_id}>{digest}.\n"
            f'Next: `/accountability commit {_quoted(account.name)} customer|vendor @owner "agreed action" '
            "every monday`"
        )
    if isinstance(command, Commit):
        account = find_account(session, team_id=actor.team_id, name=command.account)
        owner = people[command.owner_user_id]
        if command.side is Side.VENDOR and owner.is_external:
            raise Refusal(
                f"<@{owner.user_id}> is from the customer's organisation, so they can't own a vendor commitment."
            )
        created = create_commitment(session, command, account=account, owner=owner, actor=actor, now=now)
        commitment = created.commitment
        tz_name = created.next_checkins[0].tzinfo if created.next_checkins else owner.tz
        when = ", ".join(f"{t:%a %d %b %H:%M}" for t in created.next_checkins) or "none scheduled"
        return (
            f"Recorded {commitment.label} on *{escape(account.name)}* ({command.side.value} side): "
            f"<@{owner.user_id}> — “{escape(commitment.action)}”, {escape(commitment.schedule_text)}.\n"
            f"Next check-ins ({tz_name}, <@{owner.user_id}>'s time): {when}"
            + (
                f"\nCustomer check-ins start once <@{account.champion_user_id}> agrees to the plan: "
                f"`/accountability agreement {_quoted(account.name)}`"
                if commitment.agreed_at is None
                else ""
            )
        )
    if isinstance(command, PolicyCommand):
        if not command.changes:
            account = find_readable_account(session, actor=actor, name=command.account)
            return f"*Escalation policy for {escape(account.name)}*\n{policy_of(account).text()}"
        account = find_account(session, team_id=actor.team_id, name=command.account)
        if not may_manage(actor, account):
            raise Refusal(manage_refusal(account))
        try:
            policy = with_overrides(account, dict(command.changes))
        except ValueError as exc:
            raise Refusal(str(exc)) from exc
        diary.record(
            session,
            account=account,
            kind="policy_changed",
            text="Escalation policy changed: " + ", ".join(f"{k} {v}" for k, v in command.changes) + ".",
            at=now,
            actor_user_id=actor.user_id,
        )
        plan_changed(session, account)
        return f"Escalation policy for {escape(account.name)} updated:\n{policy.text()}"
    if isinstance(command, Correct):
        entry = session.get(DiaryEntry, command.entry_id)
        if entry is None or entry.team_id != actor.team_id:
            raise Refusal(
                f"There is no diary entry #{command.entry_id}. `/accountability diary <Account>` shows the numbers."
            )
        account = session.get_one(Account, entry.account_id)
        if not may_manage(actor, account):
            raise Refusal(manage_refusal(account))
        correction = diary.correct(
            session, entry=entry, account=account, text=command.text, actor_user_id=actor.user_id, at=now
        )
        session.flush()
        return f"Recorded correction #{correction.id} to entry #{entry.id} of {escape(account.name)}; the original stays in the diary."
    if isinstance(command, AccountEdit):
        account = edit_account(session, command, actor=actor, now=now)
        return f"Account *{escape(account.name)}* updated."
    if isinstance(command, ListCommitments):
        return list_commitments(
            session, account_name=command.account, team_id=actor.team_id, actor=actor, now=now
        )
    if isinstance(command, Pause):
        return pause(
            session,
            commitment_id=command.commitment_id,
            account_name=command.account,
            until=command.until,
            team_id=actor.team_id,
            actor=actor,
            now=now,
        )
    if isinstance(command, Resume):
        return resume(
            session,
            commitment_id=command.commitment_id,
            account_name=command.account,
            team_id=actor.team_id,
            actor=actor,
            now=now,
        )
    if isinstance(command, MarkDone | Cancel):
        status = CommitmentStatus.DONE if isinstance(command, MarkDone) else CommitmentStatus.CANCELLED
        note = command.note if isinstance(command, MarkDone) else command.reason
        return close(
            session,
            commitment_id=command.commitment_id,
            status=status,
            note=note,
            team_id=actor.team_id,
            actor=actor,
            now=now,
        )
    raise AssertionError(f"unhandled command {command!r}")


def _quoted(name: str) -> str:
    escaped = escape(name)
    return f'"{escaped}"' if " " in name else escaped
