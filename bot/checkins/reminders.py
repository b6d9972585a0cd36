"""Reminders for unanswered check-ins, and closing them as no response.

Courtesy is the rule: one reminder on the next working morning (up to the account's count, at most 3),
one reminder message per person an hour whatever the number of commitments, and after the last one the
check-in closes at the end of that working day. Reminders that fell while the bot was down go out once.

A reminder is claimed in the database before it is sent, with the clock's name and a lease, and the
claim is cleared when Slack's answer is recorded. A claim still held after its lease belongs to a clock
that died: the next pass takes it over and reads where the reminder would be — the owner's DMs, or the
thread of the check-in's post in the shared channel — each reminder carrying its tag in the message
metadata: there, it was delivered and is recorded; not there, it is owed and goes out. A 5xx after
Slack posted one is settled the same way.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

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
from bot.clock_run import ClockRun
from bot.dependencies.blocking import charged_side
from bot.diary import entries as diary
from bot.people.away import holiday_country_of
from bot.slack.errors import Failure, classify, why_not_delivered
from bot.slack.gateway import PostedMessage, SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import CheckIn, CheckInState, Commitment, Person
from models.db import locked_or_skipped, rows_changed

log = logging.getLogger(__name__)

MAX_REMINDERS = 3
REMINDER_SPACING = timedelta(hours=1)
# A reminder Slack did not take for a passing reason is tried again this much later.
RETRY_AFTER = timedelta(minutes=5)
# The metadata a reminder DM carries: one tag per check-in and reminder number ("17:2").
REMINDER_EVENT = "accountability_reminder"
REMINDER_TAGS = "reminders"

# (check-in ID, the channel and ts of the message it was last in) for each check-in a reminder carries.
Claimed = list[tuple[int, str | None, str | None]]


def reminder_tag(checkin_id: int, number: int) -> str:
    return f"{checkin_id}:{number}"


def reminder_metadata(tags: list[str]) -> dict[str, Any]:
    return {"event_type": REMINDER_EVENT, "event_payload": {REMINDER_TAGS: tags}}


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


def send_reminders(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime, clock: ClockRun | None = None
) -> int:
    clock = clock or ClockRun.this_process(as_of=now)
    _take_over_abandoned(sessions, gateway, now=now, clock=clock)
    with sessions() as session:
        due = _open_rows(session, CheckIn.remind_at <= now)
        by_owner: dict[int, list[CheckIn]] = defaultdict(list)
        for checkin in due:
            by_owner[checkin.commitment.owner_id].append(checkin)
    sent = 0
    for owner_id, checkins in by_owner.items():
        if _remind_owner(sessions, gateway, owner_id=owner_id, checkins=checkins, now=now, clock=clock):
            sent += 1
    return sent


def _remind_owner(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    owner_id: int,
    checkins: list[CheckIn],
    now: datetime,
    clock: ClockRun,
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
        claimed: Claimed = []
        numbers: dict[int, int] = {}
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
                    CheckIn.reminder_lease_until.is_(None),
                )
                .values(
                    reminders_sent=checkin.reminders_sent + 1,
                    remind_at=None
                    if last
                    else working_morning_after(now, 1, tz=tz, holiday_country=holidays),
                    closes_at=end_of_working_day(now, tz=tz, holiday_country=holidays) if last else None,
                    reminder_claimed_by=clock.clock_id,
                    reminder_lease_until=clock.lease_until(),
                ),
            )
            if moved == 1:
                claimed.append((checkin.id, checkin.channel_id, checkin.message_ts))
                numbers[checkin.id] = checkin.reminders_sent + 1
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
        _send_reminder(
            sessions,
            gateway,
            claimed=batch,
            views=[by_id[c[0]] for c in batch],
            tags=[reminder_tag(c[0], numbers[c[0]]) for c in batch],
            now=now,
        )
    _remind_in_threads(sessions, gateway, claimed=in_channel, views=by_id, numbers=numbers, now=now)
    return True


def _remind_in_threads(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    claimed: Claimed,
    views: dict[int, CheckInView],
    numbers: dict[int, int],
    now: datetime,
) -> None:
    """A check-in posted in the shared channel is reminded of in that post's thread, mentioning its
    owner; the post keeps its buttons, and is redrawn when the check-in is answered or closes. The
    reply carries its tags as a DM reminder does, so the thread settles a lost answer."""
    posts: dict[tuple[str, str], list[int]] = defaultdict(list)
    for checkin_id, channel, ts in claimed:
        if channel and ts:
            posts[(channel, ts)].append(checkin_id)
    for (channel, ts), ids in posts.items():
        tags = [reminder_tag(i, numbers[i]) for i in ids]
        try:
            gateway.post_message(
                channel,
                text=thread_reminder_text([views[i] for i in ids]),
                thread_ts=ts,
                metadata=reminder_metadata(tags),
            )
        except SlackDeliveryError as exc:
            log.warning("reminder in %s (thread %s) failed: %s %s", channel, ts, exc.method, exc.error)
            transient = classify(exc.error) is Failure.TRANSIENT
            if not (transient and _in_thread_anyway(gateway, channel, ts, tags)):
                _not_reminded(sessions, ids, error=exc.error, now=now)
                continue
        _settle_sent(sessions, ids, moved_to=None, now=now)


def _in_thread_anyway(gateway: SlackGateway, channel: str, ts: str, tags: list[str]) -> bool:
    """`_delivered_anyway` for a reminder in a shared channel's thread."""
    try:
        found = gateway.tagged_replies(channel, ts, event_type=REMINDER_EVENT, key=REMINDER_TAGS)
    except SlackDeliveryError as exc:
        log.warning(
            "could not read thread %s in %s to settle a reminder: %s %s", ts, channel, exc.method, exc.error
        )
        return False
    return any(tag in found for tag in tags)


