"""The diary as CSV, for offline review. Columns are documented in the README."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.accounts.access import Actor, may_view, sees_private, view_refusal
from bot.errors import Refusal
from bot.slack.mrkdwn import unescape
from models import Account, DiaryEntry

CSV_COLUMNS = (
    "occurred_at_utc",
    "account",
    "kind",
    "side",
    "actor_user_id",
    "commitment_id",
    "checkin_id",
    "private",
    "corrects_entry_id",
    "text",
)


def diary_csv(session: Session, *, account: Account, actor: Actor) -> tuple[str, int]:
    if not may_view(session, actor, account):
        raise Refusal(view_refusal(account))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    count = 0
    query = select(DiaryEntry).where(DiaryEntry.account_id == account.id)
    if not sees_private(actor):
        query = query.where(DiaryEntry.private.is_(False))
    for entry in session.scalars(query.order_by(DiaryEntry.occurred_at, DiaryEntry.id)):
        writer.writerow(
            [
                entry.occurred_at.isoformat(),
                account.name,
                entry.kind,
                entry.side.value if entry.side else "",
                entry.actor_user_id or "",
                entry.commitment_id or "",
                entry.checkin_id or "",
                "yes" if entry.private else "no",
                entry.corrects_id or "",
                unescape(entry.text),
            ]
        )
        count += 1
    return buffer.getvalue(), count
