"""The diary a page at a time, for `/accountability diary` (ephemeral, with Next / Previous)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Actor, may_view, sees_private, view_refusal
from bot.accounts.installation import Installation
from bot.accounts.people import identify
from bot.checkins.due_dates import day_words
from bot.checkins.message import SECTION_LIMIT, truncate
from bot.errors import Refusal
from bot.slack.gateway import SlackGateway
from bot.slack.mrkdwn import defuse, escape
from models import Account, DiaryEntry

PAGE_SIZE = 10
PAGE_ACTION = "diary_page"


@dataclass(frozen=True)
class Page:
    text: str
    blocks: list[dict[str, Any]]


def entry_line(entry: DiaryEntry) -> str:
    who = f"<@{entry.actor_user_id}>" if entry.actor_user_id else "the bot"
    side = f" ({entry.side.value})" if entry.side else ""
    lock = "🔒 " if entry.private else ""
    corrects = f" _(corrects #{entry.corrects_id})_" if entry.corrects_id else ""
    return f"{lock}`#{entry.id} {entry.occurred_at:%a %d %b %H:%M} UTC` {who}{side} — {defuse(entry.text)}{corrects}"


def diary_page(session: Session, *, account: Account, actor: Actor, since: date | None, page: int) -> Page:
    if not may_view(session, actor, account):
        raise Refusal(view_refusal(account))
    query = select(DiaryEntry).where(DiaryEntry.account_id == account.id)
    if not sees_private(actor):
        query = query.where(DiaryEntry.private.is_(False))
    if since is not None:
        query = query.where(DiaryEntry.occurred_at >= datetime.combine(since, time.min, tzinfo=UTC))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    entries = list(
        session.scalars(
            query.order_by(DiaryEntry.occurred_at.desc(), DiaryEntry.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    title = f"Accountability diary — {escape(account.name)}"
    scope = f" since {day_words(since)}" if since else ""
    lines = [entry_line(e) for e in entries] or ["_Nothing recorded yet._"]
    blocks: list[Block] = [
        HeaderBlock(text=truncate(title, 150)),
        SectionBlock(text=MarkdownTextObject(text=truncate("\n".join(lines), SECTION_LIMIT))),
        ContextBlock(
            elements=[
                MarkdownTextObject(text=f"Page {page} of {pages} · {total} entries{scope}, newest first")
            ]
        ),
    ]
    turns = []
    state = {"account_id": account.id, "since": since.isoformat() if since else None}
    if page > 1:
        turns.append(
            ButtonElement(
                text="Previous",
                action_id=f"{PAGE_ACTION}_prev",
                value=json.dumps({**state, "page": page - 1}),
            )
        )
    if page < pages:
        turns.append(
            ButtonElement(
                text="Next", action_id=f"{PAGE_ACTION}_next", value=json.dumps({**state, "page": page + 1})
            )
        )
    if turns:
        blocks.append(ActionsBlock(block_id="diary_pages", elements=turns))
    text = truncate(f"{title}{scope} (page {page} of {pages})\n" + "\n".join(lines), 3900)
    return Page(text=text, blocks=[b.to_dict() for b in blocks])


def page_request(value: str) -> tuple[int, date | None, int]:
    data = json.loads(value)
    since = date.fromisoformat(data["since"]) if data.get("since") else None
    return int(data["account_id"]), since, int(data["page"])


def diary_turn(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    value: str,
    installation: Installation,
    user_id: str,
    admins: frozenset[str],
    now: datetime,
) -> Page:
    """Next / Previous on a diary page: the same visibility check as the command, every time."""
    account_id, since, page_number = page_request(value)
    actor = identify(sessions, gateway, installation=installation, user_id=user_id, admins=admins, now=now)
    with sessions() as session:
        account = session.get(Account, account_id)
        if account is None or account.team_id != installation.team_id:
            raise Refusal("That account no longer exists.")
        return diary_page(session, account=account, actor=actor, since=since, page=page_number)
