"""The table of `/accountability` subcommands: each one's form, its line in the help, how its words are
read and how it is carried out. The help, the README's command reference, the parser's routing and the
runner's dispatch all come from this one table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from bot.accounts.commitments import Commit
from bot.accounts.person_settings import PersonSettings
from bot.accounts.registry import AccountAdd, AccountEdit
from bot.commands import execution, grammar, parsed, usage
from bot.commands.execution import Execution
from bot.commands.help import help_reply, reference, subcommand_help
from bot.commands.parsed import Command, Help, OpenAutopsy, OpenForm, PolicyCommand
from bot.commands.replies import Reply
from bot.commands.tokens import CommandError, clip, tokenize
from bot.digest.settings import DigestSettings
from bot.escalation.autopsy import AutopsyInput
from bot.people.away import Away
from bot.people.away_words import AwayWords


class Group(Enum):
    """The headers of `/accountability help` and of the README's command reference, in their order."""

    HELP = "Help"
    ACCOUNTS = "Accounts"
    COMMITMENTS = "Commitments"
    PEOPLE = "People"
    DIARY = "Diary"
    ESCALATIONS = "Escalations"
    DIGESTS = "Digests"


def _never(command: Any) -> bool:
    return False


def _always(command: Any) -> bool:
    return True


@dataclass(frozen=True)
class Subcommand:
    name: str
    group: Group
    usage: str
    help: str
    example: str
    parse: Callable[[list[str], date], Command]
    execute: Callable[[Execution, Any], str | Reply]
    runs: tuple[type, ...]
    # Someone of the customer's organisation may only read their own account.
    customer_may: Callable[[Any], bool] = _never
    # Typed without arguments, it opens a form (the parser answers OpenForm).
    opens_form: bool = False


def _help(run: Execution, command: Help) -> Reply:
    if command.topic is None:
        return help_reply(SUBCOMMANDS)
    return subcommand_help(SUBCOMMANDS, command.topic)


def _reads_policy(command: PolicyCommand) -> bool:
    return not command.changes


A, C, P, D, E, G = (
    Group.ACCOUNTS,
    Group.COMMITMENTS,
    Group.PEOPLE,
    Group.DIARY,
    Group.ESCALATIONS,
    Group.DIGESTS,
)
u = usage

