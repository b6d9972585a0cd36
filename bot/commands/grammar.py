"""The `/accountability` grammar: text in, a typed command or a clear error out.

Pure functions: no database, no Slack. Every failure is a `CommandError` whose message names what
was wrong and shows the right form, so the handler can answer it ephemerally and write nothing.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as date_parser

from bot.checkins.recurrence import (
    DATE_FORMS,
    RECURRENCE_FORMS,
    WEEKDAYS,
    Recurrence,
    ScheduleError,
    parse_due_date,
    parse_recurrence,
    parse_time_of_day,
)
from bot.checkins.schedule import known_holiday_country
from bot.slack.mrkdwn import clean, escape, unescape
from models import Side

MAX_TEXT = 2000
MAX_ACCOUNT_NAME = 80
MAX_ACTION = 300
MAX_OUTCOME = 1000
DEFAULT_CHECKIN_TIME = time(9, 0)

USAGE_ACCOUNT_ADD = (
    "/accountability account add <Account> channel:<#shared-channel> escalations:<#vendor-channel> "
    'champion:<@customer> [csm:<@csm>] [manager:<@manager>] [digest:<#channel>] [outcome:"Desired Outcome"] '
    "[holidays:US] [reminders:0-3]"
)
USAGE_COMMIT = (
    '/accountability commit <Account> customer|vendor <@owner> "agreed action" every <recurrence> [at HH:MM]'
    '\n/accountability commit <Account> customer|vendor <@owner> "agreed action" by <date> [at HH:MM]'
)
USAGE_HELP = "/accountability help"
USAGE_ACCOUNT_EDIT = (
    "/accountability account edit <Account> [channel:<#…>] [escalations:<#…>] [champion:<@…>] [csm:<@…>] "
    '[manager:<@…>|none] [digest:<#…>|none] [outcome:"…"] [holidays:US|none] [reminders:0-3]'
)
USAGE_AGREEMENT = "/accountability agreement <Account>"
USAGE_LIST = "/accountability list [<Account>]"
USAGE_PAUSE = "/accountability pause <#commitment or Account> [until <date>]"
USAGE_RESUME = "/accountability resume <#commitment or Account>"
USAGE_DONE = '/accountability done <#commitment> ["note"]'
USAGE_CANCEL = '/accountability cancel <#commitment> ["reason"]'
USAGE_DIARY = "/accountability diary <Account> [since <date>]"
USAGE_EXPORT = "/accountability export <Account>"
USAGE_POLICY = (
    "/accountability policy <Account> [window:4] [escalate_after:2] [raise_after:3] [unresponsive_after:3] "
    "[vendor_raise_days:2]"
)
USAGE_AUTOPSY = "/accountability autopsy <Account>"
USAGE_CORRECT = '/accountability correct <diary entry number> "what is right"'
USAGE_DIGEST = "/accountability digest [<Account>]"
USAGE_DIGEST_SETTINGS = (
    "/accountability digest channel <#channel>|none  ·  digest at <day> <HH:MM> [<time zone>]  ·  "
    "digest chart on|off  ·  digest settings"
)
MAX_NOTE = 500

# One source for `/accountability help` and the README's command reference.
COMMAND_REFERENCE: tuple[tuple[str, str], ...] = (
    (USAGE_HELP, "Show this list."),
    (USAGE_ACCOUNT_ADD, "Create an account. You become its CSM unless csm: names someone else."),
    (USAGE_ACCOUNT_EDIT, "Change an account's channels, people, Desired Outcome or holiday calendar."),
    (
        USAGE_COMMIT,
        f"Record an agreed action with one owner. Recurrences: {RECURRENCE_FORMS}. Dates: {DATE_FORMS}. "
        "Check-ins go out at the given time (default 09:00) in the owner's time zone, on working days. "
        "Customer check-ins start once the champion has agreed to the plan.",
    ),
    (
        USAGE_AGREEMENT,
        "Post the joint plan to the shared channel and ask the champion: I agree / Let's discuss.",
    ),
    (
        USAGE_LIST,
        "Show commitments, their schedules and states (awaiting agreement, paused, …), and each side's "
        "kept-rate over the last 12 weeks.",
    ),
    (USAGE_PAUSE, "Stop check-ins (and escalations) until resumed, or until the date."),
    (USAGE_RESUME, "Start check-ins again from now; paused time is not counted."),
    (USAGE_DONE, "Mark a commitment as completed; its check-ins stop."),
    (USAGE_CANCEL, "Cancel a commitment for good; its check-ins stop."),
    (USAGE_DIARY, "Read an account's accountability diary, a page at a time (only you see it)."),
    (USAGE_EXPORT, "Get the account's diary as a CSV file in your DM with the bot."),
    (
        USAGE_POLICY,
        "Without options: the account's escalation policy in plain words. With options (CSM or admin): change it.",
    ),
    (USAGE_AUTOPSY, "Record why an account is at risk, and the corrective actions, in a form."),
    (
        USAGE_CORRECT,
        "Add a correction to a diary entry (the numbers are shown by `diary`); the entry itself never changes.",
    ),
    (
        USAGE_DIGEST,
        "Post the managers' digest now (the 7 days up to now) to the account's digest channel; without an "
        "account, every account you are the CSM of (admins: all). The clock posts it weekly by itself.",
    ),
    (
        USAGE_DIGEST_SETTINGS,
        "Admins: the workspace's default digest channel (for accounts without their own), the weekly day, "
        "time and IANA time zone (default Monday 09:00 UTC), and whether the chart is attached.",
    ),
    ("/accountability account add  ·  /accountability commit", "Without arguments: open a form instead."),
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
    reminder_count: int = 1


@dataclass(frozen=True)
class Commit:
    account: str
    side: Side
    owner_user_id: str
    action: str
    at: time
    recurrence: Recurrence | None = None
    due_on: date | None = None


@dataclass(frozen=True)
class AccountEdit:
    name: str
    # Only the options given; None for manager/digest/holidays means "clear it".
    changes: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class Agreement:
    account: str


@dataclass(frozen=True)
class ListCommitments:
    account: str | None


@dataclass(frozen=True)
class Pause:
    commitment_id: int | None
    account: str | None
    until: date | None


@dataclass(frozen=True)
class Resume:
    commitment_id: int | None
    account: str | None


@dataclass(frozen=True)
class MarkDone:
    commitment_id: int
    note: str | None


@dataclass(frozen=True)
class Cancel:
    commitment_id: int
    reason: str | None


@dataclass(frozen=True)
class DiaryView:
    account: str
    since: date | None


@dataclass(frozen=True)
class Export:
    account: str


@dataclass(frozen=True)
class PolicyCommand:
    account: str
    changes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class OpenAutopsy:
    account: str


@dataclass(frozen=True)
class Correct:
    entry_id: int
    text: str


@dataclass(frozen=True)
class DigestNow:
    account: str | None


@dataclass(frozen=True)
class DigestSettings:
    """One change to the workspace's digest settings, or none (`show`) to read them."""

    channel_id: str | None = None
    clear_channel: bool = False
    weekday: int | None = None
    at: time | None = None
    tz: str | None = None
    chart: bool | None = None

    @property
    def show(self) -> bool:
        return self == DigestSettings()


