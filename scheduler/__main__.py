"""`python -m scheduler` runs the clock forever; `python -m scheduler tick [--at ISO-8601]` runs one pass.

A failure ends with one line on standard error (exit 2: fix the settings; 1: try again).
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict
from datetime import UTC, datetime

from bot import operator_errors
from bot.clock_pass import PassReport
from bot.operator_errors import OperatorError, safe_url
from bot.settings import Settings
from scheduler.jobs import ClockConfigError, installation_passes, one_pass, run_forever


def parse_instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not ISO-8601, e.g. 2026-12-07T14:00:00Z") from exc
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"{value!r} has no offset: add Z or +HH:MM so the instant is unambiguous"
        )
    return instant.astimezone(UTC)


def summary(report: PassReport) -> str:
    return (
        f"created {report.created}, sent {report.sent}, skipped {report.skipped}, failed {report.failed}, "
        f"deferred {report.deferred}, reviews {report.reviews}, digests {report.digests}"
    )


def main(argv: list[str] | None = None) -> int:
    return operator_errors.run_operator_command("python -m scheduler", _main, argv)


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scheduler", description=__doc__, epilog=operator_errors.DEBUG_HELP
    )
    sub = parser.add_subparsers(dest="command")
    tick = sub.add_parser("tick", help="run one pass of all due work and exit")
    tick.add_argument(
        "--at", type=parse_instant, help="the instant to run as (default: now), ISO-8601 with offset"
    )
    args = parser.parse_args(argv)
    # The clock that runs for good logs each pass (tracebacks kept for its log); one tick says what it
    # did on standard output.
    forever = args.command is None
    operator_errors.configure_logging(logging.INFO if forever else logging.WARNING, tracebacks=forever)
    settings = Settings.from_env()
    try:
        if args.command == "tick" and (settings.oauth or settings.oauth_problem()):
            reports = installation_passes(settings, at=args.at)
            for key, report in reports.items():
                print(f"{key}: {summary(report)}")
                for error in report.errors:
                    print(f"{key}: step failed — {error}", file=sys.stderr)
            return 1 if any(report.errors for report in reports.values()) else 0
        if args.command == "tick":
            report = one_pass(settings, at=args.at)
            if not report.errors and not any(v for k, v in asdict(report).items() if k != "errors"):
                print(f"nothing was due in the database {safe_url(settings.database_url)}")
            print(summary(report))
            for error in report.errors:
                print(f"step failed — {error}", file=sys.stderr)
            return 1 if report.errors else 0
        run_forever(settings)
    except ClockConfigError as exc:
        raise OperatorError(str(exc), status=2) from exc
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
