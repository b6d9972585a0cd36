"""Fault and attack scenarios, each a plain function that drives the real app and the emulator and
returns what happened, so the tests assert on it and `scripts/reliability_report.py` publishes it.

The report runs the same tests with `RELIABILITY_LOG` naming a file (each result is appended to it
as a JSON line) and `RELIABILITY_FULL=1` (scenarios then run at their full size instead of the
smaller size that keeps the suite quick).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class FaultResult:
    """One scenario's outcome: what was tried, how many times, and what became of each try."""

    fault: str
    tried: int
    outcome: dict[str, int] = field(default_factory=dict)
    notes: str = ""


def full_size() -> bool:
    return os.environ.get("RELIABILITY_FULL") == "1"


def size(quick: int, full: int) -> int:
    """How many tries a scenario makes: `quick` in the suite, `full` when the report runs it."""
    return full if full_size() else quick


def record(result: FaultResult, *, area: str) -> FaultResult:
    """Keep the result for the report when one is being made; a plain test run only returns it."""
    path = os.environ.get("RELIABILITY_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"area": area, **asdict(result)}) + "\n")
    return result
