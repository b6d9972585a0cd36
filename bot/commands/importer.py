"""Bulk set-up from a CSV exported from a CRM: every row checked first, then all written or nothing.

Columns (header row required; Slack IDs as they appear in Slack, e.g. C0123ABCD, U0123ABCD):
  account, channel, escalations, champion, csm, manager, digest, outcome, holidays,
  side, owner, action, schedule, time
One row per commitment; the account's own columns may be left empty after its first row, which needs
channel, escalations, champion and csm (an import has no one running a command to be the CSM). A row with
no side/owner/action/schedule only creates the account. `schedule` is `every …` or `by <date>`;
`time` is HH:MM in the owner's zone (default 09:00).

Every problem of every row is reported (an operator fixes the file once, not once per problem); rows of
an account whose first row failed are not checked, and said so once, rather than each failing for want
of the account. The advice speaks of CSV cells (a channel ID such as C0123ABCD), not command syntax.
"""

from __future__ import annotations

import csv
import io
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
from bot.commands.tokens import MAX_ACCOUNT_NAME, CommandError
from bot.slack.gateway import SlackGateway
from bot.slack.mrkdwn import clean, unescape
from models import Account, Side

ACCOUNT_COLUMNS = ("channel", "escalations", "champion", "csm", "manager", "digest", "outcome", "holidays")
COMMITMENT_COLUMNS = ("side", "owner", "action", "schedule")
COLUMNS = ("account", *ACCOUNT_COLUMNS, *COMMITMENT_COLUMNS, "time")