@dataclass(frozen=True)
class OpenForm:
    """`account add` or `commit` without arguments: the handler opens a modal instead."""

    form: str  # "account_add" | "commit"


Command = (
    Help
    | AccountAdd
    | AccountEdit
    | Commit
    | Agreement
    | ListCommitments
    | Pause
    | Resume
    | MarkDone
    | Cancel
    | DiaryView
    | Export
    | Correct
    | PolicyCommand
    | OpenAutopsy
    | DigestNow
    | DigestSettings
    | OpenForm
)

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
        return shlex.split(clean(text).translate(_SMART_QUOTES), posix=True)
    except ValueError as exc:
        raise CommandError(
            'A quotation mark is not closed. Put the text in a pair of double quotes: "like this".'
        ) from exc


def parse(text: str, *, today: date) -> Command:
    """`today` is the invoker's local date, against which "tomorrow" or "next friday" are read."""
    tokens = tokenize(text)
    if not tokens or tokens[0].lower() == "help":
        return Help()
    head, rest = tokens[0].lower(), tokens[1:]
    if head == "account":
        verb = rest[0].lower() if rest else ""
        if verb == "add":
            return OpenForm("account_add") if len(rest) == 1 else parse_account_add(rest[1:])
        if verb == "edit":
            return parse_account_edit(rest[1:])
        raise CommandError(
            "Use `account add` to create an account, `account edit` to change one.", USAGE_ACCOUNT_ADD
        )
    if head == "commit":
        return OpenForm("commit") if not rest else parse_commit(rest, today=today)
    if head == "agreement":
        return Agreement(_only_account(rest, USAGE_AGREEMENT))
    if head == "list":
        return ListCommitments(_only_account(rest, USAGE_LIST) if rest else None)
    if head == "diary":
        return _parse_diary(rest, today=today)
    if head == "policy":
        return _parse_policy(rest)
    if head == "autopsy":
        return OpenAutopsy(_only_account(rest, USAGE_AUTOPSY))
    if head == "correct":
        if len(rest) != 2:
            raise CommandError("Give the entry's number and the correction in double quotes.", USAGE_CORRECT)
        correction = _note(rest[1], USAGE_CORRECT)
        if correction is None:
            raise CommandError("The correction is empty.", USAGE_CORRECT)
        if not _COMMITMENT_ID.match(rest[0].strip()):
            raise CommandError(f"“{_clip(rest[0])}” is not a diary entry number, like #42.", USAGE_CORRECT)
        return Correct(commitment_number(rest[0], USAGE_CORRECT), correction)
    if head == "digest":
        return _parse_digest(rest)
    if head == "export":
        return Export(_only_account(rest, USAGE_EXPORT))
    if head == "pause":
        return _parse_pause(rest, today=today)
    if head == "resume":
        if len(rest) != 1:
            raise CommandError("Name one commitment (#12) or one account.", USAGE_RESUME)
        commitment_id, account = _target(rest[0], USAGE_RESUME)
        return Resume(commitment_id, account)
    if head in ("done", "cancel"):
        usage = USAGE_DONE if head == "done" else USAGE_CANCEL
        if not rest or len(rest) > 2:
            raise CommandError(
                "Name one commitment, like #12, then an optional note in double quotes.", usage
            )
        commitment_id = commitment_number(rest[0], usage)
        note = _note(rest[1], usage) if len(rest) == 2 else None
        return MarkDone(commitment_id, note) if head == "done" else Cancel(commitment_id, note)
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
    name = unescape(token).strip()
    if not name:
        raise CommandError("The account name is empty.", usage)
    if len(name) > MAX_ACCOUNT_NAME:
        raise CommandError(f"An account name can be at most {MAX_ACCOUNT_NAME} characters.", usage)
    return name