def _not_reminded(sessions: sessionmaker[Session], ids: list[int], *, error: str, now: datetime) -> None:
    if classify(error) is Failure.TRANSIENT:
        # Owed, not spent: a check-in must not close as a miss without the reminder it was due.
        _release(sessions, ids, retry_at=now + RETRY_AFTER)
        return
    with sessions.begin() as session:
        _clear_claims(session, ids)
        _record(
            session,
            ids,
            kind="reminder_failed",
            now=now,
            text=f"A reminder could not be delivered: {why_not_delivered(error)}. The check-in stays open.",
        )


def _send_reminder(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    claimed: Claimed,
    views: list[CheckInView],
    tags: list[str],
    now: datetime,
) -> None:
    ids = [checkin_id for checkin_id, _, _ in claimed]
    owner = views[0].owner_user_id
    try:
        posted = gateway.send_dm(
            owner,
            text=message_text(views, reminder=True),
            blocks=message_blocks(views, reminder=True),
            metadata=reminder_metadata(tags),
        )
    except SlackDeliveryError as exc:
        log.warning("reminder to %s failed: %s %s", owner, exc.method, exc.error)
        found = _delivered_anyway(gateway, owner, tags) if classify(exc.error) is Failure.TRANSIENT else None
        if found is None:
            _not_reminded(sessions, ids, error=exc.error, now=now)
            return
        posted = found
    _settle_sent(sessions, ids, moved_to=posted, now=now)
    _redraw_old_messages(
        sessions, gateway, claimed=claimed, moved_views={v.checkin_id: v for v in views}, now=now
    )


def _delivered_anyway(gateway: SlackGateway, owner: str, tags: list[str]) -> PostedMessage | None:
    """A 5xx or a dropped connection may come after Slack posted: the owner's DMs say, so a reminder
    that did arrive is not sent twice. Unreadable, it counts as not delivered (owed, sent again)."""
    try:
        found = gateway.tagged_dms(owner, event_type=REMINDER_EVENT, key=REMINDER_TAGS)
    except SlackDeliveryError as exc:
        log.warning(
            "could not read the DMs with %s to settle a reminder: %s %s", owner, exc.method, exc.error
        )
        return None
    return next((found[tag] for tag in tags if tag in found), None)


def _settle_sent(
    sessions: sessionmaker[Session], ids: list[int], *, moved_to: PostedMessage | None, now: datetime
) -> None:
    """Slack's answer, the claim's end and the diary entry in one transaction: a clock dying after it
    leaves nothing to take over, and before it leaves the claim for the history to settle."""
    with sessions.begin() as session:
        if moved_to is not None:
            session.execute(
                update(CheckIn)
                .where(CheckIn.id.in_(ids))
                .values(channel_id=moved_to.channel, message_ts=moved_to.ts)
            )
        _clear_claims(session, ids)
        _record(session, ids, kind="reminder_sent", now=now, text="Reminder sent for this check-in.")


