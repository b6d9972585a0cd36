"""One parser per `/accountability` subcommand: the words after its name in, a typed command or a clear
`CommandError` out. Pure functions (no database, no Slack); `subcommands.py` routes the text to them.

Every parser takes `today`, the invoker's local date, though only those reading dates use it.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from zoneinfo import available_timezones

from bot.accounts.commitments import MAX_ACTION, Commit
from bot.accounts.person_settings import ACCOUNT, PersonSettings
from bot.accounts.registry import MAX_OUTCOME, AccountAdd, AccountEdit
from bot.checkins.recurrence import ScheduleError, parse_due_date
from bot.checkins.schedule import known_holiday_country
from bot.commands import dated
from bot.commands.parsed import (
    Agreement,
    Cancel,
    ClearRisk,
    Correct,
    Depend,
    DiaryView,
    DigestNow,
    Export,
    Handover,
    Help,
    ListCommitments,
    MarkDone,
    OpenAutopsy,
    OpenForm,
    Pause,
    PolicyCommand,
    Propose,
    Resume,
    Undepend,
)
from bot.commands.tokens import (
    COMMITMENT_ID,
    CommandError,
    account_name,
    channel_id,
    clip,
    commitment_number,
    note,
    only_account,
    target,
    user_id,
)
from bot.commands.usage import (
    USAGE_ACCOUNT_ADD,
    USAGE_ACCOUNT_EDIT,
    USAGE_AGREEMENT,
    USAGE_AUTOPSY,
    USAGE_AWAY,
    USAGE_AWAY_WORDS,
    USAGE_CANCEL,
    USAGE_CLEAR_RISK,
    USAGE_COMMIT,
    USAGE_CORRECT,
    USAGE_DEPEND,
    USAGE_DIARY,
    USAGE_DIGEST,
    USAGE_DIGEST_SETTINGS,
    USAGE_DONE,
    USAGE_EXPORT,
    USAGE_HANDOVER,
    USAGE_LIST,
    USAGE_PAUSE,
    USAGE_PERSON,
    USAGE_POLICY,
    USAGE_PROPOSE,
    USAGE_RESUME,
    USAGE_UNDEPEND,
)
from bot.digest.settings import DigestSettings
from bot.people.away import Away
from bot.people.away_words import AwayWords
from bot.renegotiation.schedule import parse_new_schedule
from bot.review.schedule import DEFAULT_REVIEW_TIME
from bot.slack.mrkdwn import unescape
from models import Side

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
    "checkins",
    "review",
)
CHECKIN_PLACES = ("dm", "channel", "auto")
CLEARABLE = ("manager", "digest", "holidays")
POLICY_LIMITS = {
    "window": (2, 12),
    "escalate_after": (1, 12),
    "raise_after": (1, 12),
    "unresponsive_after": (2, 12),
    "vendor_raise_days": (0, 10),
}


def parse_help(args: list[str], today: date) -> Help:
    """The subcommand's name is looked up when the help is shown, against the table of subcommands."""
    return Help(" ".join(args).lower() or None)


