"""Reminders for unanswered check-ins, and closing them as no response.

Courtesy is the rule: one reminder on the next working morning (up to the account's count, at most 3),
one reminder message per person an hour whatever the number of commitments, and after the last one the
check-in closes at the end of that working day. Reminders that fell while the bot was down go out once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins.answers import load, message_views, streak, view_of, with_commitment
from bot.checkins.message import (
    MAX_CHECKINS_PER_MESSAGE,
    CheckInView,
    message_blocks,
    message_text,
    thread_reminder_text,
)
from bot.checkins.schedule import zone
from bot.checkins.working_days import end_of_working_day, working_morning_after
from bot.dependencies.blocking import charged_side
from bot.diary import entries as diary
from bot.people.away import holiday_country_of
from bot.slack.errors import Failure, classify, why_not_delivered
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import CheckIn, CheckInState, Commitment, Person
from models.db import locked_or_skipped, rows_changed

log = logging.getLogger(__name__)

MAX_REMINDERS = 3
REMINDER_SPACING = timedelta(hours=1)
# A reminder Slack did not take for a passing reason is tried again this much later.
RETRY_AFTER = timedelta(minutes=5)


def reminder_count(checkin: CheckIn) -> int:
    return max(0, min(MAX_REMINDERS, checkin.commitment.account.reminder_count))


def after_sending(checkin: CheckIn, *, sent_at: datetime) -> dict[str, datetime | None]:
    """When a just-sent check-in is first reminded of, or closes if the account wants no reminders."""
    commitment = checkin.commitment
    tz = zone(commitment.owner.tz)
    holidays = holiday_country_of(commitment.owner, commitment.account)
    if reminder_count(checkin) == 0:
        return {"remind_at": None, "closes_at": end_of_working_day(sent_at, tz=tz, holiday_country=holidays)}
    return {
        "remind_at": working_morning_after(sent_at, 1, tz=tz, holiday_country=holidays),
        "closes_at": None,
    }


def _open_rows(session: Session, *conditions: object) -> list[CheckIn]:
    return list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.state == CheckInState.SENT, *conditions)  # type: ignore[arg-type]
            .options(*with_commitment())
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        ).unique()
    )


def send_reminders(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    with sessions() as session:
        due = _open_rows(session, CheckIn.remind_at <= now)
        by_owner: dict[int, list[CheckIn]] = defaultdict(list)
        for checkin in due:
            by_owner[checkin.commitment.owner_id].append(checkin)
    sent = 0
    for owner_id, checkins in by_owner.items():
        if _remind_owner(sessions, gateway, owner_id=owner_id, checkins=checkins, now=now):
            sent += 1
    return sent


def _remind_owner(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    owner_id: int,
    checkins: list[CheckIn],
    now: datetime,
) -> bool:
    with sessions.begin() as session:
        # Another clock claiming this person's reminders right now has them: pass over, don't queue.
        if not locked_or_skipped(session, Person, owner_id):
            return False
        # The hourly cap is claimed first, on the person's row, so two clocks cannot both remind them.
        capped = rows_changed(
            session,
            update(Person)
            .where(Person.id == owner_id)
            .where((Person.last_reminded_at.is_(None)) | (Person.last_reminded_at <= now - REMINDER_SPACING))
            .values(last_reminded_at=now),
        )
        if capped != 1:
            return False
        claimed: list[tuple[int, str | None, str | None]] = []
        for checkin in checkins:
            tz = zone(checkin.commitment.owner.tz)
            holidays = holiday_country_of(checkin.commitment.owner, checkin.commitment.account)
            last = checkin.reminders_sent + 1 >= reminder_count(checkin)
            moved = rows_changed(
                session,
                update(CheckIn)
                .where(
                    CheckIn.id == checkin.id,
                    CheckIn.state == CheckInState.SENT,
                    CheckIn.remind_at == checkin.remind_at,
                )
                .values(
                    reminders_sent=checkin.reminders_sent + 1,
                    remind_at=None
                    if last
                    else working_morning_after(now, 1, tz=tz, holiday_country=holidays),
                    closes_at=end_of_working_day(now, tz=tz, holiday_country=holidays) if last else None,
                ),
            )
            if moved == 1:
                claimed.append((checkin.id, checkin.channel_id, checkin.message_ts))
        if not claimed:
            return False
        rows = [load(session, checkin_id) for checkin_id, _, _ in claimed]
        views = [
            view_of(row, streak_text=streak(session, row.commitment_id)) for row in rows if row is not None
        ]
    by_id = {view.checkin_id: view for view in views}
    in_dm = [c for c in claimed if c[0] in by_id and not by_id[c[0]].in_channel]
    in_channel = [c for c in claimed if c[0] in by_id and by_id[c[0]].in_channel]
    # More than a message holds goes out as several messages, all within this one hourly slot.
    for start in range(0, len(in_dm), MAX_CHECKINS_PER_MESSAGE):
        batch = in_dm[start : start + MAX_CHECKINS_PER_MESSAGE]
        _send_reminder(sessions, gateway, claimed=batch, views=[by_id[c[0]] for c in batch], now=now)
    _remind_in_threads(sessions, gateway, claimed=in_channel, views=by_id, now=now)
    return True


def _remind_in_threads(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    claimed: list[tuple[int, str | None, str | None]],
    views: dict[int, CheckInView],
    now: datetime,
) -> None:
    """A check-in posted in the shared channel is reminded of in that post's thread, mentioning its
    owner; the post keeps its buttons, and is redrawn when the check-in is answered or closes."""
    posts: dict[tuple[str, str], list[int]] = defaultdict(list)
    for checkin_id, channel, ts in claimed:
        if channel and ts:
            posts[(channel, ts)].append(checkin_id)
    for (channel, ts), ids in posts.items():
        try:
            gateway.post_message(channel, text=thread_reminder_text([views[i] for i in ids]), thread_ts=ts)
        except SlackDeliveryError as exc:
            log.warning("reminder in %s (thread %s) failed: %s %s", channel, ts, exc.method, exc.error)
            _not_reminded(sessions, ids, error=exc.error, now=now)
            continue
        _record(sessions, ids, kind="reminder_sent", now=now, text="Reminder sent for this check-in.")


def _not_reminded(sessions: sessionmaker[Session], ids: list[int], *, error: str, now: datetime) -> None:
    if classify(error) is Failure.TRANSIENT:
        # Owed, not spent: a check-in must not close as a miss without the reminder it was due.
        _release(sessions, ids, now=now)
        return
    _record(
        sessions,
        ids,
        kind="reminder_failed",
        now=now,
        text=f"A reminder could not be delivered: {why_not_delivered(error)}. The check-in stays open.",
    )


def _send_reminder(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    claimed: list[tuple[int, str | None, str | None]],
    views: list[CheckInView],
    now: datetime,
) -> None:
    ids = [checkin_id for checkin_id, _, _ in claimed]
    try:
        posted = gateway.send_dm(
            views[0].owner_user_id,
            text=message_text(views, reminder=True),
            blocks=message_blocks(views, reminder=True),
        )
    except SlackDeliveryError as exc:
        log.warning("reminder to %s failed: %s %s", views[0].owner_user_id, exc.method, exc.error)
        _not_reminded(sessions, ids, error=exc.error, now=now)
        return
    with sessions.begin() as session:
        session.execute(
            update(CheckIn).where(CheckIn.id.in_(ids)).values(channel_id=posted.channel, message_ts=posted.ts)
        )
    _record(sessions, ids, kind="reminder_sent", now=now, text="Reminder sent for this check-in.")
    _redraw_old_messages(
        sessions, gateway, claimed=claimed, moved_views={v.checkin_id: v for v in views}, now=now
    )


def _redraw_old_messages(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    claimed: list[tuple[int, str | None, str | None]],
    moved_views: dict[int, CheckInView],
    now: datetime,
) -> None:
    """The earlier message loses its buttons for what the reminder now carries, so nothing is answered
    twice; an answer in it still open to change keeps its Change answer control."""
    old: dict[tuple[str, str], list[int]] = defaultdict(list)
    for checkin_id, channel, ts in claimed:
        if channel and ts:
            old[(channel, ts)].append(checkin_id)
    for (channel, ts), moved_ids in old.items():
        with sessions() as session:
            remaining = message_views(session, channel_id=channel, message_ts=ts, now=now)
        moved = [_as_moved(moved_views[i]) for i in moved_ids if i in moved_views]
        views = sorted(remaining + moved, key=lambda v: (v.scheduled_local, v.checkin_id))
        # The reminder itself went out; a stale old message is cosmetic.
        _redraw_message(gateway, channel=channel, ts=ts, views=views)


def _as_moved(view: CheckInView) -> CheckInView:
    return replace(view, moved=True)


def _release(sessions: sessionmaker[Session], checkin_ids: list[int], *, now: datetime) -> None:
    """Undo a reminder's claim after a passing failure, so a later pass sends it: the count goes
    back, nothing closes, and the owner's hourly slot is freed."""
    with sessions.begin() as session:
        owners = set(
            session.scalars(
                select(Commitment.owner_id).join(CheckIn.commitment).where(CheckIn.id.in_(checkin_ids))
            )
        )
        session.execute(
            update(CheckIn)
            .where(
                CheckIn.id.in_(checkin_ids), CheckIn.state == CheckInState.SENT, CheckIn.reminders_sent > 0
            )
            .values(reminders_sent=CheckIn.reminders_sent - 1, remind_at=now + RETRY_AFTER, closes_at=None)
        )
        session.execute(update(Person).where(Person.id.in_(owners)).values(last_reminded_at=None))