def _clear_claims(session: Session, ids: list[int]) -> None:
    session.execute(
        update(CheckIn).where(CheckIn.id.in_(ids)).values(reminder_claimed_by=None, reminder_lease_until=None)
    )


def _take_over_abandoned(
    sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime, clock: ClockRun
) -> None:
    """Reminders claimed by a clock that died before recording Slack's answer. One clock wins each
    claim; where the reminder went says whether it arrived: the owner's DMs, or the thread of the
    check-in's post in the shared channel. Unreadable, the claim stays under this clock's lease and a
    later pass reads again: a reminder is neither sent twice nor lost."""
    with sessions() as session:
        stale = session.execute(
            select(
                CheckIn.id,
                CheckIn.reminders_sent,
                CheckIn.place,
                CheckIn.channel_id,
                CheckIn.message_ts,
                Person.user_id,
            )
            .join(CheckIn.commitment)
            .join(Commitment.owner)
            .where(CheckIn.state == CheckInState.SENT, CheckIn.reminder_lease_until < now)
            .order_by(CheckIn.id)
        ).all()
    if not stale:
        return
    with sessions.begin() as session:
        taken = set(
            session.scalars(
                update(CheckIn)
                .where(
                    CheckIn.id.in_([row.id for row in stale]),
                    CheckIn.state == CheckInState.SENT,
                    CheckIn.reminder_lease_until < now,
                )
                .values(reminder_claimed_by=clock.clock_id, reminder_lease_until=clock.lease_until())
                .returning(CheckIn.id)
                .execution_options(synchronize_session=False)
            )
        )
    # Where each reminder would be: the owner's DMs (user ID, None), or a post's thread (channel, ts).
    places: dict[tuple[str, str | None], list[tuple[int, int]]] = defaultdict(list)
    for row in stale:
        if row.id not in taken:
            continue
        if row.place != "channel":
            places[(row.user_id, None)].append((row.id, row.reminders_sent))
        elif row.channel_id and row.message_ts:
            places[(row.channel_id, row.message_ts)].append((row.id, row.reminders_sent))
        else:  # no post, so no thread a reminder could be in
            _release(sessions, [row.id], retry_at=now)
    for (where, thread_ts), claims in places.items():
        try:
            if thread_ts is None:
                found = gateway.tagged_dms(where, event_type=REMINDER_EVENT, key=REMINDER_TAGS)
            else:
                found = gateway.tagged_replies(where, thread_ts, event_type=REMINDER_EVENT, key=REMINDER_TAGS)
        except SlackDeliveryError as exc:
            # Kept claimed under this clock's lease: a later pass reads again.
            log.warning(
                "could not read %s %s to settle reminders: %s %s", where, thread_ts, exc.method, exc.error
            )
            continue
        for checkin_id, number in claims:
            posted = found.get(reminder_tag(checkin_id, number))
            if posted is None:
                _release(sessions, [checkin_id], retry_at=now)
            else:
                # A DM reminder carries the buttons from then on; a thread reply leaves them on the post.
                _settle_sent(sessions, [checkin_id], moved_to=None if thread_ts else posted, now=now)


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


def _release(sessions: sessionmaker[Session], checkin_ids: list[int], *, retry_at: datetime) -> None:
    """Undo a reminder's claim (a passing failure, or a dead clock's claim that never reached Slack),
    so a pass from `retry_at` sends it: the count goes back, nothing closes, and the owner's hourly slot
    is freed."""
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
            .values(reminders_sent=CheckIn.reminders_sent - 1, remind_at=retry_at, closes_at=None)
        )
        _clear_claims(session, checkin_ids)
        session.execute(update(Person).where(Person.id.in_(owners)).values(last_reminded_at=None))


def _record(session: Session, checkin_ids: list[int], *, kind: str, now: datetime, text: str) -> None:
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
        # A last reminder still in flight (or its dead clock's claim) is settled before anything closes.
        due = [
            c.id
            for c in _open_rows(session, CheckIn.closes_at <= now, CheckIn.reminder_lease_until.is_(None))
        ]
    closed: list[int] = []
    for checkin_id in due:
        with sessions.begin() as session:
            if not locked_or_skipped(session, CheckIn, checkin_id):
                continue  # another clock is closing it
            moved = rows_changed(
                session,
                update(CheckIn)
                .where(
                    CheckIn.id == checkin_id,
                    CheckIn.state == CheckInState.SENT,
                    CheckIn.closes_at <= now,
                    CheckIn.reminder_lease_until.is_(None),
                )
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
