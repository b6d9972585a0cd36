"""What the grammar reads a command into. Inputs a service takes as they are (`Commit`, `AccountAdd`,
`AccountEdit`, `DigestSettings`) live beside that service; these are the rest, which only the command
layer uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.accounts.commitments import Commit
from bot.accounts.person_settings import PersonSettings
from bot.accounts.registry import AccountAdd, AccountEdit
from bot.digest.settings import DigestSettings
from bot.people.away import Away
from bot.people.away_words import AwayWords
from bot.renegotiation.schedule import NewSchedule


@dataclass(frozen=True)
class Help:
    """`help`, or `help <subcommand>` for one subcommand in full."""

    topic: str | None = None


@dataclass(frozen=True)
class OfAccount:
    """A subcommand that names one account and nothing else."""

    account: str


class Agreement(OfAccount):
    """Post the joint plan and ask the champion to agree."""


class Export(OfAccount):
    """The diary as a CSV file, in the invoker's DM."""


class OpenAutopsy(OfAccount):
    """Answered in the ack with the autopsy form."""


@dataclass(frozen=True)
class ClearRisk:
    account: str
    reason: str


@dataclass(frozen=True)
class Handover:
    """`handover <@from> <@to> [<Account>]`: None means every account the actor manages."""

    from_user_id: str
    to_user_id: str
    account: str | None


@dataclass(frozen=True)
class ListCommitments:
    account: str | None


@dataclass(frozen=True)
class Targets:
    """A commitment by number, or every commitment of an account by name."""

    commitment_id: int | None
    account: str | None


class Resume(Targets):
    """From now on; the paused time is not counted."""


@dataclass(frozen=True)
class Pause(Targets):
    until: date | None  # None: until resumed


@dataclass(frozen=True)
class MarkDone:
    commitment_id: int
    note: str | None


@dataclass(frozen=True)
class DiaryView:
    """The first page; Next / Previous carry `since` in their buttons."""

    account: str
    since: date | None


@dataclass(frozen=True)
class Cancel:
    commitment_id: int
    reason: str | None


@dataclass(frozen=True)
class PolicyCommand:
    """No changes: show the policy (customers may); changes: the CSM or an admin sets them."""

    account: str
    changes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Correct:
    """A new diary entry pointing at `entry_id`: the diary is append-only."""

    entry_id: int
    text: str


@dataclass(frozen=True)
class DigestNow:
    """No account: every account the invoker is the CSM of (admins: all)."""

    account: str | None


@dataclass(frozen=True)
class Depend:
    """`depend #12 on #7`: #12 waits on #7 from now on."""

    commitment_id: int
    on_id: int


@dataclass(frozen=True)
class Undepend:
    """`undepend #12`: #12 waits on nothing any more."""

    commitment_id: int


@dataclass(frozen=True)
class Propose:
    """A new date or schedule for a commitment, put to the other side with the reason."""

    commitment_id: int
    new: NewSchedule
    reason: str


@dataclass(frozen=True)
class OpenForm:
    """`account add` or `commit` without arguments: the handler opens a modal instead."""

    form: str  # "account_add" | "commit"


Command = (
    Help
    | AccountAdd
    | AccountEdit
    | ClearRisk
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
    | PersonSettings
    | Depend
    | Undepend
    | Propose
    | OpenForm
    | Away
    | Handover
    | AwayWords
)
