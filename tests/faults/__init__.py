"""Fault and attack scenarios, each a plain function that drives the real app and the emulator and
returns what happened, so the tests assert on it and `scripts/reliability_report.py` publishes it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FaultResult:
    """One scenario's outcome: what was tried, how many times, and what became of each try."""

    fault: str
    tried: int
    outcome: dict[str, int] = field(default_factory=dict)
    notes: str = ""