@dataclass
class Plan:
    accounts: dict[str, AccountAdd] = field(default_factory=dict)
    commitments: list[tuple[int, Commit]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Rows left unchecked because their account's first row has problems: said once per account.
    skipped: list[str] = field(default_factory=list)


CHANNEL_ADVICE = "a channel ID; give one such as C0123ABCD (in Slack: the channel's name, then About)"
PERSON_ADVICE = "a member ID; give one such as U0123ABCD (in Slack: their profile, then ⋮, Copy member ID)"
CHANNEL_COLUMNS = ("channel", "escalations", "digest")
PERSON_COLUMNS = ("champion", "csm", "manager")


def read(text: str, *, today: date, existing: set[str]) -> Plan:
    """Check every row and collect every problem of each, so one run lists all there is to fix."""
    plan = Plan()
    # newline="" keeps line breaks inside quoted cells, as the csv module asks.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [column.strip().lower() for column in next(reader, [])]
    except csv.Error:
        plan.problems.append("line 1: the header row has an unclosed quote; close it or remove it")
        return plan
    missing = [c for c in ("account", "channel", "escalations", "champion") if c not in header]
    if missing:
        plan.problems.append(f"line 1: the header lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
        return plan
    failed: dict[str, int] = {}  # account key -> the line of its first row, which had problems
    skipped: dict[str, list[int]] = {}
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            plan.problems.append(
                f"line {line}: a quote opened on this line is never closed; close it or remove it"
            )
            break
        if not any(cell.strip() for cell in cells):
            continue
        values = {k: clean(v).strip() for k, v in zip(header, cells, strict=False) if k}
        key = name_key(values.get("account", ""))
        if key in failed:
            skipped.setdefault(key, []).append(line)
            continue
        problems = _read_row(plan, values, today=today, existing=existing)
        plan.problems.extend(f"line {line}: {problem}" for problem in problems)
        if problems and key not in plan.accounts:
            failed[key] = line
    for key, lines in skipped.items():
        rows = "line" if len(lines) == 1 else "lines"
        plan.skipped.append(
            f"{rows} {', '.join(map(str, lines))}: not checked, as the first row of that account "
            f"(line {failed[key]}) has problems"
        )
    return plan


def count(number: int, noun: str) -> str:
    """ "1 problem", "2 problems": counts agree with their noun."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _checked(column: str, raw: str) -> str:
    """One account column's value, with advice written for a CSV cell rather than a slash command."""
    try:
        return option_value(column, raw, "")
    except CommandError as exc:
        if column in CHANNEL_COLUMNS:
            raise ValueError(f"{column}: “{raw}” is not {CHANNEL_ADVICE}") from None
        if column in PERSON_COLUMNS:
            raise ValueError(f"{column}: “{raw}” is not {PERSON_ADVICE}") from None
        if column == "holidays":
            raise ValueError(
                f"holidays: “{raw}” is not a known country code; give one such as US, DE or GB"
            ) from None
        raise ValueError(f"{column}: {unescape(exc.problem)}") from None


def _read_row(plan: Plan, values: dict[str, str], *, today: date, existing: set[str]) -> list[str]:
    """Every problem of one row (empty when it is good); a good row is added to the plan."""
    problems: list[str] = []
    raw_name = values.get("account", "")
    name = unescape(raw_name).strip()
    if not name:
        return ["account is empty; give the account's name"]
    if len(name) > MAX_ACCOUNT_NAME:
        return [f"account: a name can be at most {MAX_ACCOUNT_NAME} characters"]
    key = name_key(name)
    new_account: AccountAdd | None = None
    if key not in plan.accounts:
        if key in existing:
            return [f"an account called “{name}” already exists; the import only creates accounts"]
        given = {c: values[c] for c in ACCOUNT_COLUMNS if values.get(c)}
        empty = [c for c in ("channel", "escalations", "champion", "csm") if c not in given]
        if empty:
            problems.append(
                f"{', '.join(empty)} {'is' if len(empty) == 1 else 'are'} empty; the first row of an "
                "account needs channel, escalations, champion and csm"
            )
        checked: dict[str, str] = {}
        for column, raw in given.items():
            try:
                checked[column] = _checked(column, raw)
            except ValueError as exc:
                problems.append(str(exc))
        if checked.get("channel") and checked.get("channel") == checked.get("escalations"):
            problems.append("channel and escalations must be different channels")
        if not problems:
            new_account = account_add_from(name, checked)
    commit, commit_problems = _commitment(name, values, today=today)
    problems.extend(commit_problems)
    if problems:
        return problems
    if new_account is not None:
        plan.accounts[key] = new_account
    if commit is not None:
        plan.commitments.append((len(plan.commitments), commit))
    return []


def _commitment(name: str, values: dict[str, str], *, today: date) -> tuple[Commit | None, list[str]]:
    if not any(values.get(c) for c in COMMITMENT_COLUMNS):
        return None, []
    problems: list[str] = []
    empty = [c for c in COMMITMENT_COLUMNS if not values.get(c)]
    if empty:
        problems.append(
            f"a commitment needs side, owner, action and schedule; {', '.join(empty)} "
            f"{'is' if len(empty) == 1 else 'are'} empty"
        )
    side = values.get("side", "").lower()
    if side and side not in ("customer", "vendor"):
        problems.append(f"side must be customer or vendor, not “{values['side']}”")
    owner = ""
    if values.get("owner"):
        try:
            owner = option_value("champion", values["owner"], "")
        except CommandError:
            problems.append(f"owner: “{values['owner']}” is not {PERSON_ADVICE}")
    action = values.get("action", "")
    if len(action) > MAX_ACTION:
        problems.append(f"the action can be at most {MAX_ACTION} characters (it has {len(action)})")
    at = DEFAULT_CHECKIN_TIME
    if values.get("time"):
        try:
            at = parse_time_of_day(values["time"])
        except (ScheduleError, ValueError) as exc:
            problems.append(f"time: {unescape(str(exc))}")
    schedule = values.get("schedule", "")
    due_on: date | None = None
    recurrence = None
    if schedule:
        try:
            if schedule.lower().startswith("by "):
                due_on = parse_due_date(schedule[3:], today=today)
            else:
                recurrence = parse_recurrence(schedule)
        except (ScheduleError, ValueError) as exc:
            problems.append(f"schedule: {unescape(str(exc))}")
    if problems:
        return None, problems
    if due_on is not None:
        return Commit(name, Side(side), owner, action, at, due_on=due_on), []
    return Commit(name, Side(side), owner, action, at, recurrence=recurrence), []


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
    return f"imported {count(len(plan.accounts), 'account')} and {count(len(plan.commitments), 'commitment')}"