def _record(
    sessions: sessionmaker[Session], checkin_ids: list[int], *, kind: str, now: datetime, text: str
) -> None:
    with sessions.begin() as session:
        for checkin_id in checkin_ids:
            checkin = load(session, checkin_id)
            if checkin is None:
                continue
            commitment = checkin.commitment
            diary.record_checkin(
                session,
                checkin,
                kind=kind,
                text=f"{text} (“{escape(commitment.action)}”, <@{commitment.owner.user_id}>)",
                at=now,
                dedupe_key=f"checkin:{checkin_id}:{kind}:{checkin.reminders_sent}",
            )


def close_unanswered(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """After the last reminder's working day ends, the check-in is closed as no response — a miss."""
    with sessions() as session:
        due = [c.id for c in _open_rows(session, CheckIn.closes_at <= now)]
    closed: list[int] = []
    for checkin_id in due:
        with sessions.begin() as session:
            if not locked_or_skipped(session, CheckIn, checkin_id):
                continue  # another clock is closing it
            moved = rows_changed(
                session,
                update(CheckIn)
                .where(CheckIn.id == checkin_id, CheckIn.state == CheckInState.SENT, CheckIn.closes_at <= now)
                .values(state=CheckInState.NO_RESPONSE, remind_at=None),
            )
            if moved != 1:
                continue
            checkin = load(session, checkin_id)
            assert checkin is not None
            commitment = checkin.commitment
            # A miss: against the side that held it up when what it waits on is overdue.
            checkin.charged_side = charged_side(session, checkin, at=now)
            diary.record_checkin(
                session,
                checkin,
                kind="no_response",
                text=f"No response to the check-in of {checkin.scheduled_at.astimezone(zone(commitment.owner.tz)):%a %d %b} "
                f"for “{escape(commitment.action)}”."
                + (
                    f" Counted against the {checkin.charged_side.value} side (held up by #{commitment.waits_on_id})."
                    if checkin.charged_side is not None
                    else ""
                ),
                at=now,
                dedupe_key=f"checkin:{checkin_id}:no_response",
            )
            closed.append(checkin_id)
    _redraw(sessions, gateway, closed, now=now)
    return len(closed)


def _redraw(
    sessions: sessionmaker[Session], gateway: SlackGateway, checkin_ids: list[int], *, now: datetime
) -> None:
    with sessions() as session:
        messages = {
            (row.channel_id, row.message_ts)
            for row in session.scalars(select(CheckIn).where(CheckIn.id.in_(checkin_ids)))
            if row.channel_id and row.message_ts
        }
        drawn = {
            key: message_views(session, channel_id=key[0], message_ts=key[1], now=now)
            for key in messages
            if key[0] and key[1]
        }
    for (channel, ts), views in drawn.items():
        if channel is None or ts is None or not views:
            continue
        # The closing is recorded; the message will look stale until the next redraw.
        _redraw_message(gateway, channel=channel, ts=ts, views=views)


def _redraw_message(gateway: SlackGateway, *, channel: str, ts: str, views: list[CheckInView]) -> None:
    """A redraw that fails leaves a stale message, never a lost record: logged, and the pass goes on."""
    try:
        gateway.update_message(channel=channel, ts=ts, text=message_text(views), blocks=message_blocks(views))
    except SlackDeliveryError as exc:
        log.warning("could not redraw check-in message %s in %s: %s %s", ts, channel, exc.method, exc.error)
