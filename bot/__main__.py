"""Operator commands: `python -m bot export` (the diary and scorecard for offline review) and
`python -m bot import accounts.csv` (bulk set-up from a CRM export, with a dry run).

export: --account NAME [--team T…] [--format csv|json] [--output FILE]; standard output by default.
  CSV columns: occurred_at_utc, account, kind, side, actor_user_id, commitment_id, checkin_id, private,
  corrects_entry_id, text. JSON: {"account", "scorecard": {"customer"|"vendor": {"kept", "total"}},
  "diary": [...same fields...]}.
import: FILE [--dry-run] [--team T…]; columns are listed in bot/importer.py and the README.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.export import CSV_COLUMNS, diary_csv
from bot.permissions import Actor
from bot.scorecard import kept_rates
from bot.settings import Settings
from models import Account, Side
from models.db import make_engine, session_factory, upgrade

SCORE_WINDOW = timedelta(weeks=12)


def export(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_factory(engine)() as session:
        query = select(Account).where(Account.name_key == " ".join(args.account.casefold().split()))
        if args.team:
            query = query.where(Account.team_id == args.team)
        accounts = list(session.scalars(query))
        if len(accounts) != 1:
            problem = "no account" if not accounts else "several accounts (give --team)"
            print(f"export: {problem} called {args.account!r}", file=sys.stderr)
            return 2
        account = accounts[0]
        # The operator reads every account: an admin in the account's own workspace.
        operator = Actor(
            user_id="operator", team_id=account.team_id, enterprise_id=None, is_admin=True, is_external=False
        )
        content, _count = diary_csv(session, account=account, actor=operator)
        if args.format == "json":
            rates = kept_rates(session, [account.id], since=datetime.now(UTC) - SCORE_WINDOW)
            rows = list(csv.DictReader(io.StringIO(content)))
            scorecard = {
                side.value: {"kept": rates[(account.id, side)].kept, "total": rates[(account.id, side)].total}
                if (account.id, side) in rates
                else {"kept": 0, "total": 0}
                for side in Side
            }
            content = (
                json.dumps({"account": account.name, "scorecard": scorecard, "diary": rows}, indent=2) + "\n"
            )
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
    else:
        sys.stdout.write(content)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    out = sub.add_parser(
        "export",
        help="the diary and scorecard of one account",
        description=f"CSV columns: {', '.join(CSV_COLUMNS)}",
    )
    out.add_argument("--account", required=True)
    out.add_argument("--team", help="the workspace's team ID, when several workspaces have that account name")
    out.add_argument("--format", choices=("csv", "json"), default="csv")
    out.add_argument("--output", help="write here instead of standard output")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "export":
        return export(args, settings)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
