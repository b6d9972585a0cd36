"""The table of `/accountability` subcommands: each one's form, its line in the help, how its words are
read and how it is carried out. The help, the README's command reference, the parser's routing and the
runner's dispatch all come from this one table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.accounts.commitments import Commit
from bot.accounts.person_settings import PersonSettings
from bot.accounts.registry import AccountAdd, AccountEdit
from bot.commands import execution, grammar, parsed, usage
from bot.commands.execution import Execution
from bot.commands.parsed import Command, Help, OpenAutopsy, OpenForm, PolicyCommand
from bot.commands.replies import Reply
from bot.commands.tokens import CommandError, clip, tokenize
from bot.digest.settings import DigestSettings
from bot.escalation.autopsy import AutopsyInput
from bot.people.away import Away
from bot.people.away_words import AwayWords


def _never(command: Any) -> bool:
    return False


def _always(command: Any) -> bool:
    return True


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    help: str
    parse: Callable[[list[str], date], Command]
    execute: Callable[[Execution, Any], str | Reply]
    runs: tuple[type, ...]
    # Someone of the customer's organisation may only read their own account.
    customer_may: Callable[[Any], bool] = _never


def _help(run: Execution, command: Any) -> str:
    return help_text()


def _reads_policy(command: PolicyCommand) -> bool:
    return not command.changes


# fmt: off
# name, its form, its help line, how its words are read, how it is carried out, the command types it
# carries out (a form submits the same types as the typed command), and whether a customer may run it.
# A form opener is answered in the ack; should one reach the runner, the help is the useful answer.
SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", usage.USAGE_HELP, usage.HELP_HELP, grammar.parse_help, _help, (Help, OpenForm, OpenAutopsy), _always),
    Subcommand("account add", usage.USAGE_ACCOUNT_ADD, usage.HELP_ACCOUNT_ADD, grammar.parse_account_add, execution.add_account, (AccountAdd,)),
    Subcommand("account edit", usage.USAGE_ACCOUNT_EDIT, usage.HELP_ACCOUNT_EDIT, grammar.parse_account_edit, execution.edit, (AccountEdit,)),
    Subcommand("account clear-risk", usage.USAGE_CLEAR_RISK, usage.HELP_CLEAR_RISK, grammar.parse_clear_risk, execution.clear_risk, (parsed.ClearRisk,)),
    Subcommand("commit", usage.USAGE_COMMIT, usage.HELP_COMMIT, grammar.parse_commit, execution.commit, (Commit,)),
    Subcommand("depend", usage.USAGE_DEPEND, usage.HELP_DEPEND, grammar.parse_depend, execution.depend, (parsed.Depend,)),
    Subcommand("undepend", usage.USAGE_UNDEPEND, usage.HELP_UNDEPEND, grammar.parse_undepend, execution.undepend, (parsed.Undepend,)),
    Subcommand("agreement", usage.USAGE_AGREEMENT, usage.HELP_AGREEMENT, grammar.parse_agreement, execution.agreement, (parsed.Agreement,)),
    Subcommand("list", usage.USAGE_LIST, usage.HELP_LIST, grammar.parse_list, execution.listing, (parsed.ListCommitments,)),
    Subcommand("pause", usage.USAGE_PAUSE, usage.HELP_PAUSE, grammar.parse_pause, execution.pause_some, (parsed.Pause,)),
    Subcommand("resume", usage.USAGE_RESUME, usage.HELP_RESUME, grammar.parse_resume, execution.resume_some, (parsed.Resume,)),
    Subcommand("done", usage.USAGE_DONE, usage.HELP_DONE, grammar.parse_done, execution.done, (parsed.MarkDone,), _always),
    Subcommand("cancel", usage.USAGE_CANCEL, usage.HELP_CANCEL, grammar.parse_cancel, execution.cancel, (parsed.Cancel,)),
    Subcommand("propose", usage.USAGE_PROPOSE, usage.HELP_PROPOSE, grammar.parse_propose, execution.propose, (parsed.Propose,), _always),
    Subcommand("diary", usage.USAGE_DIARY, usage.HELP_DIARY, grammar.parse_diary, execution.diary_view, (parsed.DiaryView,), _always),
    Subcommand("export", usage.USAGE_EXPORT, usage.HELP_EXPORT, grammar.parse_export, execution.export, (parsed.Export,), _always),
    Subcommand("policy", usage.USAGE_POLICY, usage.HELP_POLICY, grammar.parse_policy, execution.policy, (PolicyCommand,), _reads_policy),
    Subcommand("autopsy", usage.USAGE_AUTOPSY, usage.HELP_AUTOPSY, grammar.parse_autopsy, execution.autopsy, (AutopsyInput,)),
    Subcommand("correct", usage.USAGE_CORRECT, usage.HELP_CORRECT, grammar.parse_correct, execution.correct, (parsed.Correct,)),
    Subcommand("digest", usage.USAGE_DIGEST, usage.HELP_DIGEST, grammar.parse_digest, execution.digest_now, (parsed.DigestNow,)),
    Subcommand("person", usage.USAGE_PERSON, usage.HELP_PERSON, grammar.parse_person, execution.person, (PersonSettings,)),
    Subcommand("away", usage.USAGE_AWAY, usage.HELP_AWAY, grammar.parse_away, execution.away, (Away,), _always),
    Subcommand("handover", usage.USAGE_HANDOVER, usage.HELP_HANDOVER, grammar.parse_handover, execution.handover, (parsed.Handover,)),
    Subcommand("settings away-words", usage.USAGE_AWAY_WORDS, usage.HELP_AWAY_WORDS, grammar.parse_away_words, execution.away_words_setting, (AwayWords,)),
    Subcommand("digest settings", usage.USAGE_DIGEST_SETTINGS, usage.HELP_DIGEST_SETTINGS, grammar.parse_digest_settings, execution.digest_settings, (DigestSettings,)),
)
# fmt: on

_BY_WORDS = {tuple(entry.name.split()): entry for entry in SUBCOMMANDS}
_BY_TYPE = {kind: entry for entry in SUBCOMMANDS for kind in entry.runs}

# One source for `/accountability help` and the README's command reference.
COMMAND_REFERENCE: tuple[tuple[str, str], ...] = (
    *((entry.usage, entry.help) for entry in SUBCOMMANDS),
    usage.FORMS_NOTE,
)


def help_text() -> str:
    return usage.help_list(COMMAND_REFERENCE)


def reference_markdown() -> str:
    """The README's command reference, from the same table as `/accountability help`."""
    return usage.markdown_list(COMMAND_REFERENCE)


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
