"""Write docs/reliability.md from the fault and attack scenarios themselves.

Runs every test marked `reliability` (pytest -m reliability) at full size with RELIABILITY_LOG set,
so each scenario appends what it tried and what happened, then turns that log into the page. Nothing
in the page is typed by hand: rerun this after a change to refresh it.

Usage: python scripts/reliability_report.py [--database-url URL] [--quick] [--output PATH]
  --quick   the suite's smaller sizes (what CI runs to check the report still builds)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_scenarios(*, database_url: str | None, quick: bool) -> tuple[list[dict[str, Any]], int]:
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "results.jsonl"
        env = {**os.environ, "RELIABILITY_LOG": str(log)}
        if not quick:
            env["RELIABILITY_FULL"] = "1"
        if database_url:
            env["TEST_DATABASE_URL"] = database_url
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "reliability"],
            cwd=ROOT,
            env=env,
            check=False,
        )
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [json.loads(line) for line in lines if line.strip()], completed.returncode


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def outcome_text(outcome: dict[str, int]) -> str:
    return ", ".join(f"{name}: {count:,}" for name, count in outcome.items()) or "—"


def page(results: list[dict[str, Any]], *, database: str, status: int, quick: bool) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    by_area: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        by_area[result["area"]].append(result)
    lines = [
        "# Reliability: faults and attacks, as last measured",
        "",
        "Made by `python scripts/reliability_report.py` — do not edit by hand. Each row is a scenario in",
        "`tests/` (marked `reliability`) run against the real app over signed HTTP, a real database and the",
        "Slack emulator with its faults; *tried* counts the attempts, *outcome* what became of each.",
        "",
        f"- Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit `{commit or 'unknown'}`, database {database}, "
        f"{'suite sizes (quick)' if quick else 'full sizes'}.",
        f"- Scenario tests: {'all passed' if status == 0 else f'FAILED (pytest exit status {status})'}.",
        "",
    ]
    for area in sorted(by_area):
        lines += [
            f"## {area}",
            "",
            "| fault or attack | tried | outcome | notes |",
            "| --- | ---: | --- | --- |",
        ]
        for result in by_area[area]:
            notes = cell(str(result.get("notes") or ""))
            lines.append(
                f"| {cell(result['fault'])} | {result['tried']:,} | {outcome_text(result['outcome'])} | {notes} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="TEST_DATABASE_URL for the scenarios (default: SQLite)")
    parser.add_argument("--quick", action="store_true", help="the suite's smaller sizes")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "reliability.md")
    args = parser.parse_args()
    results, status = run_scenarios(database_url=args.database_url, quick=args.quick)
    if not results:
        print("reliability report: no scenario recorded a result; nothing written", file=sys.stderr)
        return 1
    database = "PostgreSQL" if args.database_url and args.database_url.startswith("postgres") else "SQLite"
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        page(results, database=database, status=status, quick=args.quick), encoding="utf-8"
    )
    print(f"wrote {args.output}: {len(results)} scenarios, pytest exit status {status}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
