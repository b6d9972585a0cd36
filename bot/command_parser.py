"""The `/accountability` grammar: text in, a typed command or a clear error out.

Pure functions: no database, no Slack. Every failure is a `CommandError` whose message names what
was wrong and shows the right form, so the handler can answer it ephemerally and write nothing.
"""

from __future__ import annotations

import html
import re
import shlex
from dataclasses import dataclass
from datetime import date, time

from bot.recurrence import (
    DATE_FORMS,
    RECURRENCE_FORMS,
    Recurrence,
    ScheduleError,
    parse_due_date,
    parse_recurrence,
    parse_time_of_day,
)
from bot.schedule import known_holiday_country
from models import Side

MAX_TEXT = 2000
MAX_ACCOUNT_NAME = 80
MAX_ACTION = 300
MAX_OUTCOME = 1000
DEFAULT_CHECKIN_TIME = time(9, 0)

USAGE_ACCOUNT_ADD = (
    "/accountability account add <Account> channel:<#shared-channel> escalations:<#vendor-channel> "
    'champion:<@customer> [csm:<@csm>] [manager:<@manager>] [digest:<#channel>] [outcome:"Desired Outcome"] '
    "[holidays:US]"
)
USAGE_COMMIT = (
    '/accountability commit <Account> customer|vendor <@owner> "agreed action" every <recurrence> [at HH:MM]'
    '\n/accountability commit <Account> customer|vendor <@owner> "agreed action" by <date> [at HH:MM]'
)
USAGE_HELP = "/accountability help"

# One source for `/accountability help` and the README's command reference.
COMMAND_REFERENCE: tuple[tuple[str, str], ...] = (
    (USAGE_HELP, "Show this list."),
    (USAGE_ACCOUNT_ADD, "Create an account. You become its CSM unless csm: names someone else."),
    (
        USAGE_COMMIT,
        f"Record an agreed action with one owner. Recurrences: {RECURRENCE_FORMS}. Dates: {DATE_FORMS}. "
        "Check-ins go out at the given time (default 09:00) in the owner's time zone, on working days.",
    ),
)


