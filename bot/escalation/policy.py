"""The escalation policy: defaults, per-account overrides, and the same rules in plain words.

Consequences are agreed up front: the words below go into the joint plan the champion agrees to and
are shown by `/accountability policy <Account>` to anyone on the account.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace

from models import Account


@dataclass(frozen=True)
class Policy:
    window: int = 4  # how many recent check-ins of a commitment are looked at
    escalate_after: int = 2  # customer misses in the window that open an escalation
    raise_after: int = 3  # customer misses in the window that bring in the manager (account at risk)
    unresponsive_after: int = 3  # no-responses in a row from the champion
    vendor_raise_days: int = 2  # working days after a missed vendor due date before the manager is called

    def lines(self) -> tuple[str, ...]:
        return (
            "A check-in counts as missed when it is answered *Not yet* or *Blocked*, or gets no response.",
            f"Customer side: a first miss in the last {self.window} check-ins gets a friendly nudge, nothing more. "
            f"{_count(self.escalate_after)} misses in the last {self.window} (or two in a row) are raised with the "
            f"vendor's CSM; {_count(self.raise_after).lower()} bring in the manager and mark the account at risk.",
            f"{_count(self.unresponsive_after)} check-ins in a row with no response from the champion are raised "
            "as the champion being unresponsive.",
            "Vendor side, held to a higher standard: a vendor commitment not done by its date is raised at the end "
            "of the working day after it (a whole working day after its check-in on the date), and with the "
            f"manager {self.vendor_raise_days} working days later; a missed "
            "recurring vendor check-in is raised at the first miss.",
            "Paused commitments, and check-ins skipped because the bot was down, never count against anyone.",
        )

    def text(self) -> str:
        return "\n".join(f"• {line}" for line in self.lines())


def _count(n: int) -> str:
    words = {1: "One", 2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six"}
    return words.get(n, str(n))


def policy_of(account: Account) -> Policy:
    overrides = json.loads(account.policy) if account.policy else {}
    known = {f.name for f in fields(Policy)}
    return replace(Policy(), **{k: int(v) for k, v in overrides.items() if k in known})


def with_overrides(account: Account, changes: dict[str, int]) -> Policy:
    """Apply changes and keep only what differs from the defaults, so a later default change reaches
    every account that never chose otherwise."""
    policy = replace(policy_of(account), **changes)
    if policy.raise_after < policy.escalate_after:
        raise ValueError("raise_after must be at least escalate_after: the manager comes after the CSM.")
    if policy.escalate_after > policy.window or policy.raise_after > policy.window:
        raise ValueError("escalate_after and raise_after must fit in the window.")
    defaults = asdict(Policy())
    account.policy = json.dumps({k: v for k, v in asdict(policy).items() if defaults[k] != v}) or None
    return policy
