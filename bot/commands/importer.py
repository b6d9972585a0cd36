"""Bulk set-up from a CSV exported from a CRM: every row checked first, then all written or nothing.

Columns (header row required; Slack IDs as they appear in Slack, e.g. C0123ABCD, U0123ABCD):
  account, channel, escalations, champion, csm, manager, digest, outcome, holidays,
  side, owner, action, schedule, time
One row per commitment; the account's own columns may be left empty after its first row, which needs
channel, escalations, champion and csm (an import has no one running a command to be the CSM). A row with
no side/owner/action/schedule only creates the account. `schedule` is `every …` or `by <date>`;
`time` is HH:MM in the owner's zone (default 09:00).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Actor
from bot.accounts.commitments import MAX_ACTION, Commit, create_commitment
from bot.accounts.people import fetch_profiles, upsert_person
from bot.accounts.registry import AccountAdd, create_account, name_key
from bot.checkins.recurrence import ScheduleError, parse_due_date, parse_recurrence, parse_time_of_day
from bot.commands.dated import DEFAULT_CHECKIN_TIME
from bot.commands.grammar import account_add_from, option_value
from bot.commands.tokens import CommandError, account_name
from bot.slack.gateway import SlackGateway
from bot.slack.mrkdwn import clean
from models import Account, Side

ACCOUNT_COLUMNS = ("channel", "escalations", "champion", "csm", "manager", "digest", "outcome", "holidays")
COMMITMENT_COLUMNS = ("side", "owner", "action", "schedule")
COLUMNS = ("account", *ACCOUNT_COLUMNS, *COMMITMENT_COLUMNS, "time")


@dataclass
class Plan:
    accounts: dict[str, AccountAdd] = field(default_factory=dict)
    commitments: list[tuple[int, Commit]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read(text: str, *, today: date, existing: set[str]) -> Plan:
    plan = Plan()
    reader = csv.DictReader(text.splitlines())
    missing = [
        c for c in ("account", "channel", "escalations", "champion") if c not in (reader.fieldnames or [])
    ]
    if missing:
        plan.problems.append(f"line 1: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
        return plan
    for line, row in enumerate(reader, start=2):
        values = {k: clean(v or "").strip() for k, v in row.items() if k}
        try:
            _read_row(plan, values, today=today, existing=existing)
        except CommandError as exc:
            plan.problems.append(f"line {line}: {exc.problem}")
        except (ScheduleError, ValueError) as exc:
            plan.problems.append(f"line {line}: {exc}")
    return plan


def _read_row(plan: Plan, values: dict[str, str], *, today: date, existing: set[str]) -> None:
    name = account_name(values.get("account") or None, "")
    key = name_key(name)
    if key not in plan.accounts:
        if key in existing:
            raise ValueError(f"an account called “{name}” already exists; the import only creates accounts")
        given = {c: values[c] for c in ACCOUNT_COLUMNS if values.get(c)}
        for required in ("channel", "escalations", "champion", "csm"):
            if required not in given:
                raise ValueError(
                    f"{required} is empty; the first row of an account needs channel, escalations, champion and csm"
                )
        checked = {c: option_value(c, raw, "") for c, raw in given.items()}
        if checked["channel"] == checked["escalations"]:
            raise ValueError("channel and escalations must be different channels")
        plan.accounts[key] = account_add_from(name, checked)
    if not any(values.get(c) for c in COMMITMENT_COLUMNS):
        return
    empty = [c for c in COMMITMENT_COLUMNS if not values.get(c)]
    if empty:
        raise ValueError(f"a commitment needs side, owner, action and schedule; {', '.join(empty)} empty")
    side = values["side"].lower()
    if side not in ("customer", "vendor"):
        raise ValueError(f"side must be customer or vendor, not “{values['side']}”")
    owner = option_value("champion", values["owner"], "")
    action = values["action"]
    if len(action) > MAX_ACTION:
        raise ValueError(f"the action can be at most {MAX_ACTION} characters")
    at = parse_time_of_day(values["time"]) if values.get("time") else DEFAULT_CHECKIN_TIME
    schedule = values["schedule"]
    if schedule.lower().startswith("by "):
        commit = Commit(name, Side(side), owner, action, at, due_on=parse_due_date(schedule[3:], today=today))
    else:
        commit = Commit(name, Side(side), owner, action, at, recurrence=parse_recurrence(schedule))
    plan.commitments.append((len(plan.commitments), commit))


def existing_names(session: Session, team_id: str) -> set[str]:
    return set(session.scalars(select(Account.name_key).where(Account.team_id == team_id)))


def apply(
    plan: Plan, *, sessions: sessionmaker[Session], gateway: SlackGateway, team_id: str, now: datetime
) -> str:
    """Write the whole plan in one transaction; people's zones come from Slack first."""
    actor = Actor(user_id="import", team_id=team_id, enterprise_id=None, is_admin=True, is_external=False)
    roles: dict[str, Side] = {}
    for account in plan.accounts.values():
        roles.setdefault(account.champion_user_id, Side.CUSTOMER)
        for vendor_user in (account.csm_user_id, account.manager_user_id):
            if vendor_user:
                roles.setdefault(vendor_user, Side.VENDOR)
    for _, commit in plan.commitments:
        roles.setdefault(commit.owner_user_id, commit.side)
    with sessions() as session:
        profiles = fetch_profiles(gateway, session, team_id=team_id, user_ids=list(roles), now=now)
    with sessions.begin() as session:
        people = {
            user_id: upsert_person(
                session,
                team_id=team_id,
                enterprise_id=None,
                user_id=user_id,
                role_side=side,
                profile=profiles.get(user_id),
                now=now,
            )
            for user_id, side in roles.items()
        }
        created = {
            key: create_account(session, account, actor=actor, now=now)
            for key, account in plan.accounts.items()
        }
        for _, commit in plan.commitments:
            create_commitment(
                session,
                commit,
                account=created[name_key(commit.account)],
                owner=people[commit.owner_user_id],
                actor=actor,
                now=now,
            )
    return f"imported {len(plan.accounts)} accounts and {len(plan.commitments)} commitments"
