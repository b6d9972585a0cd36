"""Operator commands: `python -m bot export` (the diary and scorecard for offline review) and
`python -m bot import accounts.csv` (bulk set-up from a CRM export, with a dry run).

export: --account NAME [--team T…] [--format csv|json] [--output FILE]; standard output by default.
  CSV columns: entry, occurred_at_utc, account, kind, side, actor, actor_user_id, commitment_id,
  checkin_id, private, corrects_entry, text (plain text; a UTF-8 byte order mark first). JSON: {"account", "scorecard": {"customer"|"vendor": {"kept", "total"}},
  "diary": [...same fields...]}.
import: FILE [--dry-run] [--team T…]; columns are listed in bot/commands/importer.py and the README.
A failure ends with one line on standard error (exit 2: fix the command or the settings; 1: try again).
rotate-key: re-encrypt every stored token with the first key of ACCOUNTABILITY_ENCRYPTION_KEY.

In OAuth mode (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET set) export and import act for
one installation and need --team T… (E… for an org-wide install): they read and write nothing else.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from bot import operator_errors
from bot.accounts.access import Actor
from bot.commands import importer
from bot.diary.export import CSV_COLUMNS, diary_csv, diary_rows
from bot.digest.scorecard import SCORE_WINDOW, kept_rates
from bot.errors import Refusal
from bot.installs.clients import Installations, UnknownInstallation, installation_named
from bot.installs.encryption import EncryptionKeyError, TokenCipher
from bot.installs.store import rotate_key
from bot.operator_errors import OperatorError, read_text, safe_url, write_text
from bot.settings import Settings
from bot.slack.gateway import SlackDeliveryError, SlackGateway, make_client
from models import Account, Side, Tenant, acting_for
from models.db import make_engine, session_factory, upgrade

DRY_RUN_HELP = (
    "check every row and report; write nothing. Reads the database (to find accounts that already "
    "exist) but changes nothing in it; needs no Slack when --team is given"
)


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
            if accounts:
                problem = (
                    f"several accounts called {args.account!r}; give --team with the workspace's team ID"
                )
            else:
                problem = (
                    f"no account called {args.account!r} in the database {safe_url(settings.database_url)}; "
                    "check the name, or set DATABASE_URL to the app's database"
                )
            raise OperatorError(problem, status=2)
        account = accounts[0]
        # The operator reads every account: an admin in the account's own workspace.
        operator = Actor(
            user_id="operator", team_id=account.team_id, enterprise_id=None, is_admin=True, is_external=False
        )
        if args.format == "csv":
            content, _count = diary_csv(session, account=account, actor=operator)
        else:
            rates = kept_rates(session, [account.id], since=datetime.now(UTC) - SCORE_WINDOW)
            rows = diary_rows(session, account=account, actor=operator)
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
        write_text(args.output, content)
    else:
        sys.stdout.write(content)
    return 0


def main(argv: list[str] | None = None) -> int:
    return operator_errors.run_operator_command("python -m bot", _main, argv)


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=__doc__,
        epilog=operator_errors.DEBUG_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    imp.add_argument("--dry-run", action="store_true", help=DRY_RUN_HELP)
    imp.add_argument(
        "--team", help="the workspace's team ID (default: the bot token's workspace; required in OAuth mode)"
    )
    sub.add_parser(
        "rotate-key",
        help="re-encrypt every stored token with the first key of ACCOUNTABILITY_ENCRYPTION_KEY",
        description="Put the new key first, run this, then drop the old key.",
    )
    args = parser.parse_args(argv)
    operator_errors.configure_logging()
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
    text = read_text(args.file, what="CSV file")
    engine = make_engine(settings.database_url)
    if not args.dry_run:
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
            return _import_plan(
                args, text, sessions, SlackGateway(client), tenant.team_id or "", settings.api_url
            )
    gateway = (
        SlackGateway(make_client(token=settings.bot_token, api_url=settings.api_url))
        if settings.bot_token
        else None
    )
    team_id = args.team
    if team_id is None:
        if gateway is None:
            raise OperatorError("give --team, or set SLACK_BOT_TOKEN so the workspace can be asked", status=2)
        team_id = str(gateway.client.auth_test()["team_id"])
    elif gateway is not None and not args.dry_run:
        gateway.own_user_id()  # a refused token or an unreachable Slack stops the import here, once
    return _import_plan(args, text, sessions, gateway, team_id, settings.api_url)


def _import_plan(
    args: argparse.Namespace,
    text: str,
    sessions: Any,
    gateway: SlackGateway | None,
    team_id: str,
    slack_url: str,
) -> int:
    with sessions() as session:
        existing = importer.existing_names(session, team_id) if _has_accounts_table(session) else set()
    plan = importer.read(text, today=datetime.now(UTC).date(), existing=existing)
    for problem in plan.problems:
        print(problem, file=sys.stderr)
    for note in plan.skipped:
        print(note, file=sys.stderr)
    if plan.problems:
        print(
            f"import: {importer.count(len(plan.problems), 'problem')}; nothing was written", file=sys.stderr
        )
        return 1
    accounts = importer.count(len(plan.accounts), "account")
    commitments = importer.count(len(plan.commitments), "commitment")
    if args.dry_run:
        print(f"dry run: would import {accounts} and {commitments}")
        return 0
    if gateway is None:
        raise OperatorError("SLACK_BOT_TOKEN is needed to learn people's time zones from Slack", status=2)
    try:
        print(
            importer.apply(plan, sessions=sessions, gateway=gateway, team_id=team_id, now=datetime.now(UTC))
        )
    except Refusal as exc:
        raise OperatorError(f"{exc}; nothing was written") from exc
    except SlackDeliveryError as exc:
        failure = operator_errors.describe(exc, slack_url=slack_url)
        raise OperatorError(f"{failure}; nothing was written", status=failure.status) from exc
    return 0


def _has_accounts_table(session: Session) -> bool:
    """A dry run changes nothing, not even the schema: a database never migrated has no accounts yet."""
    return inspect(session.connection()).has_table(Account.__tablename__)


if __name__ == "__main__":
    raise SystemExit(main())
