"""Operator commands: `python -m bot export` (the diary and scorecard for offline review) and
`python -m bot import accounts.csv` (bulk set-up from a CRM export, with a dry run).

export: --account NAME [--team T…] [--format csv|json] [--output FILE]; standard output by default.
  CSV columns: occurred_at_utc, account, kind, side, actor_user_id, commitment_id, checkin_id, private,
  corrects_entry_id, text. JSON: {"account", "scorecard": {"customer"|"vendor": {"kept", "total"}},
  "diary": [...same fields...]}.
import: FILE [--dry-run] [--team T…]; columns are listed in bot/commands/importer.py and the README.
rotate-key: re-encrypt every stored token with the first key of ACCOUNTABILITY_ENCRYPTION_KEY.

In OAuth mode (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET set) export and import act for
one installation and need --team T… (E… for an org-wide install): they read and write nothing else.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from bot.accounts.access import Actor
from bot.commands import importer
from bot.diary.export import CSV_COLUMNS, diary_csv
from bot.digest.scorecard import SCORE_WINDOW, kept_rates
from bot.errors import Refusal
from bot.installs.clients import Installations, UnknownInstallation, installation_named
from bot.installs.encryption import EncryptionKeyError, TokenCipher
from bot.installs.store import rotate_key
from bot.settings import Settings
from bot.slack.gateway import SlackDeliveryError, SlackGateway, make_client
from models import Account, Side, Tenant, acting_for
from models.db import make_engine, session_factory, upgrade


def _installation(args: argparse.Namespace, settings: Settings, sessions: Any) -> Tenant | None:
    """In OAuth mode, the installation `--team` names (every query is then scoped to it)."""
    if not settings.oauth:
        return None
    if not args.team:
        raise UnknownInstallation("several workspaces have installed the app: give --team T…")
    return installation_named(sessions, args.team)


def export(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        tenant = _installation(args, settings, session_factory(engine))
    except UnknownInstallation as exc:
        print(f"export: {exc}", file=sys.stderr)
        return 2
    with acting_for(tenant), session_factory(engine)() as session:
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
            # Renegotiated check-ins count for neither side: shown beside the rate, not in it.
            scorecard = {
                side.value: {
                    "kept": rates[(account.id, side)].kept,
                    "total": rates[(account.id, side)].total,
                    "renegotiated": rates[(account.id, side)].renegotiated,
                }
                if (account.id, side) in rates
                else {"kept": 0, "total": 0, "renegotiated": 0}
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
    imp = sub.add_parser(
        "import", help="create accounts and commitments from a CSV", description=importer.__doc__
    )
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    imp.add_argument(
        "--team", help="the workspace's team ID (default: the bot token's workspace; required in OAuth mode)"
    )
    sub.add_parser(
        "rotate-key",
        help="re-encrypt every stored token with the first key of ACCOUNTABILITY_ENCRYPTION_KEY",
        description="Put the new key first, run this, then drop the old key.",
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "export":
        return export(args, settings)
    if args.command == "rotate-key":
        return rotate(settings)
    return import_csv(args, settings)


def rotate(settings: Settings) -> int:
    try:
        cipher = TokenCipher(settings.encryption_key)
        engine = make_engine(settings.database_url)
        upgrade(engine)
        count = rotate_key(engine, cipher)
    except EncryptionKeyError as exc:
        print(f"rotate-key: {exc}; nothing was changed", file=sys.stderr)
        return 1
    print(f"rotate-key: {count} stored installations re-encrypted with the first key")
    return 0


def import_csv(args: argparse.Namespace, settings: Settings) -> int:
    with open(args.file, encoding="utf-8-sig") as handle:
        text = handle.read()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    try:
        tenant = _installation(args, settings, sessions)
        if tenant is not None:
            client = Installations.from_settings(settings, engine).client_for(tenant)
    except (UnknownInstallation, EncryptionKeyError) as exc:
        print(f"import: {exc}", file=sys.stderr)
        return 2
    if tenant is not None:
        with acting_for(tenant):
            return _import_plan(args, text, sessions, SlackGateway(client), tenant.team_id or "")
    gateway = (
        SlackGateway(make_client(token=settings.bot_token, api_url=settings.api_url))
        if settings.bot_token
        else None
    )
    team_id = args.team
    if team_id is None:
        if gateway is None:
            print(
                "import: give --team, or set SLACK_BOT_TOKEN so the workspace can be asked", file=sys.stderr
            )
            return 2
        team_id = str(gateway.client.auth_test()["team_id"])
    return _import_plan(args, text, sessions, gateway, team_id)


def _import_plan(
    args: argparse.Namespace, text: str, sessions: Any, gateway: SlackGateway | None, team_id: str
) -> int:
    with sessions() as session:
        plan = importer.read(
            text, today=datetime.now(UTC).date(), existing=importer.existing_names(session, team_id)
        )
    for problem in plan.problems:
        print(problem, file=sys.stderr)
    if plan.problems:
        print(f"import: {len(plan.problems)} problems; nothing was written", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"dry run: would import {len(plan.accounts)} accounts and {len(plan.commitments)} commitments")
        return 0
    if gateway is None:
        print("import: SLACK_BOT_TOKEN is needed to learn people's time zones from Slack", file=sys.stderr)
        return 2
    try:
        print(
            importer.apply(plan, sessions=sessions, gateway=gateway, team_id=team_id, now=datetime.now(UTC))
        )
    except (Refusal, SlackDeliveryError) as exc:
        print(f"import: {exc}; nothing was written", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
