"""What the check-in steps of one clock pass did, for the pass's report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CheckinCounts:
    """Filled in as the steps go, so a step that fails half-way still reports what it had done."""

    created: int = 0
    skipped: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    reconciled_sent: int = 0
    reconciled_unsent: int = 0
