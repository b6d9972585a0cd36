"""Copying diary entries into the account's shared channel, one thread a week, so both sides read the
same record. Private vendor notes stay out. Each copy is claimed in the database before it is posted,
so several clock passes never post an entry twice. An entry that someone wrote in the thread
themselves is marked shared as it is recorded (`already_in_thread`): it is never posted back.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.diary.pages import entry_line
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from models import Account, DiaryEntry, DiaryShare, DiaryThread, DiaryToShare
from models.db import insert_once

log = logging.getLogger(__name__)

BATCH = 50
STALE_CLAIM = timedelta(minutes=10)


def week_start(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def thread_title(start: date) -> str:
    return f"Accountability diary — week of {start.day} {start:%b}"


def already_in_thread(
    session: Session, *, entry: DiaryEntry, thread: DiaryThread, message_ts: str, now: datetime
) -> None:
    """The entry is a person's own reply in the week's thread: the thread shows it already."""
    inserted = insert_once(
        session,
        DiaryShare,
        {
            "entry_id": entry.id,
            "team_id": thread.team_id,
            "thread_id": thread.id,
            "message_ts": message_ts,
            "claimed_at": now,
        },
        unique=["entry_id"],
    )
    if inserted is not None:  # else a clock's copy is in flight: it clears the entry once posted
        session.execute(delete(DiaryToShare).where(DiaryToShare.entry_id == entry.id))


def share_pending(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime, batch: int = BATCH
) -> int:
    _release_abandoned(sessions, now=now)
    with sessions() as session:
        pending = list(
            session.execute(
                select(DiaryToShare.entry_id, DiaryToShare.account_id, DiaryToShare.occurred_at)
                .outerjoin(DiaryShare, DiaryShare.entry_id == DiaryToShare.entry_id)
                .where(DiaryShare.entry_id.is_(None))
                .order_by(DiaryToShare.occurred_at, DiaryToShare.entry_id)
                .limit(batch)
            ).all()
        )
    shared = 0
    blocked_accounts: set[int] = set()
    for entry_id, account_id, occurred_at in pending:
        if account_id in blocked_accounts:
            continue  # keep each account's thread in order: stop at its first failure
        thread = _thread(sessions, gateway, account_id=account_id, start=week_start(occurred_at), now=now)
        if thread is None or not _share(sessions, gateway, entry_id=entry_id, thread=thread, now=now):
            blocked_accounts.add(account_id)
            continue
        shared += 1
    return shared


def _release_abandoned(sessions: sessionmaker[Session], *, now: datetime) -> None:
    """A copy claimed by a clock that died before Slack answered is claimed again once its lease has run
    out: the entry might then appear twice in the thread, which beats it never appearing. Read first,
    so an idle pass takes no write lock."""
    stale = DiaryShare.message_ts.is_(None), DiaryShare.claimed_at < now - STALE_CLAIM
    with sessions() as session:
        if session.scalar(select(DiaryShare.entry_id).where(*stale).limit(1)) is None:
            return
    with sessions.begin() as session:
        session.execute(delete(DiaryShare).where(*stale))
    log.warning("diary copies claimed by a clock that stopped mid-post are shared again")


def _thread(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, account_id: int, start: date, now: datetime
) -> DiaryThread | None:
    with sessions.begin() as session:
        session.execute(
            delete(DiaryThread).where(
                DiaryThread.account_id == account_id,
                DiaryThread.week_start == start,
                DiaryThread.message_ts.is_(None),
                DiaryThread.claimed_at < now - STALE_CLAIM,
            )
        )
        account = session.get_one(Account, account_id)
        claimed = insert_once(
            session,
            DiaryThread,
            {
                "team_id": account.team_id,
                "enterprise_id": account.enterprise_id,
                "account_id": account_id,
                "week_start": start,
                "channel_id": account.shared_channel_id,
                "claimed_at": now,
            },
            unique=["account_id", "week_start"],
        )
        channel = account.shared_channel_id
    if claimed is None:
        with sessions() as session:
            thread = session.scalar(
                select(DiaryThread).where(
                    DiaryThread.account_id == account_id, DiaryThread.week_start == start
                )
            )
        return thread if thread is not None and thread.message_ts else None
    try:
        posted = gateway.post_message(channel, text=thread_title(start))
    except SlackDeliveryError as exc:
        log.warning(
            "diary thread for account %s not started: %s failed: %s", account_id, exc.method, exc.error
        )
        with sessions.begin() as session:
            session.execute(delete(DiaryThread).where(DiaryThread.id == claimed))
        return None
    with sessions.begin() as session:
        session.execute(update(DiaryThread).where(DiaryThread.id == claimed).values(message_ts=posted.ts))
        return session.get_one(DiaryThread, claimed)


def _share(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    entry_id: int,
    thread: DiaryThread,
    now: datetime,
) -> bool:
    with sessions.begin() as session:
        claimed = insert_once(
            session,
            DiaryShare,
            {"entry_id": entry_id, "team_id": thread.team_id, "thread_id": thread.id, "claimed_at": now},
            unique=["entry_id"],
        )
        entry = session.get_one(DiaryEntry, entry_id)
        line = entry_line(entry)
    if claimed is None:
        return True  # another pass has it
    assert thread.message_ts is not None
    try:
        posted = gateway.post_message(thread.channel_id, text=line, thread_ts=thread.message_ts)
    except SlackDeliveryError as exc:
        log.warning("diary entry %s not shared: %s failed: %s", entry_id, exc.method, exc.error)
        with sessions.begin() as session:
            session.execute(delete(DiaryShare).where(DiaryShare.entry_id == entry_id))
        return False
    with sessions.begin() as session:
        session.execute(
            update(DiaryShare).where(DiaryShare.entry_id == entry_id).values(message_ts=posted.ts)
        )
        session.execute(delete(DiaryToShare).where(DiaryToShare.entry_id == entry_id))
    return True