def _options(tokens: list[str], usage: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for token in _joined_review(tokens):
        key, sep, value = token.partition(":")
        key = key.lower()
        if not sep or key not in ACCOUNT_OPTIONS:
            raise CommandError(
                f"“{clip(token)}” is not an option. Options are: {', '.join(o + ':' for o in ACCOUNT_OPTIONS)}",
                usage,
            )
        if key in options:
            raise CommandError(f"{key}: is given twice.", usage)
        options[key] = value.strip()
    return options


def _joined_review(tokens: list[str]) -> list[str]:
    """`review:fri 15:00` is typed as two words; the time belongs to the option before it."""
    joined: list[str] = []
    for token in tokens:
        if joined and joined[-1].lower().startswith("review:") and re.fullmatch(r"\d{1,2}[:.]\d{2}", token):
            joined[-1] = f"{joined[-1]} {token}"
        else:
            joined.append(token)
    return joined


def review_value(raw: str, usage: str) -> str:
    """`off`, or "<weekday 0-6> <HH:MM>" from "friday 15:00" (a day alone means 15:00)."""
    words = raw.lower().split()
    if words == ["off"]:
        return "off"
    if not 1 <= len(words) <= 2:
        raise CommandError("review: is a day and a time, like review:fri 15:00, or review:off.", usage)
    try:
        day = dated.weekday(words[0])
    except CommandError:
        raise CommandError(
            f"review:{clip(words[0])} — “{clip(words[0])}” is not a day of the week (mon … sun).", usage
        ) from None
    at = dated.time_of_day(words[1], usage) if len(words) == 2 else DEFAULT_REVIEW_TIME
    return f"{day} {at:%H:%M}"


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
    if key == "checkins":
        place = raw.lower()
        if place not in CHECKIN_PLACES:
            raise CommandError(
                "checkins: is where check-ins go: dm (direct message), channel (the shared channel, "
                "mentioning the owner) or auto (a DM, and the shared channel when a DM can't reach them).",
                usage,
            )
        return place
    if key == "review":
        return review_value(raw, usage)
    if key == "outcome":
        outcome = unescape(raw).strip()
        if len(outcome) > MAX_OUTCOME:
            raise CommandError(f"The Desired Outcome can be at most {MAX_OUTCOME} characters.", usage)
        return outcome
    country = raw.upper()
    if not re.fullmatch(r"[A-Z]{2,3}", country) or not known_holiday_country(country):
        raise CommandError(f"holidays:{clip(country)} is not a known country code (e.g. US, DE, GB).", usage)
    return country


def parse_account_edit(args: list[str], today: date) -> AccountEdit:
    usage = USAGE_ACCOUNT_EDIT
    name = account_name(args[0] if args else None, usage)
    options = _options(args[1:], usage)
    if not options:
        raise CommandError("Say what to change, for example champion:<@U12345>.", usage)
    changes: list[tuple[str, str | None]] = []
    for key, raw in options.items():
        if key in CLEARABLE and raw.lower() == "none":
            changes.append((key, None))
        else:
            changes.append((key, option_value(key, raw, usage)))
    return AccountEdit(name, tuple(changes))


def parse_account_add(args: list[str], today: date) -> AccountAdd | OpenForm:
    if not args:
        return OpenForm("account_add")
    usage = USAGE_ACCOUNT_ADD
    name = account_name(args[0], usage)
    options = _options(args[1:], usage)
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
        checkin_delivery=values.get("checkins", "auto"),
        review=values.get("review"),
    )


def parse_commit(args: list[str], today: date) -> Commit | OpenForm:
    if not args:
        return OpenForm("commit")
    usage = USAGE_COMMIT
    if len(args) < 5:
        raise CommandError(
            "A commitment needs an account, a side, an owner, the action and a schedule.", usage
        )
    name = account_name(args[0], usage)
    side_word = args[1].lower()
    if side_word not in ("customer", "vendor"):
        raise CommandError(f"The side must be customer or vendor, not “{clip(args[1])}”.", usage)
    owner = user_id(args[2], option="The owner", usage=usage)
    action = unescape(args[3]).strip()
    if not action or action.lower() in ("every", "by"):
        raise CommandError('Put the agreed action in double quotes: "Send the weekly usage report".', usage)
    if len(action) > MAX_ACTION:
        raise CommandError(f"The agreed action can be at most {MAX_ACTION} characters.", usage)
    schedule, after = args[4:], None
    if len(schedule) >= 2 and schedule[-2].lower() == "after":
        after = commitment_number(schedule[-1], usage)
        schedule = schedule[:-2]
    when = dated.commitment_schedule(schedule, usage=usage, today=today)
    return Commit(
        name,
        Side(side_word),
        owner,
        action,
        when.at,
        recurrence=when.recurrence,
        due_on=when.due_on,
        after=after,
    )