ACCOUNT_OPTIONS = (
    "channel",
    "escalations",
    "champion",
    "csm",
    "manager",
    "digest",
    "outcome",
    "holidays",
    "reminders",
)


CLEARABLE = ("manager", "digest", "holidays")


def _options(tokens: list[str], usage: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for token in tokens:
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
    return options


def option_value(key: str, raw: str, usage: str) -> str:
    """One option's value, checked and normalised (IDs out of mentions, text unescaped)."""
    if key in ("channel", "escalations", "digest"):
        return channel_id(raw, option=f"{key}:", usage=usage)
    if key in ("champion", "csm", "manager"):
        return user_id(raw, option=f"{key}:", usage=usage)
    if key == "reminders":
        if not re.fullmatch(r"[0-3]", raw):
            raise CommandError("reminders: is how many reminders an unanswered check-in gets, 0 to 3.", usage)
        return raw
    if key == "outcome":
        outcome = unescape(raw).strip()
        if len(outcome) > MAX_OUTCOME:
            raise CommandError(f"The Desired Outcome can be at most {MAX_OUTCOME} characters.", usage)
        return outcome
    country = raw.upper()
    if not re.fullmatch(r"[A-Z]{2,3}", country) or not known_holiday_country(country):
        raise CommandError(f"holidays:{_clip(country)} is not a known country code (e.g. US, DE, GB).", usage)
    return country


def parse_account_edit(tokens: list[str]) -> AccountEdit:
    usage = USAGE_ACCOUNT_EDIT
    name = account_name(tokens[0] if tokens else None, usage)
    options = _options(tokens[1:], usage)
    if not options:
        raise CommandError("Say what to change, for example champion:<@U12345>.", usage)
    changes: list[tuple[str, str | None]] = []
    for key, raw in options.items():
        if key in CLEARABLE and raw.lower() == "none":
            changes.append((key, None))
        else:
            changes.append((key, option_value(key, raw, usage)))
    return AccountEdit(name, tuple(changes))


def parse_account_add(tokens: list[str]) -> AccountAdd:
    usage = USAGE_ACCOUNT_ADD
    name = account_name(tokens[0] if tokens else None, usage)
    options = _options(tokens[1:], usage)
    missing = [key for key in ("channel", "escalations", "champion") if key not in options]
    if missing:
        raise CommandError(f"Missing {', '.join(k + ':' for k in missing)}.", usage)
    return account_add_from(name, {key: option_value(key, raw, usage) for key, raw in options.items()})


def account_add_from(name: str, values: dict[str, str]) -> AccountAdd:
    """An AccountAdd from option values already checked by `option_value` (command or CSV import)."""
    return AccountAdd(
        name=name,
        shared_channel_id=values["channel"],
        escalation_channel_id=values["escalations"],
        champion_user_id=values["champion"],
        csm_user_id=values.get("csm"),
        manager_user_id=values.get("manager"),
        digest_channel_id=values.get("digest"),
        desired_outcome=values.get("outcome") or None,
        holiday_country=values.get("holidays"),
        reminder_count=int(values.get("reminders", "1")),
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
    action = unescape(tokens[3]).strip()
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


_COMMITMENT_ID = re.compile(r"^#?(\d{1,9})$")


def commitment_number(token: str, usage: str) -> int:
    match = _COMMITMENT_ID.match(token.strip())
    if not match:
        raise CommandError(
            f"“{_clip(token)}” is not a commitment number. Use #12 or 12 (see `/accountability list`).", usage
        )
    return int(match.group(1))


def _target(token: str, usage: str) -> tuple[int | None, str | None]:
    if _COMMITMENT_ID.match(token.strip()):
        return commitment_number(token, usage), None
    return None, account_name(token, usage)


def _only_account(tokens: list[str], usage: str) -> str:
    if len(tokens) != 1:
        raise CommandError("Name one account (put a name with spaces in double quotes).", usage)
    return account_name(tokens[0], usage)


def _note(token: str, usage: str) -> str | None:
    note = unescape(token).strip()
    if len(note) > MAX_NOTE:
        raise CommandError(f"A note can be at most {MAX_NOTE} characters.", usage)
    return note or None


POLICY_LIMITS = {
    "window": (2, 12),
    "escalate_after": (1, 12),
    "raise_after": (1, 12),
    "unresponsive_after": (2, 12),
    "vendor_raise_days": (0, 10),
}


def _parse_policy(tokens: list[str]) -> PolicyCommand:
    usage = USAGE_POLICY
    if not tokens:
        raise CommandError("Name the account.", usage)
    name = account_name(tokens[0], usage)
    changes: list[tuple[str, int]] = []
    for token in tokens[1:]:
        key, sep, raw = token.partition(":")
        if not sep or key not in POLICY_LIMITS:
            raise CommandError(
                f"“{_clip(token)}” is not a policy option. Options: {', '.join(POLICY_LIMITS)}.", usage
            )
        low, high = POLICY_LIMITS[key]
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise CommandError(f"{key} must be a whole number from {low} to {high}.", usage)
        changes.append((key, int(raw)))
    return PolicyCommand(name, tuple(changes))


def _weekday(token: str) -> int:
    """0 for Monday, as date.weekday(); the same day names as recurrences accept ("mon", "tues", …)."""
    found = WEEKDAYS.get(token.lower())
    if found is None:
        raise CommandError(f"“{_clip(token)}” is not a day of the week.", USAGE_DIGEST_SETTINGS)
    return found[1].weekday


def _time_zone(token: str) -> str:
    try:
        ZoneInfo(token)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(
            f"“{_clip(token)}” is not a time zone. Use an IANA name such as Europe/London, "
            "America/New_York or UTC.",
            USAGE_DIGEST_SETTINGS,
        ) from None
    return token


def _parse_digest(tokens: list[str]) -> DigestNow | DigestSettings:
    if not tokens:
        return DigestNow(None)
    verb, args = tokens[0].lower(), tokens[1:]
    if verb == "settings" and not args:
        return DigestSettings()
    if verb == "channel":
        if len(args) != 1:
            raise CommandError("Name one channel, like #managers, or none.", USAGE_DIGEST_SETTINGS)
        if args[0].lower() == "none":
            return DigestSettings(clear_channel=True)
        return DigestSettings(
            channel_id=channel_id(args[0], option="digest channel", usage=USAGE_DIGEST_SETTINGS)
        )
    if verb == "chart":
        if len(args) != 1 or args[0].lower() not in ("on", "off"):
            raise CommandError("Say `digest chart on` or `digest chart off`.", USAGE_DIGEST_SETTINGS)
        return DigestSettings(chart=args[0].lower() == "on")
    if verb == "at":
        if len(args) not in (2, 3):
            raise CommandError(
                "Give a day, a time and optionally a time zone: `digest at monday 09:00 Europe/London`.",
                USAGE_DIGEST_SETTINGS,
            )
        try:
            at = parse_time_of_day(args[1])
        except ScheduleError as exc:
            raise CommandError(str(exc), USAGE_DIGEST_SETTINGS) from exc
        tz = _time_zone(args[2]) if len(args) == 3 else None
        return DigestSettings(weekday=_weekday(args[0]), at=at, tz=tz)
    return DigestNow(_only_account(tokens, USAGE_DIGEST))


def _parse_diary(tokens: list[str], *, today: date) -> DiaryView:
    usage = USAGE_DIARY
    if not tokens:
        raise CommandError("Name the account whose diary to show.", usage)
    name = account_name(tokens[0], usage)
    if len(tokens) == 1:
        return DiaryView(name, None)
    if tokens[1].lower() != "since" or len(tokens) == 2:
        raise CommandError("After the account, write `since <date>` or nothing.", usage)
    phrase = " ".join(tokens[2:])
    try:
        since = date.fromisoformat(phrase) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", phrase) else None
    except ValueError as exc:
        raise CommandError(f"{phrase} is not a real date. Use 2026-12-01 or dec 1.", usage) from exc
    if since is None:
        try:
            since = _past_month_day(phrase, today=today)
        except ScheduleError as exc:
            raise CommandError(str(exc), usage) from exc
    return DiaryView(name, since)


def _past_month_day(phrase: str, *, today: date) -> date:
    """ "dec 1" in a `since` means the latest Dec 1 that has passed, not the next one."""
    if not re.search(r"[a-z]", phrase.lower()) or len(phrase) > 40:
        raise ScheduleError(f"“{escape(phrase)}” is not a date I understand. Use 2026-12-01 or dec 1.")
    try:
        parsed = date_parser.parse(phrase, default=datetime(today.year, 1, 1))  # noqa: DTZ001 (a calendar date)
    except (ValueError, OverflowError) as exc:
        raise ScheduleError(
            f"“{escape(phrase)}” is not a date I understand. Use 2026-12-01 or dec 1."
        ) from exc
    since = parsed.date()
    return since.replace(year=since.year - 1) if since > today else since


def _parse_pause(tokens: list[str], *, today: date) -> Pause:
    usage = USAGE_PAUSE
    if not tokens:
        raise CommandError("Name a commitment (#12) or an account to pause.", usage)
    commitment_id, account = _target(tokens[0], usage)
    until: date | None = None
    if len(tokens) > 1:
        if tokens[1].lower() != "until" or len(tokens) == 2:
            raise CommandError("After what to pause, write `until <date>` or nothing.", usage)
        try:
            until = parse_due_date(" ".join(tokens[2:]), today=today)
        except ScheduleError as exc:
            raise CommandError(str(exc), usage) from exc
        if until <= today:
            raise CommandError("A pause must last until a later day than today.", usage)
    return Pause(commitment_id, account, until)


def _clip(text: str, limit: int = 60) -> str:
    """What the person typed, quoted back in a refusal: Slack's escaping undone, cut, escaped again."""
    raw = unescape(text)
    return escape(raw if len(raw) <= limit else raw[: limit - 1] + "…")


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
