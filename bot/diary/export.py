"""The diary as CSV (and rows for the JSON export), for offline review in a spreadsheet.

Columns are documented in the README. The text is plain: mentions name the person ("@Jo"), and
Slack's markup and entities are gone. The CSV starts with a UTF-8 byte order mark, which spreadsheet
programs need to read accents and names in other scripts as UTF-8 rather than their local code page.
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts.access import Actor, may_view, sees_private, view_refusal
from bot.errors import Refusal
from bot.slack.plain import plain_text
from models import Account, DiaryEntry, Person

BOM = "\ufeff"
CSV_COLUMNS = (
    "entry",
    "occurred_at_utc",
    "account",
    "kind",
    "side",
    "actor",
    "actor_user_id",
    "commitment_id",
    "checkin_id",
    "private",
    "corrects_entry",
    "text",
)


def diary_rows(session: Session, *, account: Account, actor: Actor) -> list[dict[str, str]]:
    """The entries `actor` may read, oldest first, one dict per entry keyed by `CSV_COLUMNS`."""
    if not may_view(session, actor, account):
        raise Refusal(view_refusal(account))
    query = select(DiaryEntry).where(DiaryEntry.account_id == account.id)
    if not sees_private(actor):
        query = query.where(DiaryEntry.private.is_(False))
    entries = list(session.scalars(query.order_by(DiaryEntry.occurred_at, DiaryEntry.id)))
    names = _names(session, account.team_id)
    return [
        {
            "entry": str(entry.id),
            "occurred_at_utc": entry.occurred_at.isoformat(),
            "account": account.name,
            "kind": entry.kind,
            "side": entry.side.value if entry.side else "",
            "actor": (names.get(entry.actor_user_id) or entry.actor_user_id) if entry.actor_user_id else "",
            "actor_user_id": entry.actor_user_id or "",
            "commitment_id": str(entry.commitment_id or ""),
            "checkin_id": str(entry.checkin_id or ""),
            "private": "yes" if entry.private else "no",
            "corrects_entry": str(entry.corrects_id or ""),
            "text": plain_text(entry.text, names=names),
        }
        for entry in entries
    ]


def diary_csv(session: Session, *, account: Account, actor: Actor) -> tuple[str, int]:
    """The CSV text (byte order mark first) and how many entries it holds."""
    rows = diary_rows(session, account=account, actor=actor)
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue(), len(rows)


def _names(session: Session, team_id: str) -> dict[str, str]:
    """The display names of the people the app knows in the account's workspace, by user ID."""
    people = session.execute(
        select(Person.user_id, Person.display_name).where(Person.team_id == team_id)
    ).all()
    return {user_id: name for user_id, name in people if name}
