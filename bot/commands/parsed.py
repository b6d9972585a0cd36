"""What the grammar reads a command into. Inputs a service takes as they are (`Commit`, `AccountAdd`,
`AccountEdit`, `DigestSettings`) live beside that service; these are the rest, which only the command
layer uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.accounts.commitments import Commit
from bot.accounts.registry import AccountAdd, AccountEdit
from bot.digest.settings import DigestSettings


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Agreement:
    account: str


@dataclass(frozen=True)
class ListCommitments:
    account: str | None


@dataclass(frozen=True)
class Pause:
    """A commitment by number or a whole account by name; without `until`, until resumed."""

    commitment_id: int | None
    account: str | None
    until: date | None


@dataclass(frozen=True)
class Resume:
    commitment_id: int | None
    account: str | None


@dataclass(frozen=True)
class MarkDone:
    """The note goes into the diary beside the completion."""

    commitment_id: int
    note: str | None


@dataclass(frozen=True)
class Cancel:
    commitment_id: int
    reason: str | None


@dataclass(frozen=True)
class DiaryView:
    """The first page; Next / Previous carry `since` in their buttons."""

    account: str
    since: date | None


@dataclass(frozen=True)
class Export:
    account: str


@dataclass(frozen=True)
class PolicyCommand:
    """No changes: show the policy (customers may); changes: the CSM or an admin sets them."""

    account: str
    changes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class OpenAutopsy:
    account: str


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
