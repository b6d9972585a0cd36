"""The words of a command: splitting the text, and reading the single tokens every subcommand shares
(people, channels, account names, commitment numbers, notes), each with a refusal that shows the form."""

from __future__ import annotations

import re
import shlex

from bot.errors import Refusal
from bot.slack.mrkdwn import clean, escape, unescape

MAX_TEXT = 2000
MAX_ACCOUNT_NAME = 80
MAX_NOTE = 500

_USER = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$|^([CG][A-Z0-9]{2,})$")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
COMMITMENT_ID = re.compile(r"^#?(\d{1,9})$")


class CommandError(Refusal):
    """Input that cannot be read: what was wrong, and (when it helps) the right form to copy."""

    def __init__(self, problem: str, usage: str | None = None) -> None:
        super().__init__(problem if usage is None else f"{problem}\nThe form is:\n```{usage}```")
        self.problem = problem
        self.usage = usage

    @property
    def reply(self) -> str:
        return self.message


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


def clip(text: str, limit: int = 60) -> str:
    """What the person typed, quoted back in a refusal: Slack's escaping undone, cut, escaped again."""
    raw = unescape(text)
    return escape(raw if len(raw) <= limit else raw[: limit - 1] + "…")


def _mention(pattern: re.Pattern[str], token: str, *, what: str, option: str, usage: str) -> str:
    match = pattern.match(token)
    if not match:
        raise CommandError(f"{option} must mention {what}; got “{clip(token)}”.", usage)
    return match.group(1) or match.group(2)


def user_id(token: str, *, option: str, usage: str) -> str:
    return _mention(
        _USER, token, what="a person, like <@U12345> (type @ and pick them)", option=option, usage=usage
    )


def channel_id(token: str, *, option: str, usage: str) -> str:
    what = "a channel, like <#C12345> (type # and pick it)"
    return _mention(_CHANNEL, token, what=what, option=option, usage=usage)


def account_name(token: str | None, usage: str) -> str:
    if token is None or ":" in token or token.startswith("<"):
        raise CommandError("Start with the account name (one word, or a name in double quotes).", usage)
    name = unescape(token).strip()
    if not name:
        raise CommandError("The account name is empty.", usage)
    if len(name) > MAX_ACCOUNT_NAME:
        raise CommandError(f"An account name can be at most {MAX_ACCOUNT_NAME} characters.", usage)
    return name


def only_account(tokens: list[str], usage: str) -> str:
    if len(tokens) != 1:
        raise CommandError("Name one account (put a name with spaces in double quotes).", usage)
    return account_name(tokens[0], usage)


def commitment_number(token: str, usage: str) -> int:
    match = COMMITMENT_ID.match(token.strip())
    if not match:
        raise CommandError(
            f"“{clip(token)}” is not a commitment number. Use #12 or 12 (see `/accountability list`).", usage
        )
    return int(match.group(1))


def target(token: str, usage: str) -> tuple[int | None, str | None]:
    """A commitment number or an account name, for the subcommands that take either."""
    if COMMITMENT_ID.match(token.strip()):
        return commitment_number(token, usage), None
    return None, account_name(token, usage)


def note(token: str, usage: str) -> str | None:
    text = unescape(token).strip()
    if len(text) > MAX_NOTE:
        raise CommandError(f"A note can be at most {MAX_NOTE} characters.", usage)
    return text or None