def parse_depend(args: list[str], today: date) -> Depend:
    """`depend #12 on #7`."""
    usage = USAGE_DEPEND
    if len(args) != 3 or args[1].lower() != "on":
        raise CommandError("Write `depend #12 on #7`: #12 then waits on #7.", usage)
    return Depend(commitment_number(args[0], usage), commitment_number(args[2], usage))


def parse_undepend(args: list[str], today: date) -> Undepend:
    if len(args) != 1:
        raise CommandError("Name one commitment, like #12.", USAGE_UNDEPEND)
    return Undepend(commitment_number(args[0], USAGE_UNDEPEND))


def parse_agreement(args: list[str], today: date) -> Agreement:
    return Agreement(only_account(args, USAGE_AGREEMENT))


def parse_list(args: list[str], today: date) -> ListCommitments:
    return ListCommitments(only_account(args, USAGE_LIST) if args else None)


def parse_export(args: list[str], today: date) -> Export:
    return Export(only_account(args, USAGE_EXPORT))


def parse_autopsy(args: list[str], today: date) -> OpenAutopsy:
    return OpenAutopsy(only_account(args, USAGE_AUTOPSY))


def parse_clear_risk(args: list[str], today: date) -> ClearRisk:
    """`account clear-risk <Account> "<reason>"`: the reason is required, it goes into the diary."""
    usage = USAGE_CLEAR_RISK
    if not args:
        raise CommandError("Name the account whose at-risk mark to clear, and say why.", usage)
    name = account_name(args[0], usage)
    reason = note(args[1], usage) if len(args) == 2 else None
    if len(args) > 2:
        raise CommandError("Put the reason in double quotes after the account.", usage)
    if reason is None:
        raise CommandError(
            'Say why, in double quotes: "the sponsor is back and the rollout restarted".', usage
        )
    return ClearRisk(name, reason)


def parse_pause(args: list[str], today: date) -> Pause:
    usage = USAGE_PAUSE
    if not args:
        raise CommandError("Name a commitment (#12) or an account to pause.", usage)
    commitment_id, account = target(args[0], usage)
    until: date | None = None
    if len(args) > 1:
        if args[1].lower() != "until" or len(args) == 2:
            raise CommandError("After what to pause, write `until <date>` or nothing.", usage)
        until = dated.until_date(" ".join(args[2:]), usage=usage, today=today)
    return Pause(commitment_id, account, until)


def parse_resume(args: list[str], today: date) -> Resume:
    if len(args) != 1:
        raise CommandError("Name one commitment (#12) or one account.", USAGE_RESUME)
    commitment_id, account = target(args[0], USAGE_RESUME)
    return Resume(commitment_id, account)


def _closing(args: list[str], usage: str) -> tuple[int, str | None]:
    if not args or len(args) > 2:
        raise CommandError("Name one commitment, like #12, then an optional note in double quotes.", usage)
    commitment_id = commitment_number(args[0], usage)
    return commitment_id, note(args[1], usage) if len(args) == 2 else None


def parse_done(args: list[str], today: date) -> MarkDone:
    return MarkDone(*_closing(args, USAGE_DONE))


def parse_cancel(args: list[str], today: date) -> Cancel:
    return Cancel(*_closing(args, USAGE_CANCEL))


def parse_propose(args: list[str], today: date) -> Propose:
    """`#12 by <date> [at HH:MM] "reason"` or `#12 every <recurrence> [at HH:MM] "reason"`."""
    usage = USAGE_PROPOSE
    if len(args) < 3:
        raise CommandError(
            "Name the commitment, the new date or schedule, and the reason in double quotes.", usage
        )
    commitment_id = commitment_number(args[0], usage)
    reason = note(args[-1], usage)
    if reason is None:
        raise CommandError('End with the reason in double quotes: "the data export slipped a week".', usage)
    try:
        new = parse_new_schedule(" ".join(args[1:-1]), today=today, due_by_date=True)
    except ScheduleError as exc:
        raise CommandError(str(exc), usage) from exc
    return Propose(commitment_id, new, reason)


