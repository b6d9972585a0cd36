"""Posting each account's weekly review in its shared channel: once per account and week.

The clock claims a week's review by inserting its row (unique on account and week) before anything is
sent, so however many passes or clock processes run, one of them posts it. A post Slack refuses is
kept on the row and tried again on a later pass with back-off, for as long as the review's local day
lasts; a refusal only a person can fix (the bot not in the channel, the channel archived) is told to the
CSM once, in plain words with the fix. A claim left by a process that died mid-post is taken up again:
whether Slack got the message can't be known, and a review seen twice is better than a week without one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.schedule import zone
from bot.review.figures import review_figures
from bot.review.message import review_blocks, review_text
from bot.review.schedule import next_review, review_due, week_of
from bot.slack.errors import Failure, classify, plain
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Person, WeeklyReview
from models.db import insert_once, rows_changed

log = logging.getLogger(__name__)

CLAIMED, POSTED, FAILED = "claimed", "posted", "failed"
# A claim this old belongs to a pass that died mid-post.
ABANDONED_CLAIM = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=1)
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class DueReview:
    account_id: int
    team_id: str
    enterprise_id: str | None
    channel_id: str
    due_at: datetime
    week_start: date

    @property
    def key(self) -> tuple[int, date]:
        return self.account_id, self.week_start


def post_due_reviews(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """The clock's step: each account whose review time has come today gets its review. Returns posts made.

    Only the accounts whose stored bound has come are read (`Account.next_review_at`); once their
    review is dealt with, the bound moves to the next one."""
    _retry_abandoned(sessions, now=now)
    with sessions() as session:
        looked = _looked_at(session, now=now)
        if not looked:
            return 0
        due = [item for account, tz in looked if (item := _due(account, tz, now=now)) is not None]
        settled = _settled(session, due, now=now)
    posted = 0
    for item in due:
        if item.key in settled:
            continue
        review_id = _claim(sessions, item, now=now)
        if review_id is None:
            continue
        if _publish(sessions, gateway, review_id, now=now):
            posted += 1
    _move_bounds(sessions, now=now)
    return posted


def _looked_at(session: Session, *, now: datetime) -> list[tuple[Account, str | None]]:
    """The accounts whose bound has come (or that have none yet), each with its champion's zone.

    Not ordered by the query: asked to order by ID, SQLite walks every account in ID order instead of
    reading the few whose bound has come through the index. Joined on the champion rather than an IN
    list of every champion, which costs more to send and plan than the rows it returns."""
    rows = session.execute(
        select(Account, Person.tz)
        .outerjoin(
            Person,
            and_(Person.team_id == Account.team_id, Person.user_id == Account.champion_user_id),
        )
        .where(or_(Account.next_review_at.is_(None), Account.next_review_at <= now))
    ).all()
    return sorted(((account, tz) for account, tz in rows), key=lambda row: row[0].id)


def due_reviews(session: Session, *, now: datetime) -> list[DueReview]:
    """Accounts whose review fell earlier today on their champion's wall clock (UTC when the champion's
    zone is unknown), for accounts that existed before it fell. One read, of the accounts whose bound
    has come, whatever the number of accounts."""
    return [
        item
        for account, tz in _looked_at(session, now=now)
        if (item := _due(account, tz, now=now)) is not None
    ]


def _due(account: Account, champion_tz: str | None, *, now: datetime) -> DueReview | None:
    tz = zone(champion_tz)
    instant = review_due(account, tz=tz, now=now)
    if instant is None or account.created_at >= instant:
        return None
    return DueReview(
        account_id=account.id,
        team_id=account.team_id,
        enterprise_id=account.enterprise_id,
        channel_id=account.shared_channel_id,
        due_at=instant,
        week_start=week_of(instant, tz),
    )


def _move_bounds(sessions: sessionmaker[Session], *, now: datetime) -> None:
    """Each account looked at whose review is dealt with (posted, or not due today) gets the instant
    of its next review as its bound. One still due — not claimed yet, being posted, or waiting out its
    back-off — keeps its bound, so later passes go on looking at it for the rest of its local day.

    Read again here rather than reusing the pass's first read, so a setting changed while the review
    was being posted is counted (the change resets the bound to None; this recomputes from it)."""
    with sessions.begin() as session:
        looked = _looked_at(session, now=now)
        due = {account.id: _due(account, tz, now=now) for account, tz in looked}
        keys = [item.key for item in due.values() if item is not None]
        posted = (
            set(
                session.execute(
                    select(WeeklyReview.account_id, WeeklyReview.week_start).where(
                        tuple_(WeeklyReview.account_id, WeeklyReview.week_start).in_(keys),
                        WeeklyReview.state == POSTED,
                    )
                ).all()
            )
            if keys
            else set()
        )
        for account, champion_tz in looked:
            item = due[account.id]
            if item is not None and item.key not in posted:
                continue
            account.next_review_at = next_review(account, tz=zone(champion_tz), after=now)


def _retry_abandoned(sessions: sessionmaker[Session], *, now: datetime) -> None:
    """A claim whose clock died mid-post is handed back for the next try. Read first, write only when
    there is something to mark: an idle pass takes no write lock."""
    stale = WeeklyReview.state == CLAIMED, WeeklyReview.claimed_at < now - ABANDONED_CLAIM
    with sessions() as session:
        if session.scalar(select(WeeklyReview.id).where(*stale).limit(1)) is None:
            return
    with sessions.begin() as session:
        session.execute(
            update(WeeklyReview)
            .where(*stale)
            .values(state=FAILED, last_error=INTERRUPTED, next_attempt_at=now)
        )
    log.warning("a weekly review post was interrupted mid-flight; it is posted again")


def _settled(session: Session, due: Iterable[DueReview], *, now: datetime) -> set[tuple[int, date]]:
    """Reviews posted, being posted, or waiting out their back-off: one read, so an idle pass writes nothing."""
    keys = [item.key for item in due]
    if not keys:
        return set()
    rows = session.execute(
        select(WeeklyReview.account_id, WeeklyReview.week_start).where(
            tuple_(WeeklyReview.account_id, WeeklyReview.week_start).in_(keys),
            (WeeklyReview.state != FAILED)
            | (WeeklyReview.next_attempt_at.is_not(None) & (WeeklyReview.next_attempt_at > now)),
        )
    ).all()
    return {(account_id, week_start) for account_id, week_start in rows}


def _claim(sessions: sessionmaker[Session], item: DueReview, *, now: datetime) -> int | None:
    """The review row this caller may post, or None when another pass has it or it is posted."""
    with sessions.begin() as session:
        review_id: int | None = insert_once(
            session,
            WeeklyReview,
            {
                "team_id": item.team_id,
                "enterprise_id": item.enterprise_id,
                "account_id": item.account_id,
                "week_start": item.week_start,
                "state": CLAIMED,
                "claimed_at": now,
                "channel_id": item.channel_id,
                "due_at": item.due_at,
                "attempts": 0,
            },
            unique=["account_id", "week_start"],
        )
        if review_id is not None:
            return review_id
        retry = session.scalar(
            select(WeeklyReview.id).where(
                WeeklyReview.account_id == item.account_id,
                WeeklyReview.week_start == item.week_start,
                WeeklyReview.state == FAILED,
            )
        )
        if retry is None:
            return None
        ready = (WeeklyReview.next_attempt_at.is_(None)) | (WeeklyReview.next_attempt_at <= now)
        won = rows_changed(
            session,
            update(WeeklyReview)
            .where(WeeklyReview.id == retry, WeeklyReview.state == FAILED, ready)
            .values(state=CLAIMED, claimed_at=now),
        )
        return retry if won == 1 else None


def _publish(
    sessions: sessionmaker[Session], gateway: SlackGateway, review_id: int, *, now: datetime
) -> bool:
    with sessions() as session:
        review = session.get_one(WeeklyReview, review_id)
        channel = session.get_one(Account, review.account_id).shared_channel_id
        figures = review_figures(session, review)
    try:
        posted = gateway.post_message(channel, text=review_text(figures), blocks=review_blocks(figures))
    except SlackDeliveryError as exc:
        _refused(sessions, gateway, review_id, channel=channel, exc=exc, now=now)
        return False
    with sessions.begin() as session:
        session.execute(
            update(WeeklyReview)
            .where(WeeklyReview.id == review_id)
            .values(
                state=POSTED,
                channel_id=posted.channel,
                message_ts=posted.ts,
                posted_at=now,
                attempts=WeeklyReview.attempts + 1,
                next_attempt_at=None,
            )
        )
    return True


def retry_wait(attempts: int, *, retry_after: int | None = None) -> timedelta:
    """5, 10, 20, 40 minutes, then hourly; never sooner than Slack asked."""
    wait: timedelta = min(FIRST_RETRY * (2 ** min(attempts, 8)), LONGEST_RETRY)
    if retry_after:
        wait = max(wait, timedelta(seconds=retry_after))
    return wait


def _refused(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    review_id: int,
    *,
    channel: str,
    exc: SlackDeliveryError,
    now: datetime,
) -> None:
    """Kept on the row for a later pass; a refusal only a person can fix is told to the CSM once."""
    log.warning("weekly review %s to %s not posted: %s failed: %s", review_id, channel, exc.method, exc.error)
    with sessions.begin() as session:
        review = session.get_one(WeeklyReview, review_id)
        review.state = FAILED
        review.last_error = exc.error[:200]
        review.next_attempt_at = now + retry_wait(review.attempts, retry_after=exc.retry_after)
        review.attempts += 1
    if classify(exc.error) is Failure.PERMANENT:
        _tell_csm(sessions, gateway, review_id, channel=channel, error=exc.error[:200])


FIXES = {
    "not_in_channel": "Invite me to <#{channel}> (`/invite @accountability`) and I'll post it on my next round today.",
    "is_archived": "The channel is archived: give {name} a channel in use with "
    "`/accountability account edit {name} channel:#…`.",
    "channel_not_found": "Give {name} a channel I can see with `/accountability account edit {name} channel:#…`.",
}


def _tell_csm(
    sessions: sessionmaker[Session], gateway: SlackGateway, review_id: int, *, channel: str, error: str
) -> None:
    """Once per review and cause: the guarded UPDATE decides who tells, however many clocks race."""
    with sessions.begin() as session:
        won = rows_changed(
            session,
            update(WeeklyReview)
            .where(
                WeeklyReview.id == review_id,
                (WeeklyReview.problem_told.is_(None)) | (WeeklyReview.problem_told != error),
            )
            .values(problem_told=error),
        )
        if won != 1:
            return
        review = session.get_one(WeeklyReview, review_id)
        account = session.get_one(Account, review.account_id)
        csm, name = account.csm_user_id, account.name
    fix = FIXES.get(error, "").format(channel=channel, name=escape(name))
    text = f"I couldn't post {escape(name)}'s weekly review in <#{channel}>: {plain(error)}. {fix}".strip()
    try:
        gateway.send_dm(csm, text=text, blocks=[])
    except SlackDeliveryError as exc:
        log.warning("could not tell %s the weekly review failed: %s %s", csm, exc.method, exc.error)
        # Not told after all: the next refused try tells them.
        with sessions.begin() as session:
            session.execute(
                update(WeeklyReview)
                .where(WeeklyReview.id == review_id, WeeklyReview.problem_told == error)
                .values(problem_told=None)
            )