# fmt: off
# name, its group in the help, its form, its help line, a filled-in example, how its words are read, how
# it is carried out, the command types it carries out (a form submits the same types as the typed
# command), and whether a customer may run it. A form opener is answered in the ack; should one reach
# the runner, the help is the useful answer.
SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", Group.HELP, u.USAGE_HELP, u.HELP_HELP, u.EXAMPLE_HELP, grammar.parse_help, _help, (Help, OpenForm, OpenAutopsy), _always),
    Subcommand("account add", A, u.USAGE_ACCOUNT_ADD, u.HELP_ACCOUNT_ADD, u.EXAMPLE_ACCOUNT_ADD, grammar.parse_account_add, execution.add_account, (AccountAdd,), opens_form=True),
    Subcommand("account edit", A, u.USAGE_ACCOUNT_EDIT, u.HELP_ACCOUNT_EDIT, u.EXAMPLE_ACCOUNT_EDIT, grammar.parse_account_edit, execution.edit, (AccountEdit,)),
    Subcommand("agreement", A, u.USAGE_AGREEMENT, u.HELP_AGREEMENT, u.EXAMPLE_AGREEMENT, grammar.parse_agreement, execution.agreement, (parsed.Agreement,)),
    Subcommand("commit", C, u.USAGE_COMMIT, u.HELP_COMMIT, u.EXAMPLE_COMMIT, grammar.parse_commit, execution.commit, (Commit,), opens_form=True),
    Subcommand("list", C, u.USAGE_LIST, u.HELP_LIST, u.EXAMPLE_LIST, grammar.parse_list, execution.listing, (parsed.ListCommitments,)),
    Subcommand("depend", C, u.USAGE_DEPEND, u.HELP_DEPEND, u.EXAMPLE_DEPEND, grammar.parse_depend, execution.depend, (parsed.Depend,)),
    Subcommand("undepend", C, u.USAGE_UNDEPEND, u.HELP_UNDEPEND, u.EXAMPLE_UNDEPEND, grammar.parse_undepend, execution.undepend, (parsed.Undepend,)),
    Subcommand("pause", C, u.USAGE_PAUSE, u.HELP_PAUSE, u.EXAMPLE_PAUSE, grammar.parse_pause, execution.pause_some, (parsed.Pause,)),
    Subcommand("resume", C, u.USAGE_RESUME, u.HELP_RESUME, u.EXAMPLE_RESUME, grammar.parse_resume, execution.resume_some, (parsed.Resume,)),
    Subcommand("done", C, u.USAGE_DONE, u.HELP_DONE, u.EXAMPLE_DONE, grammar.parse_done, execution.done, (parsed.MarkDone,), _always),
    Subcommand("cancel", C, u.USAGE_CANCEL, u.HELP_CANCEL, u.EXAMPLE_CANCEL, grammar.parse_cancel, execution.cancel, (parsed.Cancel,)),
    Subcommand("propose", C, u.USAGE_PROPOSE, u.HELP_PROPOSE, u.EXAMPLE_PROPOSE, grammar.parse_propose, execution.propose, (parsed.Propose,), _always),
    Subcommand("person", P, u.USAGE_PERSON, u.HELP_PERSON, u.EXAMPLE_PERSON, grammar.parse_person, execution.person, (PersonSettings,)),
    Subcommand("away", P, u.USAGE_AWAY, u.HELP_AWAY, u.EXAMPLE_AWAY, grammar.parse_away, execution.away, (Away,), _always),
    Subcommand("handover", P, u.USAGE_HANDOVER, u.HELP_HANDOVER, u.EXAMPLE_HANDOVER, grammar.parse_handover, execution.handover, (parsed.Handover,)),
    Subcommand("settings away-words", P, u.USAGE_AWAY_WORDS, u.HELP_AWAY_WORDS, u.EXAMPLE_AWAY_WORDS, grammar.parse_away_words, execution.away_words_setting, (AwayWords,)),
    Subcommand("diary", D, u.USAGE_DIARY, u.HELP_DIARY, u.EXAMPLE_DIARY, grammar.parse_diary, execution.diary_view, (parsed.DiaryView,), _always),
    Subcommand("correct", D, u.USAGE_CORRECT, u.HELP_CORRECT, u.EXAMPLE_CORRECT, grammar.parse_correct, execution.correct, (parsed.Correct,)),
    Subcommand("export", D, u.USAGE_EXPORT, u.HELP_EXPORT, u.EXAMPLE_EXPORT, grammar.parse_export, execution.export, (parsed.Export,), _always),
    Subcommand("policy", E, u.USAGE_POLICY, u.HELP_POLICY, u.EXAMPLE_POLICY, grammar.parse_policy, execution.policy, (PolicyCommand,), _reads_policy),
    Subcommand("autopsy", E, u.USAGE_AUTOPSY, u.HELP_AUTOPSY, u.EXAMPLE_AUTOPSY, grammar.parse_autopsy, execution.autopsy, (AutopsyInput,)),
    Subcommand("account clear-risk", E, u.USAGE_CLEAR_RISK, u.HELP_CLEAR_RISK, u.EXAMPLE_CLEAR_RISK, grammar.parse_clear_risk, execution.clear_risk, (parsed.ClearRisk,)),
    Subcommand("digest", G, u.USAGE_DIGEST, u.HELP_DIGEST, u.EXAMPLE_DIGEST, grammar.parse_digest, execution.digest_now, (parsed.DigestNow,)),
    Subcommand("digest settings", G, u.USAGE_DIGEST_SETTINGS, u.HELP_DIGEST_SETTINGS, u.EXAMPLE_DIGEST_SETTINGS, grammar.parse_digest_settings, execution.digest_settings, (DigestSettings,)),
)
# fmt: on

_BY_WORDS = {tuple(entry.name.split()): entry for entry in SUBCOMMANDS}
_BY_TYPE = {kind: entry for entry in SUBCOMMANDS for kind in entry.runs}


def help_text() -> str:
    """`/accountability help` as plain text (what notifications and screen readers get)."""
    return help_reply(SUBCOMMANDS).text


def reference_markdown() -> str:
    """The README's command reference, from the same table as `/accountability help`."""
    return reference(SUBCOMMANDS)


def parse(text: str, *, today: date) -> Command:
    """`today` is the invoker's local date, against which "tomorrow" or "next friday" are read."""
    tokens = tokenize(text)
    if not tokens:
        return Help()
    for width in (2, 1):
        entry = _BY_WORDS.get(tuple(token.lower() for token in tokens[:width]))
        if entry is not None and len(tokens) >= width:
            return entry.parse(tokens[width:], today)
    if tokens[0].lower() == "account":
        raise CommandError(
            "Use `account add` to create an account, `account edit` to change one, `account clear-risk` "
            "to clear its at-risk mark.",
            usage.USAGE_ACCOUNT_ADD,
        )
    raise CommandError(f"I don't know the subcommand “{clip(tokens[0])}”. Try `/accountability help`.")


def subcommand_of(command: Command | AutopsyInput) -> Subcommand:
    return _BY_TYPE[type(command)]