def parse_correct(args: list[str], today: date) -> Correct:
    if len(args) != 2:
        raise CommandError("Give the entry's number and the correction in double quotes.", USAGE_CORRECT)
    correction = note(args[1], USAGE_CORRECT)
    if correction is None:
        raise CommandError("The correction is empty.", USAGE_CORRECT)
    if not COMMITMENT_ID.match(args[0].strip()):
        raise CommandError(f"“{clip(args[0])}” is not a diary entry number, like #42.", USAGE_CORRECT)
    return Correct(commitment_number(args[0], USAGE_CORRECT), correction)


def parse_policy(args: list[str], today: date) -> PolicyCommand:
    usage = USAGE_POLICY
    if not args:
        raise CommandError("Name the account.", usage)
    name = account_name(args[0], usage)
    changes: list[tuple[str, int]] = []
    for token in args[1:]:
        key, sep, raw = token.partition(":")
        if not sep or key not in POLICY_LIMITS:
            raise CommandError(
                f"“{clip(token)}” is not a policy option. Options: {', '.join(POLICY_LIMITS)}.", usage
            )
        low, high = POLICY_LIMITS[key]
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise CommandError(f"{key} must be a whole number from {low} to {high}.", usage)
        changes.append((key, int(raw)))
    return PolicyCommand(name, tuple(changes))


def parse_diary(args: list[str], today: date) -> DiaryView:
    usage = USAGE_DIARY
    if not args:
        raise CommandError("Name the account whose diary to show.", usage)
    name = account_name(args[0], usage)
    if len(args) == 1:
        return DiaryView(name, None)
    if args[1].lower() != "since" or len(args) == 2:
        raise CommandError("After the account, write `since <date>` or nothing.", usage)
    return DiaryView(name, dated.since_date(" ".join(args[2:]), usage=usage, today=today))


def parse_digest(args: list[str], today: date) -> DigestNow | DigestSettings:
    """`digest [<Account>]` posts now; `digest channel|at|chart|settings …` change or show the settings."""
    if not args:
        return DigestNow(None)
    verb, rest = args[0].lower(), args[1:]
    if verb == "settings" and not rest:
        return DigestSettings()
    if verb == "channel":
        return _digest_channel(rest)
    if verb == "chart":
        if len(rest) != 1 or rest[0].lower() not in ("on", "off"):
            raise CommandError("Say `digest chart on` or `digest chart off`.", USAGE_DIGEST_SETTINGS)
        return DigestSettings(chart=rest[0].lower() == "on")
    if verb == "at":
        if len(rest) not in (2, 3):
            raise CommandError(
                "Give a day, a time and optionally a time zone: `digest at monday 09:00 Europe/London`.",
                USAGE_DIGEST_SETTINGS,
            )
        at = dated.time_of_day(rest[1], USAGE_DIGEST_SETTINGS)
        tz = dated.time_zone(rest[2]) if len(rest) == 3 else None
        return DigestSettings(weekday=dated.weekday(rest[0]), at=at, tz=tz)
    return DigestNow(only_account(args, USAGE_DIGEST))


def parse_digest_settings(args: list[str], today: date) -> DigestNow | DigestSettings:
    return parse_digest(["settings", *args], today)


def _digest_channel(args: list[str]) -> DigestSettings:
    if len(args) != 1:
        raise CommandError("Name one channel, like #managers, or none.", USAGE_DIGEST_SETTINGS)
    if args[0].lower() == "none":
        return DigestSettings(clear_channel=True)
    return DigestSettings(
        channel_id=channel_id(args[0], option="digest channel", usage=USAGE_DIGEST_SETTINGS)
    )


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def known_zone(name: str) -> bool:
    """An IANA zone name, exactly as the tz database spells it."""
    return name in _zones()


