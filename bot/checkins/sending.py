"""Sending the check-ins that are due: claimed, then sent as one message per person and instant —
a DM, or a post in the account's shared channel mentioning them (`bot/checkins/delivery.py` says which).

Each occurrence is a row claimed before it is sent (`claims`: in batches shared between clock processes on
PostgreSQL, one by one on SQLite), so any number of passes, sequential or concurrent, send each check-in
once. Under `auto`, a DM Slack refuses because the person
can't be DMed sends the same check-ins to the shared channel in the same pass.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, sessionmaker

from bot.checkins import delivery
from bot.checkins.answers import streaks, view_of, with_commitment
from bot.checkins.claims import claim, claim_batch, defer, heading_to_channel, record_sent, shares_work
from bot.checkins.counts import CheckinCounts
from bot.checkins.message import MAX_CHECKINS_PER_MESSAGE, CheckInView, message_blocks, message_text
from bot.checkins.reconciling import Where, reconcile_abandoned_claims, settle_ambiguous
from bot.checkins.reminders import after_sending
from bot.checkins.undelivered import (
    Cause,
    clear_problem,
    close_undeliverable,
    record_failure,
    tell_csm_fallback,
    tell_csm_undeliverable,
)
from bot.clock_run import ClockRun
from bot.slack.errors import NOT_IN_SHARED_CHANNEL, Failure, ambiguous, cannot_dm, classify
from bot.slack.gateway import MEMBERS_LIMIT, PostedMessage, SlackDeliveryError, SlackGateway
from bot.slack.workspaces import WorkspaceGateways
from models import CheckIn, CheckInState, Commitment

log = logging.getLogger(__name__)

CHECKIN_EVENT = "accountability_checkin"
# Groups sent at once: Slack answers a call in ~100 ms, so a handful in flight keeps a workspace at its
# ceiling (its `Pacer` spaces them); the rest wait for a free sender.
SENDERS = 12
# Tries of one post within a pass when Slack answers 5xx (or the connection drops) and its history shows
# the message did not land; the last failure defers it to a later pass as before.
AMBIGUOUS_ATTEMPTS = 3
AMBIGUOUS_PAUSE_SECONDS = 0.5
# Groups claimed ahead of the senders: more would sit claimed under a lease while others could send them.
QUEUED_PER_SENDER = 2


def checkin_metadata(checkin_ids: list[int]) -> dict[str, Any]:
    """Slack message metadata naming the check-ins a message carries, so a clock that died between
    posting and recording can find out afterwards whether it went out (`reconciling`)."""
    return {"event_type": CHECKIN_EVENT, "event_payload": {"checkin_ids": [str(i) for i in checkin_ids]}}


def send_due(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    now: datetime,
    counts: CheckinCounts,
    clock: ClockRun | None = None,
    gateways: WorkspaceGateways | None = None,
) -> None:
    """One message per person per instant: check-ins of several commitments due together arrive as one
    DM, or as one post per account in the shared channel. Each goes out with its workspace's token.

    A send that fails for a passing reason is tried again on a later pass (back-off, or Slack's
    Retry-After) until the check-in's own closing time; a refusal that can never succeed is recorded
    and the CSM told; a refused token stops this pass's sending and keeps everything due.
    """
    clock = clock or ClockRun.this_process(as_of=now)
    gateways = gateways or WorkspaceGateways(gateway)
    reconcile_abandoned_claims(sessions, gateway, now=now, counts=counts, clock=clock, gateways=gateways)
    close_undeliverable(sessions, now=now, counts=counts)
    refused = _Tokens()  # workspaces whose token Slack refused in this pass
    if shares_work(sessions):
        with _Senders(SENDERS, into=counts) as senders:
            while claimed := claim_batch(sessions, now=now, clock=clock):
                for group in _read_groups(sessions, claimed, now=now):
                    senders.submit(
                        lambda group, mine: _send_read(
                            sessions, gateways, group, now=now, counts=mine, refused=refused
                        ),
                        group,
                    )
        return
    # SQLite: one writer at a time, so one sender; its pacing still keeps it under Slack's limits.
    groups = [
        [checkin_id for checkin_id in checkin_ids if claim(sessions, checkin_id, now=now, clock=clock)]
        for checkin_ids in _due_groups(sessions, now=now)
    ]
    _send_claimed(sessions, gateways, groups, now=now, counts=counts, refused=refused)


class _Senders:
    """Claimed groups sent by a bounded pool of threads (slack_sdk's WebClient is synchronous). Each
    group is claimed and read (a batch at a time, by the pass's own thread) before it is queued, and
    recorded by the thread that sends it, so a sender's time goes to Slack; the queue is short
    so claims don't wait long under their lease, and a clock sharing the work takes the next batch.
    Per-workspace and per-channel limits are the workspace gateway's `Pacer`: a 429 pauses only that
    workspace's threads. A group that raises leaves its claim to the reconciliation, the others go on,
    and the error is raised once all are done."""

    def __init__(self, workers: int, *, into: CheckinCounts) -> None:
        self._into = into
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="checkin-sender")
        self._room = threading.BoundedSemaphore(workers * QUEUED_PER_SENDER)
        self._lock = threading.Lock()
        self._errors: list[BaseException] = []
        self._counts: list[CheckinCounts] = []

    def submit(self, send: Callable[[_Group, CheckinCounts], object], group: _Group) -> None:
        """Each group counts in its own `CheckinCounts`: threads never add to one counter at once."""
        mine = CheckinCounts()
        self._counts.append(mine)
        self._room.acquire()
        self._pool.submit(self._run, send, group, mine)

    def _run(
        self, send: Callable[[_Group, CheckinCounts], object], group: _Group, mine: CheckinCounts
    ) -> None:
        try:
            send(group, mine)
        except BaseException as exc:
            log.exception("sending check-ins %s failed", group.ids())
            with self._lock:
                self._errors.append(exc)
        finally:
            self._room.release()

    def __enter__(self) -> _Senders:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)
        for mine in self._counts:
            for field in fields(CheckinCounts):
                setattr(self._into, field.name, getattr(self._into, field.name) + getattr(mine, field.name))
        if self._errors:
            raise self._errors[0]


def _send_claimed(
    sessions: sessionmaker[Session],
    gateways: WorkspaceGateways,
    groups: list[list[int]],
    *,
    now: datetime,
    counts: CheckinCounts,
    refused: _Tokens,
) -> None:
    """Sends claimed groups. Once a workspace's token is refused, nothing more goes out with it in this
    pass: its check-ins are released, kept due, while other workspaces' still go out."""
    for claimed in groups:
        for start in range(0, len(claimed), MAX_CHECKINS_PER_MESSAGE):
            batch = claimed[start : start + MAX_CHECKINS_PER_MESSAGE]
            failure = _send_group(sessions, gateways, batch, now=now, counts=counts, refused=refused)
            if failure is Failure.WORKSPACE:
                defer(sessions, claimed[start + MAX_CHECKINS_PER_MESSAGE :], error="", now=now, wait=None)
                break


def _due_groups(sessions: sessionmaker[Session], *, now: datetime) -> list[list[int]]:
    """Due check-ins, grouped by owner and instant, earliest first."""
    with sessions() as session:
        due = session.execute(
            select(CheckIn.id, Commitment.owner_id, CheckIn.scheduled_at)
            .join(CheckIn.commitment)
            .where(CheckIn.state == CheckInState.DUE, CheckIn.scheduled_at <= now)
            .where((CheckIn.next_attempt_at.is_(None)) | (CheckIn.next_attempt_at <= now))
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        ).all()
    return _by_owner_and_instant(due)


def _by_owner_and_instant(rows: Sequence[Row[int, int, datetime]]) -> list[list[int]]:
    groups: dict[tuple[int, datetime], list[int]] = defaultdict(list)
    for checkin_id, owner_id, scheduled_at in rows:
        groups[(owner_id, scheduled_at)].append(checkin_id)
    return list(groups.values())


@dataclass
class _Group:
    """One person's claimed check-ins due at one instant, read once before any Slack call."""

    owner_id: int
    owner_user_id: str
    team_id: str
    external: bool
    views: dict[int, CheckInView]
    follow_up: dict[int, dict[str, datetime | None]]
    setting: dict[int, str]  # check-in → dm | channel | auto
    account: dict[int, int]  # check-in → account
    shared_channel: dict[int, str]  # account → its shared channel
    place: dict[int, str]  # check-in → dm | channel, as of now
    # As read with the claim: a DM that works or a post that lands has something to clear only when
    # these were set (no other pass touches a claimed person's delivery meanwhile).
    dm_retry_at: datetime | None = None
    delivery_problem: str | None = None

    def ids(self, place: str | None = None) -> list[int]:
        return [checkin_id for checkin_id, where in self.place.items() if place in (None, where)]


def _read_groups(sessions: sessionmaker[Session], checkin_ids: list[int], *, now: datetime) -> list[_Group]:
    """Claimed check-ins, read in one go (two queries for the batch, not a few per check-in) and
    grouped by owner and instant, earliest first, at most a message's worth in each group."""
    with sessions() as session:
        rows = list(
            session.scalars(
                select(CheckIn)
                .where(CheckIn.id.in_(checkin_ids))
                .options(*with_commitment())
                .order_by(CheckIn.scheduled_at, CheckIn.id)
            ).unique()
        )
        streak_texts = streaks(session, (row.commitment_id for row in rows))
        by_owner: dict[tuple[int, datetime], list[CheckIn]] = defaultdict(list)
        for row in rows:
            by_owner[(row.commitment.owner_id, row.scheduled_at)].append(row)
        return [
            _group_of(together[start : start + MAX_CHECKINS_PER_MESSAGE], streak_texts, now=now)
            for together in by_owner.values()
            for start in range(0, len(together), MAX_CHECKINS_PER_MESSAGE)
        ]


def _group_of(rows: list[CheckIn], streak_texts: dict[int, str], *, now: datetime) -> _Group:
    owner = rows[0].commitment.owner
    settings = {row.id: delivery.setting_of(owner, row.commitment.account) for row in rows}
    return _Group(
        owner_id=owner.id,
        owner_user_id=owner.user_id,
        team_id=owner.team_id,
        external=owner.is_external,
        views={row.id: view_of(row, streak_text=streak_texts.get(row.commitment_id)) for row in rows},
        follow_up={row.id: after_sending(row, sent_at=now) for row in rows},
        setting=settings,
        account={row.id: row.commitment.account_id for row in rows},
        shared_channel={row.commitment.account_id: row.commitment.account.shared_channel_id for row in rows},
        place={
            row.id: delivery.place_of(settings[row.id], dm_retry_at=owner.dm_retry_at, now=now)
            for row in rows
        },
        dm_retry_at=owner.dm_retry_at,
        delivery_problem=owner.delivery_problem,
    )


def _send_group(
    sessions: sessionmaker[Session],
    gateways: WorkspaceGateways,
    checkin_ids: list[int],
    *,
    now: datetime,
    counts: CheckinCounts,
    refused: _Tokens,
) -> Failure | None:
    """The DM first (if any of them goes by DM), then one post per account in its shared channel:
    those meant for the channel, and those whose DM was just refused under `auto`."""
    if not checkin_ids:
        return None
    failure = None
    for group in _read_groups(sessions, checkin_ids, now=now):
        failure = _send_read(sessions, gateways, group, now=now, counts=counts, refused=refused) or failure
    return failure


def _send_read(
    sessions: sessionmaker[Session],
    gateways: WorkspaceGateways,
    group: _Group,
    *,
    now: datetime,
    counts: CheckinCounts,
    refused: _Tokens,
) -> Failure | None:
    """One group, already claimed and read, with its workspace's token unless this pass saw it
    refused (then it stays due)."""
    with refused.first_send(group.team_id) as usable:
        if not usable:
            defer(sessions, group.ids(), error="", now=now, wait=None)
            return Failure.WORKSPACE
        failure = _send_read_group(sessions, gateways.for_team(group.team_id), group, now=now, counts=counts)
        refused.learn(group.team_id, refused=failure is Failure.WORKSPACE)
    return failure


class _Tokens:
    """What this pass learnt of each workspace's token. Until one send with it has come back, a
    workspace's sends go one at a time, so a refused token is tried once, not once per sender."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first: dict[str, threading.Lock] = {}
        self._refused: set[str] = set()
        self._accepted: set[str] = set()

    @contextlib.contextmanager
    def first_send(self, team_id: str) -> Iterator[bool]:
        """Yields whether the token may be used; holds the workspace's other senders until this one
        has been learnt from, while the token is not yet known to work."""
        with self._lock:
            known = team_id in self._accepted
            gate = self._first.setdefault(team_id, threading.Lock())
        if known:
            yield True
            return
        with gate:
            with self._lock:
                usable = team_id not in self._refused
            yield usable

    def learn(self, team_id: str, *, refused: bool) -> None:
        with self._lock:
            (self._refused if refused else self._accepted).add(team_id)

    def __contains__(self, team_id: str) -> bool:
        with self._lock:
            return team_id in self._refused


def _send_read_group(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    group: _Group,
    *,
    now: datetime,
    counts: CheckinCounts,
) -> Failure | None:
    to_channel = group.ids(delivery.CHANNEL)
    dm_ids = group.ids(delivery.DM)
    if dm_ids:
        failure, fell_back = _send_dm(sessions, gateway, group, dm_ids, now=now, counts=counts)
        if failure is Failure.WORKSPACE:
            defer(sessions, to_channel, error="", now=now, wait=None)
            return failure
        to_channel += fell_back
    by_account: dict[int, list[int]] = defaultdict(list)
    for checkin_id in sorted(to_channel, key=lambda i: (group.views[i].scheduled_local, i)):
        by_account[group.account[checkin_id]].append(checkin_id)
    accounts = list(by_account.items())
    for index, (account_id, ids) in enumerate(accounts):
        channel = group.shared_channel[account_id]
        if _send_to_channel(sessions, gateway, group, ids, channel=channel, now=now, counts=counts) is (
            Failure.WORKSPACE
        ):
            later = [i for _, rest in accounts[index + 1 :] for i in rest]
            defer(sessions, later, error="", now=now, wait=None)
            return Failure.WORKSPACE
    return None


def _send_dm(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    group: _Group,
    checkin_ids: list[int],
    *,
    now: datetime,
    counts: CheckinCounts,
) -> tuple[Failure | None, list[int]]:
    """What failed, if anything, and the check-ins to post in the shared channel instead."""
    views = [group.views[i] for i in checkin_ids]
    try:
        posted = _post(
            sessions,
            gateway,
            checkin_ids,
            where=("dm", group.owner_user_id),
            now=now,
            counts=counts,
            post=lambda: gateway.send_dm(
                group.owner_user_id,
                text=message_text(views),
                blocks=message_blocks(views),
                metadata=checkin_metadata(checkin_ids),
            ),
        )
    except SlackDeliveryError as exc:
        if not ambiguous(exc.error) and cannot_dm(exc.error, external=group.external):
            # Expected for people whose organisation refuses DMs from other apps: handled, not a fault.
            log.info("check-in DM to %s refused: %s %s", group.owner_user_id, exc.method, exc.error)
            return _dm_refused(sessions, gateway, group, checkin_ids, error=exc.error, now=now, counts=counts)
        log.warning("check-in DM to %s failed: %s %s", group.owner_user_id, exc.method, exc.error)
        return _not_sent(
            sessions,
            gateway,
            group,
            checkin_ids,
            where=("dm", group.owner_user_id),
            exc=exc,
            now=now,
            counts=counts,
        ), []
    if posted is None:
        return None, []
    _sent(sessions, group, checkin_ids, posted=posted, place=delivery.DM, now=now, counts=counts)
    if group.dm_retry_at is not None:
        delivery.dm_worked(sessions, person_id=group.owner_id)
    return None, []


def _post(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    checkin_ids: list[int],
    *,
    where: Where,
    now: datetime,
    counts: CheckinCounts,
    post: Callable[[], PostedMessage],
) -> PostedMessage | None:
    """The post, sent again in this pass after a 5xx or a dropped connection once Slack's history
    shows it did not land (still claimed, so no other pass sends it meanwhile): a passing failure
    costs seconds, not a pass. None when the history settled it (found and recorded, or unreadable
    and left to the reconciliation); the last attempt's error is raised for the caller to record."""
    for attempt in range(1, AMBIGUOUS_ATTEMPTS + 1):
        try:
            return post()
        except SlackDeliveryError as exc:
            if not ambiguous(exc.error) or attempt == AMBIGUOUS_ATTEMPTS:
                raise
            rest = settle_ambiguous(
                sessions, gateway, checkin_ids, where=where, error=exc.error, now=now, counts=counts,
                defer_rest=False,
            )  # fmt: skip
            if rest is None:
                return None
            if set(rest) != set(checkin_ids):
                defer(sessions, rest, error=exc.error, now=now, wait=None)
                counts.deferred += len(rest)
                return None
            time.sleep(AMBIGUOUS_PAUSE_SECONDS * attempt)
    raise AssertionError("unreachable")


def _dm_refused(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    group: _Group,
    checkin_ids: list[int],
    *,
    error: str,
    now: datetime,
    counts: CheckinCounts,
) -> tuple[Failure, list[int]]:
    """This person can't be DMed: under `auto` the shared channel takes the same check-ins now, and
    their next ones, until a DM is tried again in a week; under `dm` the check-ins are undeliverable."""
    fall_back = [i for i in checkin_ids if group.setting[i] == delivery.AUTO]
    dm_only = [i for i in checkin_ids if group.setting[i] != delivery.AUTO]
    if fall_back and delivery.dm_refused(sessions, person_id=group.owner_id, now=now):
        accounts = sorted({group.account[i] for i in fall_back})
        tell_csm_fallback(sessions, gateway, owner_user_id=group.owner_user_id, account_ids=accounts)
    if dm_only:
        _undeliverable(
            sessions, gateway, group, dm_only, cause=Cause(place="dm", error=error), now=now, counts=counts
        )
    return Failure.PERMANENT, fall_back


def _send_to_channel(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    group: _Group,
    checkin_ids: list[int],
    *,
    channel: str,
    now: datetime,
    counts: CheckinCounts,
) -> Failure | None:
    """One post in the account's shared channel mentioning the owner, with the same buttons as a DM.
    Someone who is not in the channel would never see it: that is undeliverable, said before posting."""
    if not _member(gateway, channel=channel, user_id=group.owner_user_id):
        cause = Cause(place="channel", error=NOT_IN_SHARED_CHANNEL, channel_id=channel)
        _undeliverable(sessions, gateway, group, checkin_ids, cause=cause, now=now, counts=counts)
        return Failure.PERMANENT
    views = [replace(group.views[i], place=delivery.CHANNEL) for i in checkin_ids]
    heading_to_channel(sessions, checkin_ids, channel=channel)
    try:
        posted = _post(
            sessions,
            gateway,
            checkin_ids,
            where=("channel", channel),
            now=now,
            counts=counts,
            post=lambda: gateway.post_message(
                channel,
                text=message_text(views),
                blocks=message_blocks(views),
                metadata=checkin_metadata(checkin_ids),
            ),
        )
    except SlackDeliveryError as exc:
        log.warning(
            "check-in post in %s for %s failed: %s %s", channel, group.owner_user_id, exc.method, exc.error
        )
        return _not_sent(
            sessions, gateway, group, checkin_ids, where=("channel", channel), exc=exc, now=now, counts=counts
        )
    if posted is None:
        return None
    _sent(sessions, group, checkin_ids, posted=posted, place=delivery.CHANNEL, now=now, counts=counts)
    return None


def _member(gateway: SlackGateway, *, channel: str, user_id: str) -> bool:
    """False only when Slack's member list says so; if it can't be read, the post itself will tell."""
    try:
        members = gateway.channel_members(channel)
    except SlackDeliveryError as exc:
        log.info("members of %s not read (%s %s): posting anyway", channel, exc.method, exc.error)
        return True
    return user_id in members or len(members) >= MEMBERS_LIMIT


def _sent(
    sessions: sessionmaker[Session],
    group: _Group,
    checkin_ids: list[int],
    *,
    posted: PostedMessage,
    place: str,
    now: datetime,
    counts: CheckinCounts,
) -> None:
    record_sent(
        sessions,
        checkin_ids,
        channel=posted.channel,
        ts=posted.ts,
        now=now,
        follow_up={i: group.follow_up[i] for i in checkin_ids},
        place=place,
    )
    if group.delivery_problem:
        clear_problem(
            sessions,
            owner_id=group.owner_id,
            place=place,
            channel_id=posted.channel if place == delivery.CHANNEL else None,
        )
    counts.sent += len(checkin_ids)


def _undeliverable(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    group: _Group,
    checkin_ids: list[int],
    *,
    cause: Cause,
    now: datetime,
    counts: CheckinCounts,
) -> None:
    for checkin_id in checkin_ids:
        if record_failure(sessions, checkin_id, cause=cause, now=now):
            counts.failed += 1
    account_ids = sorted({group.account[i] for i in checkin_ids})
    tell_csm_undeliverable(
        sessions, gateway, owner_id=group.owner_id, account_ids=account_ids, cause=cause, now=now
    )


def _not_sent(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    group: _Group,
    checkin_ids: list[int],
    *,
    where: Where,
    exc: SlackDeliveryError,
    now: datetime,
    counts: CheckinCounts,
) -> Failure:
    """What a failed send leaves: settled from the history when Slack may have posted it anyway,
    recorded as undeliverable when it never can be, otherwise due again later."""
    failure = classify(exc.error)
    if ambiguous(exc.error):
        settle_ambiguous(sessions, gateway, checkin_ids, where=where, error=exc.error, now=now, counts=counts)
    elif failure is Failure.PERMANENT:
        place, target = where
        cause = Cause(place=place, error=exc.error, channel_id=target if place == "channel" else None)
        _undeliverable(sessions, gateway, group, checkin_ids, cause=cause, now=now, counts=counts)
    else:
        defer(sessions, checkin_ids, error=exc.error, now=now, wait=exc.retry_after)
        counts.deferred += len(checkin_ids)
    return failure