class CommandError(ValueError):
    def __init__(self, problem: str, usage: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.usage = usage

    @property
    def reply(self) -> str:
        if self.usage is None:
            return self.problem
        return f"{self.problem}\nThe form is:\n```{self.usage}```"


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class AccountAdd:
    name: str
    shared_channel_id: str
    escalation_channel_id: str
    champion_user_id: str
    csm_user_id: str | None = None
    manager_user_id: str | None = None
    digest_channel_id: str | None = None
    desired_outcome: str | None = None
    holiday_country: str | None = None


@dataclass(frozen=True)
class Commit:
    account: str
    side: Side
    owner_user_id: str
    action: str
    at: time
    recurrence: Recurrence | None = None
    due_on: date | None = None


Command = Help | AccountAdd | Commit

_USER = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$|^([CG][A-Z0-9]{2,})$")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


def tokenize(text: str) -> list[str]:
    """Shell-like words: double quotes group a phrase; macOS smart quotes count as quotes."""
    if len(text) > MAX_TEXT:
        raise CommandError(
            f"That command is {len(text)} characters long; the limit is {MAX_TEXT}. "
            "Shorten the agreed action or the outcome."
        )
    try:
        return shlex.split(text.translate(_SMART_QUOTES), posix=True)
    except ValueError as exc:
        raise CommandError(
            'A quotation mark is not closed. Put the text in a pair of double quotes: "like this".'
        ) from exc


def parse(text: str, *, today: date) -> Command:
    """`today` is the invoker's local date, against which "tomorrow" or "next friday" are read."""
    tokens = tokenize(text)
    if not tokens or tokens[0].lower() == "help":
        return Help()
    head = tokens[0].lower()
    if head == "account":
        if len(tokens) < 2 or tokens[1].lower() != "add":
            raise CommandError("Use `account add` to create an account.", USAGE_ACCOUNT_ADD)
        return parse_account_add(tokens[2:])
    if head == "commit":
        return parse_commit(tokens[1:], today=today)
    raise CommandError(f"I don't know the subcommand “{_clip(tokens[0])}”. Try `/accountability help`.")


def user_id(token: str, *, option: str, usage: str) -> str:
    match = _USER.match(token)
    if not match:
        raise CommandError(
            f"{option} must mention a person, like <@U12345> (type @ and pick them); got “{_clip(token)}”.",
            usage,
        )
    return match.group(1) or match.group(2)


def channel_id(token: str, *, option: str, usage: str) -> str:
    match = _CHANNEL.match(token)
    if not match:
        raise CommandError(
            f"{option} must mention a channel, like <#C12345> (type # and pick it); got “{_clip(token)}”.",
            usage,
        )
    return match.group(1) or match.group(2)


def account_name(token: str | None, usage: str) -> str:
    if token is None or ":" in token or token.startswith("<"):
        raise CommandError("Start with the account name (one word, or a name in double quotes).", usage)
    name = html.unescape(token).strip()
    if not name:
        raise CommandError("The account name is empty.", usage)
    if len(name) > MAX_ACCOUNT_NAME:
        raise CommandError(f"An account name can be at most {MAX_ACCOUNT_NAME} characters.", usage)
    return name


ACCOUNT_OPTIONS = ("channel", "escalations", "champion", "csm", "manager", "digest", "outcome", "holidays")


def parse_account_add(tokens: list[str]) -> AccountAdd:
    usage = USAGE_ACCOUNT_ADD
    name = account_name(tokens[0] if tokens else None, usage)
    options: dict[str, str] = {}
    for token in tokens[1:]:
        key, sep, value = token.partition(":")
        key = key.lower()
        if not sep or key not in ACCOUNT_OPTIONS:
            raise CommandError(
                f"“{_clip(token)}” is not an option. Options are: {', '.join(o + ':' for o in ACCOUNT_OPTIONS)}",
                usage,
            )
        if key in options:
            raise CommandError(f"{key}: is given twice.", usage)
        options[key] = value.strip()
    missing = [key for key in ("channel", "escalations", "champion") if key not in options]
    if missing:
        raise CommandError(f"Missing {', '.join(k + ':' for k in missing)}.", usage)
    outcome = html.unescape(options["outcome"]).strip() if "outcome" in options else None
    if outcome is not None and len(outcome) > MAX_OUTCOME:
        raise CommandError(f"The Desired Outcome can be at most {MAX_OUTCOME} characters.", usage)
    country = options.get("holidays")
    if country is not None:
        country = country.upper()
        if not re.fullmatch(r"[A-Z]{2,3}", country) or not known_holiday_country(country):
            raise CommandError(
                f"holidays:{_clip(country)} is not a known country code (e.g. US, DE, GB).", usage
            )
    return AccountAdd(
        name=name,
        shared_channel_id=channel_id(options["channel"], option="channel:", usage=usage),
        escalation_channel_id=channel_id(options["escalations"], option="escalations:", usage=usage),
        champion_user_id=user_id(options["champion"], option="champion:", usage=usage),
        csm_user_id=user_id(options["csm"], option="csm:", usage=usage) if "csm" in options else None,
        manager_user_id=user_id(options["manager"], option="manager:", usage=usage)
        if "manager" in options
        else None,
        digest_channel_id=channel_id(options["digest"], option="digest:", usage=usage)
        if "digest" in options
        else None,
        desired_outcome=outcome or None,
        holiday_country=country,
    )


def parse_commit(tokens: list[str], *, today: date) -> Commit:
    usage = USAGE_COMMIT
    if len(tokens) < 5:
        raise CommandError(
            "A commitment needs an account, a side, an owner, the action and a schedule.", usage
        )
    name = account_name(tokens[0], usage)
    side_word = tokens[1].lower()
    if side_word not in ("customer", "vendor"):
        raise CommandError(f"The side must be customer or vendor, not “{_clip(tokens[1])}”.", usage)
    owner = user_id(tokens[2], option="The owner", usage=usage)
    action = html.unescape(tokens[3]).strip()
    if not action or action.lower() in ("every", "by"):
        raise CommandError('Put the agreed action in double quotes: "Send the weekly usage report".', usage)
    if len(action) > MAX_ACTION:
        raise CommandError(f"The agreed action can be at most {MAX_ACTION} characters.", usage)
    schedule = tokens[4:]
    at = DEFAULT_CHECKIN_TIME
    if len(schedule) >= 2 and schedule[-2].lower() == "at":
        try:
            at = parse_time_of_day(schedule[-1])
        except ScheduleError as exc:
            raise CommandError(str(exc), usage) from exc
        schedule = schedule[:-2]
    if not schedule:
        raise CommandError("Say when: `every <recurrence>` or `by <date>`.", usage)
    keyword = schedule[0].lower()
    phrase = " ".join(schedule[1:])
    try:
        if keyword == "every":
            rule_text = phrase if phrase.lower().startswith("rrule:") else "every " + phrase
            recurrence = parse_recurrence(rule_text)
            return Commit(name, Side(side_word), owner, action, at, recurrence=recurrence)
        if keyword.startswith("rrule:"):
            recurrence = parse_recurrence(" ".join(schedule))
            return Commit(name, Side(side_word), owner, action, at, recurrence=recurrence)
        if keyword == "by":
            due_on = parse_due_date(phrase, today=today)
            return Commit(name, Side(side_word), owner, action, at, due_on=due_on)
    except ScheduleError as exc:
        raise CommandError(str(exc), usage) from exc
    raise CommandError(f"After the action, say `every …` or `by …`, not “{_clip(schedule[0])}”.", usage)


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def help_text() -> str:
    lines = ["*/accountability* — joint accountability check-ins. Commands:"]
    for usage, description in COMMAND_REFERENCE:
        lines.append(f"```{usage}```{description}")
    return "\n".join(lines)


def reference_markdown() -> str:
    """The README's command reference, from the same table as `/accountability help`."""
    parts = []
    for usage, description in COMMAND_REFERENCE:
        parts.append(f"```\n{usage}\n```\n{description}\n")
    return "\n".join(parts)