def parse_person(args: list[str], today: date) -> PersonSettings:
    """`person <@x> [checkins:dm|channel|auto|account] [tz:Europe/Paris]`."""
    usage = USAGE_PERSON
    if not args:
        raise CommandError("Name the person, like <@U12345> (type @ and pick them).", usage)
    person = user_id(args[0], option="The person", usage=usage)
    options: dict[str, str] = {}
    for token in args[1:]:
        key, sep, raw = token.partition(":")
        key = key.lower()
        if not sep or key not in ("checkins", "tz", "holidays"):
            raise CommandError(
                f"“{clip(token)}” is not an option. Options are: checkins:, tz:, holidays:", usage
            )
        if key in options:
            raise CommandError(f"{key}: is given twice.", usage)
        options[key] = raw.strip()
    checkins = options.get("checkins")
    if checkins is not None:
        checkins = checkins.lower()
        if checkins not in (*CHECKIN_PLACES, ACCOUNT):
            raise CommandError(
                "checkins: is dm (direct messages), channel (the shared channel, mentioning them), auto (a DM, "
                "and the shared channel when a DM can't reach them) or account (the account's setting).",
                usage,
            )
    tz = options.get("tz")
    if tz is not None and not known_zone(tz):
        raise CommandError(
            f"tz:{clip(tz)} is not a time zone. Use an IANA name such as Europe/Paris, America/New_York or UTC.",
            usage,
        )
    holidays = options.get("holidays")
    if holidays is not None:
        holidays = holidays.lower() if holidays.lower() in ("none", ACCOUNT) else holidays.upper()
        if holidays not in ("none", ACCOUNT) and not known_holiday_country(holidays):
            raise CommandError(
                f"holidays:{clip(holidays)} is not a country I know the public holidays of. Use a two-letter "
                "code such as US, GB or FR, none for no public holidays, or account for the account's.",
                usage,
            )
    return PersonSettings(person, checkins=checkins, tz=tz, holidays=holidays)


def parse_away(args: list[str], today: date) -> Away:
    """`away [<@x>] until <date> ["reason"]` or `away [<@x>] off|back`."""
    usage = USAGE_AWAY
    person: str | None = None
    if args and args[0].startswith("<"):
        person = user_id(args[0], option="The person", usage=usage)
        args = args[1:]
    if len(args) == 1 and args[0].lower() in ("off", "back"):
        return Away(person, None)
    if len(args) < 2 or args[0].lower() != "until":
        raise CommandError("Say `until <date>` (and a reason in double quotes if you like), or `off`.", usage)
    words = args[1:]
    try:
        return Away(person, _away_until(" ".join(words), today=today))
    except CommandError:
        if len(words) < 2:
            raise
    reason = note(words[-1], usage)
    return Away(person, _away_until(" ".join(words[:-1]), today=today), reason)


def _away_until(phrase: str, *, today: date) -> date:
    try:
        return parse_due_date(phrase, today=today)
    except ScheduleError as exc:
        raise CommandError(str(exc), USAGE_AWAY) from exc


def parse_handover(args: list[str], today: date) -> Handover:
    """`handover <@from> <@to> [<Account>]`."""
    usage = USAGE_HANDOVER
    if len(args) < 2:
        raise CommandError("Name who hands over and who takes over: `handover @jo @ana`.", usage)
    if len(args) > 3:
        raise CommandError(
            "After the two people, name at most one account (in double quotes if it has spaces).", usage
        )
    from_user = user_id(args[0], option="Who hands over", usage=usage)
    to_user = user_id(args[1], option="Who takes over", usage=usage)
    if from_user == to_user:
        raise CommandError("Name two different people: who hands over, then who takes over.", usage)
    return Handover(from_user, to_user, account_name(args[2], usage) if len(args) == 3 else None)


def parse_away_words(args: list[str], today: date) -> AwayWords:
    """`settings away-words "<word>, :emoji:, …"`, `… default`, or nothing to show them."""
    if not args:
        return AwayWords(None)
    if len(args) == 1 and args[0].lower() == "default":
        return AwayWords(())
    words = tuple(w.strip() for w in unescape(" ".join(args)).split(",") if w.strip())
    if not words or any(len(w) > 60 for w in words) or len(words) > 30:
        raise CommandError(
            "Give up to 30 words or :emoji:, separated by commas, in double quotes.", USAGE_AWAY_WORDS
        )
    return AwayWords(words)
