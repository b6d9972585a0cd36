"""What every benchmark reports, and the one table `python -m bench` prints and writes.

A benchmark module defines `run(smoke: bool) -> Result` and ends with
`if __name__ == "__main__": raise SystemExit(cli(run, __doc__))`, so it runs alone
(`python bench/acks.py [--smoke]`) or under `python -m bench`, which starts each module in its own
process (`--json PATH`): memory figures are then the module's own, and one module's crash is reported
without losing the others' figures.

Nothing here judges speed in a test: a figure carries its goal and whether this run met it, so the
table says it and a reader decides.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Figure:
    """One measured figure, beside the floor or baseline measured in the same run.

    `ratio` is value / baseline when both are known. `met` is None where the issue sets no goal for
    this figure (a context figure, such as the baseline itself shown on its own row)."""

    section: str  # "Acks", "Sending", "History", "Memory"
    name: str  # what was measured, with the backend: "click Done → ack p99, SQLite"
    value: float
    unit: str  # "ms", "s", "MB", "/s", "share", "count"
    goal: str = ""  # "≤ 250 ms and ≤ 1.5× bare Bolt"
    met: bool | None = None
    baseline_name: str = ""  # "bare Bolt ack p99, same run"
    baseline: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


@dataclass
class Result:
    """A module's figures and what its profile or run showed, in sentences for docs/performance.md."""

    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"figures": [asdict(f) for f in self.figures], "notes": self.notes}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Result:
        data = json.loads(text)
        return cls(figures=[Figure(**f) for f in data["figures"]], notes=list(data["notes"]))


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "share":
        return f"{value:.2f}"
    if unit == "count":
        return f"{value:,.0f}"
    if unit in {"ms", "MB", "s", "/s"}:
        digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
        return f"{value:,.{digits}f} {unit}"
    return f"{value:g} {unit}".strip()


def _verdict(figure: Figure) -> str:
    return "" if figure.met is None else ("met" if figure.met else "NOT met")


def table_rows(figures: Sequence[Figure]) -> list[list[str]]:
    rows = []
    for f in figures:
        ratio = f.ratio
        rows.append(
            [
                f.section,
                f.name,
                format_value(f.value, f.unit),
                f"{f.baseline_name}: {format_value(f.baseline, f.unit)}" if f.baseline_name else "",
                f"{ratio:.2f}×" if ratio is not None else "",
                f.goal,
                _verdict(f),
            ]
        )
    return rows


HEADERS = ["", "figure", "value", "floor / baseline (same run)", "ratio", "goal", ""]


def text_table(figures: Sequence[Figure]) -> str:
    """A plain-text table for a terminal."""
    rows = [HEADERS, *table_rows(figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(figures: Sequence[Figure]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = table_rows(figures)
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def cli(run: Callable[[bool], Result], doc: str | None) -> int:
    """The command line every benchmark module shares: `--smoke` for CI's size, `--json PATH` for the
    harness; without `--json` the figures are printed as a table."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a tiny size, for CI: seconds, not minutes")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON (used by python -m bench)")
    args = parser.parse_args()
    result = run(args.smoke)
    if args.json is not None:
        args.json.write_text(result.to_json(), encoding="utf-8")
    else:
        print(text_table(result.figures))
        for note in result.notes:
            print(f"- {note}")
    sys.stdout.flush()
    return 0
