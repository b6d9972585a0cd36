"""The escalation rules, run by the clock over check-ins that have just closed.

Check the record before confronting: a first customer miss gets a courteous nudge; a pattern opens an
escalation in the vendor's channel; a worse pattern brings in the manager and marks the account at risk.
The vendor is held to a higher standard. One post per episode, updated in place as it is raised,
acknowledged or resolved; every step is a neutrally worded diary entry.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, sessionmaker

from bot.checkins.schedule import local_instant, zone
from bot.checkins.working_days import WORKDAY_END, add_working_days
from bot.diary import entries as diary
from bot.escalation.message import EscalationView, escalation_blocks, escalation_text
from bot.escalation.policy import Policy, policy_of
from bot.slack.errors import Failure, classify, plain
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import (
    Account,
    Answer,
    CheckIn,
    CheckInState,
    Commitment,
    CommitmentStatus,
    Escalation,
    EscalationState,
    Side,
)
from models.db import rows_changed

log = logging.getLogger(__name__)

# A first post claimed this long ago by a pass that never recorded it: that pass died.
ABANDONED_POST = timedelta(minutes=10)

CLOSED = (CheckInState.ANSWERED, CheckInState.NO_RESPONSE)
MISSED_ANSWERS = (Answer.NOT_YET, Answer.BLOCKED)
NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def is_miss(checkin: CheckIn) -> bool:
    return checkin.state is CheckInState.NO_RESPONSE or checkin.answer in MISSED_ANSWERS


def mark(checkin: CheckIn) -> str:
    if checkin.answer is Answer.DONE:
        return "✓"
    if checkin.answer is Answer.PARTLY:
        return "◐"
    return "✗"


def _words(n: int) -> str:
    return NUMBERS.get(n, str(n))


def run_rules(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """Evaluate newly closed check-ins and due dates; publish what changed. Returns episodes touched."""
    touched: set[int] = set()
    nudges: list[tuple[str, str]] = []
    with sessions() as session:
        commitment_ids = list(
            session.scalars(
                select(CheckIn.commitment_id)
                .where(CheckIn.evaluated.is_(False), CheckIn.state.in_(CLOSED))
                .distinct()
            )
        )
    for commitment_id in commitment_ids:
        with sessions.begin() as session:
            touched |= _evaluate(session, commitment_id, now=now, nudges=nudges)
    with sessions.begin() as session:
        touched |= _vendor_due_dates(session, now=now)
        touched |= _close_stale_episodes(session, now=now)
    for user_id, text in nudges:
        try:
            gateway.post_message(user_id, text=text)
        except SlackDeliveryError:
            continue  # the nudge is courtesy; the miss itself is already in the diary
    for escalation_id in sorted(touched):
        publish(sessions, gateway, escalation_id, now=now)
    return len(touched)


def _evaluate(
    session: Session, commitment_id: int, *, now: datetime, nudges: list[tuple[str, str]]
) -> set[int]:
    # Claiming the rows first means a second clock pass evaluating the same commitment does nothing.
    claimed = rows_changed(
        session,
        update(CheckIn)
        .where(
            CheckIn.commitment_id == commitment_id, CheckIn.evaluated.is_(False), CheckIn.state.in_(CLOSED)
        )
        .values(evaluated=True),
    )
    if claimed == 0:
        return set()
    commitment = session.scalar(
        select(Commitment)
        .where(Commitment.id == commitment_id)
        .options(joinedload(Commitment.account), joinedload(Commitment.owner))
    )
    assert commitment is not None
    if commitment.status is not CommitmentStatus.ACTIVE:
        return set()  # paused and cancelled commitments never escalate
    account = commitment.account
    policy = policy_of(account)
    recent = _recent(session, commitment_id, policy.window)
    if not recent:
        return set()
    touched: set[int] = set()
    newest = recent[0]
    if newest.answer is Answer.DONE:
        touched |= _resolve_open(
            session, account=account, commitment=commitment, now=now, by=None, note="answered Done"
        )
    elif commitment.side is Side.CUSTOMER:
        misses = sum(1 for c in recent if is_miss(c))
        two_in_a_row = len(recent) >= 2 and is_miss(recent[0]) and is_miss(recent[1])
        summary = f"{_words(misses).capitalize()} of the last {_words(len(recent))} check-ins were missed."
        level = (
            2 if misses >= policy.raise_after else 1 if misses >= policy.escalate_after or two_in_a_row else 0
        )
        if level:
            touched.add(
                _ensure(
                    session,
                    account=account,
                    commitment=commitment,
                    kind="customer_slip",
                    level=level,
                    summary=summary,
                    now=now,
                )
            )
        if not level and is_miss(newest):
            _nudge(session, commitment=commitment, checkin=newest, now=now, nudges=nudges)
    elif is_miss(newest) and commitment.rrule is not None:
        # A due-date vendor commitment is judged by its date instead (see _vendor_due_dates).
        misses = sum(1 for c in recent if is_miss(c))
        summary = f"A vendor check-in was missed ({_words(misses)} of the last {_words(len(recent))})."
        touched.add(
            _ensure(
                session,
                account=account,
                commitment=commitment,
                kind="vendor_missed",
                level=2 if misses >= 2 else 1,
                summary=summary,
                now=now,
            )
        )
    touched |= _champion(session, account=account, policy=policy, now=now)
    return touched


def _recent(session: Session, commitment_id: int, window: int) -> list[CheckIn]:
    return list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.commitment_id == commitment_id, CheckIn.state.in_(CLOSED))
            .order_by(CheckIn.scheduled_at.desc())
            .limit(window)
        )
    )


def _nudge(
    session: Session,
    *,
    commitment: Commitment,
    checkin: CheckIn,
    now: datetime,
    nudges: list[tuple[str, str]],
) -> None:
    entry = diary.record_checkin(
        session,
        checkin,
        kind="miss_noted",
        text=f"One check-in of “{escape(commitment.action)}” was missed; a friendly nudge was sent. Nothing is escalated.",
        at=now,
        dedupe_key=f"checkin:{checkin.id}:nudge",
    )
    if entry is not None:
        nudges.append(
            (
                commitment.owner.user_id,
                f"No worries about the last check-in for “{escape(commitment.action)}” ({escape(commitment.account.name)}). "
                "It's noted in the shared diary; if something is in the way, a short note on the next one helps "
                "everyone help you.",
            )
        )


def _ensure(
    session: Session,
    *,
    account: Account,
    commitment: Commitment | None,
    kind: str,
    level: int,
    summary: str,
    now: datetime,
) -> int:
    """The open episode of this kind, opened or raised to `level` (never lowered)."""
    key = f"{commitment.id if commitment else 'account'}:{kind}"
    episode = session.scalar(
        select(Escalation).where(
            Escalation.account_id == account.id,
            Escalation.episode_key == key,
            Escalation.state != EscalationState.RESOLVED,
        )
    )
    side = commitment.side if commitment else Side.CUSTOMER
    what = f" (“{escape(commitment.action)}”)" if commitment else ""
    if episode is None:
        episode = Escalation(
            team_id=account.team_id,
            enterprise_id=account.enterprise_id,
            account_id=account.id,
            commitment_id=commitment.id if commitment else None,
            side=side,
            kind=kind,
            episode_key=key,
            level=level,
            state=EscalationState.OPEN,
            opened_at=now,
            raised_at=now if level >= 2 else None,
            summary=summary,
            post_pending=True,
        )
        try:
            # Several clocks may judge the same deadline at once: the partial unique index lets one
            # open the episode, and the others find it instead of crashing their pass.
            with session.begin_nested():
                session.add(episode)
                session.flush()
        except IntegrityError:
            episode = session.scalar(
                select(Escalation).where(
                    Escalation.account_id == account.id,
                    Escalation.episode_key == key,
                    Escalation.state != EscalationState.RESOLVED,
                )
            )
            if episode is None:
                raise
            return episode.id
    elif level > episode.level:
        episode.level = level
        episode.raised_at = now
        diary.record(
            session,
            account=account,
            kind="escalation_raised",
            text=f"{summary}{what} The manager is now involved.",
            at=now,
            side=side,
            commitment_id=episode.commitment_id,
            escalation_id=episode.id,
        )
    episode.summary = summary  # the record moves on even when the level does not
    if level >= 2 and kind == "customer_slip" and not account.at_risk:
        account.at_risk = True
        diary.record(
            session,
            account=account,
            kind="account_at_risk",
            text=f"{escape(account.name)} is marked at risk.",
            at=now,
        )
    return episode.id


def _resolve_open(
    session: Session, *, account: Account, commitment: Commitment, now: datetime, by: str | None, note: str
) -> set[int]:
    resolved: set[int] = set()
    for episode in session.scalars(
        select(Escalation).where(
            Escalation.commitment_id == commitment.id, Escalation.state != EscalationState.RESOLVED
        )
    ):
        if _resolve(session, episode, account=account, by=by, note=note, now=now):
            resolved.add(episode.id)
    return resolved


def _resolve(
    session: Session, episode: Escalation, *, account: Account, by: str | None, note: str, now: datetime
) -> bool:
    """Resolve once: a guarded UPDATE, so two Resolve submissions (or a submission racing the clock's
    auto-resolve) record one resolution. False when someone else already resolved it."""
    moved = rows_changed(
        session,
        update(Escalation)
        .where(Escalation.id == episode.id, Escalation.state != EscalationState.RESOLVED)
        .values(state=EscalationState.RESOLVED, resolved_by=by, resolved_at=now, resolution_note=note),
    )
    if moved != 1:
        return False
    session.refresh(episode)
    who = f" by <@{by}>" if by else ""
    diary.record(
        session,
        account=account,
        kind="escalation_resolved",
        text=f"Escalation resolved{who}: {escape(note)}",
        at=now,
        actor_user_id=by,
        side=episode.side,
        commitment_id=episode.commitment_id,
        escalation_id=episode.id,
    )
    return True


def _champion(session: Session, *, account: Account, policy: Policy, now: datetime) -> set[int]:
    """Check-ins in a row without any response from the champion, across all their commitments."""
    latest = list(
        session.scalars(
            select(CheckIn)
            .join(CheckIn.commitment)
            .where(
                Commitment.account_id == account.id,
                Commitment.side == Side.CUSTOMER,
                CheckIn.state.in_(CLOSED),
            )
            .where(Commitment.owner.has(user_id=account.champion_user_id))
            .order_by(CheckIn.scheduled_at.desc())
            .limit(policy.unresponsive_after)
        )
    )
    key = "account:champion_unresponsive"
    if len(latest) == policy.unresponsive_after and all(c.state is CheckInState.NO_RESPONSE for c in latest):
        summary = f"{_words(len(latest)).capitalize()} check-ins in a row had no response from <@{account.champion_user_id}>."
        return {
            _ensure(
                session,
                account=account,
                commitment=None,
                kind="champion_unresponsive",
                level=1,
                summary=summary,
                now=now,
            )
        }
    if latest and latest[0].state is CheckInState.ANSWERED:
        open_episode = session.scalar(
            select(Escalation).where(
                Escalation.account_id == account.id,
                Escalation.episode_key == key,
                Escalation.state != EscalationState.RESOLVED,
            )
        )
        if open_episode is not None and _resolve(
            session, open_episode, account=account, by=None, note="the champion answered again", now=now
        ):
            return {open_episode.id}
    return set()


def _vendor_due_dates(session: Session, *, now: datetime) -> set[int]:
    """A vendor commitment not done by its date: raised at the end of that working day, and with the
    manager some working days later."""
    touched: set[int] = set()
    due = session.scalars(
        select(Commitment)
        .where(
            Commitment.side == Side.VENDOR,
            Commitment.status == CommitmentStatus.ACTIVE,
            Commitment.rrule.is_(None),
            Commitment.due_on <= now.date(),
        )
        .options(joinedload(Commitment.account), joinedload(Commitment.owner))
    )
    for commitment in due:
        assert commitment.due_on is not None
        account = commitment.account
        policy = policy_of(account)
        tz = zone(commitment.owner.tz)
        deadline = local_instant(commitment.due_on, WORKDAY_END, tz)
        if now < deadline:
            continue
        raise_day = add_working_days(
            commitment.due_on, policy.vendor_raise_days, holiday_country=account.holiday_country
        )
        level = 2 if now >= local_instant(raise_day, WORKDAY_END, tz) else 1
        summary = f"The vendor commitment was not done by its date ({commitment.due_on:%a %d %b})."
        key = f"{commitment.id}:vendor_overdue"
        before = session.scalar(
            select(Escalation.level).where(
                Escalation.episode_key == key, Escalation.state != EscalationState.RESOLVED
            )
        )
        # Resolved by hand after this deadline (a new date agreed on a call, say): the CSM has dealt with
        # this due date, so the clock neither reopens nor raises it. A new due date is a new deadline.
        settled = before is None and session.scalar(
            select(Escalation.id)
            .where(
                Escalation.episode_key == key,
                Escalation.state == EscalationState.RESOLVED,
                Escalation.opened_at >= deadline,
            )
            .limit(1)
        )
        if not settled and (before is None or before < level):
            touched.add(
                _ensure(
                    session,
                    account=account,
                    commitment=commitment,
                    kind="vendor_overdue",
                    level=level,
                    summary=summary,
                    now=now,
                )
            )
    return touched


def _close_stale_episodes(session: Session, *, now: datetime) -> set[int]:
    """Done, paused or cancelled commitments leave no escalation hanging."""
    touched: set[int] = set()
    stale = session.execute(
        select(Escalation, Commitment)
        .join(Commitment, Commitment.id == Escalation.commitment_id)
        .where(Escalation.state != EscalationState.RESOLVED, Commitment.status != CommitmentStatus.ACTIVE)
        .options(joinedload(Commitment.account))
    ).all()
    for episode, commitment in stale:
        note = f"the commitment is {commitment.status.value}"
        if _resolve(session, episode, account=commitment.account, by=None, note=note, now=now):
            touched.add(episode.id)
    return touched


def may_handle(session: Session, episode: Escalation, *, user_id: str, admins: frozenset[str]) -> str | None:
    """The account's CSM, its manager and admins act on escalations; None when this person may."""
    account = session.get_one(Account, episode.account_id)
    if user_id in admins or user_id in (account.csm_user_id, account.manager_user_id):
        return None
    return f"Escalations on {escape(account.name)} are handled by <@{account.csm_user_id}> (CSM), its manager or an admin."


def _handled_episode(
    session: Session, escalation_id: int, *, user_id: str, admins: frozenset[str]
) -> Escalation | str:
    """The unresolved episode this person may act on, or why not."""
    episode = session.get(Escalation, escalation_id)
    if episode is None:
        return "I can't find that escalation any more."
    refusal = may_handle(session, episode, user_id=user_id, admins=admins)
    if refusal is not None:
        return refusal
    if episode.state is EscalationState.RESOLVED:
        return "This escalation is already resolved. Nothing was changed."
    return episode


def handling_refusal(
    sessions: sessionmaker[Session], *, escalation_id: int, user_id: str, admins: frozenset[str]
) -> str | None:
    """A read for the 3-second ack, before a form is opened."""
    with sessions() as session:
        episode = _handled_episode(session, escalation_id, user_id=user_id, admins=admins)
    return episode if isinstance(episode, str) else None


def acknowledge(
    sessions: sessionmaker[Session],
    *,
    escalation_id: int,
    user_id: str,
    admins: frozenset[str],
    now: datetime,
) -> str | None:
    """Who took it on; None when recorded, otherwise why not."""
    with sessions.begin() as session:
        episode = _handled_episode(session, escalation_id, user_id=user_id, admins=admins)
        if isinstance(episode, str):
            return episode
        moved = rows_changed(
            session,
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.state == EscalationState.OPEN)
            .values(state=EscalationState.ACKNOWLEDGED, acknowledged_by=user_id, acknowledged_at=now),
        )
        if moved != 1:
            return "This escalation was already acknowledged. Nothing was changed."
        diary.record(
            session,
            account=session.get_one(Account, episode.account_id),
            kind="escalation_acknowledged",
            text=f"<@{user_id}> acknowledged the escalation and is following up.",
            at=now,
            actor_user_id=user_id,
            side=episode.side,
            commitment_id=episode.commitment_id,
            escalation_id=episode.id,
        )
    return None


def resolve(
    sessions: sessionmaker[Session],
    *,
    escalation_id: int,
    user_id: str,
    note: str,
    admins: frozenset[str],
    now: datetime,
) -> str | None:
    with sessions.begin() as session:
        episode = _handled_episode(session, escalation_id, user_id=user_id, admins=admins)
        if isinstance(episode, str):
            return episode
        resolved = _resolve(
            session,
            episode,
            account=session.get_one(Account, episode.account_id),
            by=user_id,
            note=note,
            now=now,
        )
    return None if resolved else "This escalation is already resolved. Nothing was changed."


def view_of(session: Session, episode: Escalation) -> EscalationView:
    account = session.get_one(Account, episode.account_id)
    policy = policy_of(account)
    commitment = session.get(Commitment, episode.commitment_id) if episode.commitment_id else None
    marks = agreed = last_note = linked = None
    owner = action = None
    if commitment is not None:
        owner, action = commitment.owner.user_id, commitment.action
        recent = _recent(session, commitment.id, policy.window)
        marks = " ".join(mark(c) for c in reversed(recent)) or None
        tz = zone(commitment.owner.tz)
        if commitment.side is Side.CUSTOMER:
            agreed = (
                f"The customer agreed to this commitment on {commitment.agreed_at.astimezone(tz):%d %b %Y}."
                if commitment.agreed_at
                else "The customer has not agreed to this commitment yet."
            )
        last_note = session.scalar(
            select(CheckIn.note)
            .where(CheckIn.commitment_id == commitment.id, CheckIn.note.is_not(None))
            .order_by(CheckIn.scheduled_at.desc())
            .limit(1)
        )
    else:
        others = session.scalars(
            select(Escalation).where(
                Escalation.account_id == account.id,
                Escalation.state != EscalationState.RESOLVED,
                Escalation.id != episode.id,
            )
        ).all()
        if others:
            linked = "Related open escalations: " + ", ".join(
                f"#{e.id} ({e.kind.replace('_', ' ')})" for e in others
            )
    if episode.level >= 2:
        manager = (
            f"<@{account.manager_user_id}> (manager)"
            if account.manager_user_id
            else "the manager (none is set for this account)"
        )
        mentions = f"{manager} and <@{account.csm_user_id}>"
    else:
        mentions = f"<@{account.csm_user_id}>"
    return EscalationView(
        escalation_id=episode.id,
        kind=episode.kind,
        level=episode.level,
        state=episode.state.value,
        account_name=account.name,
        side=episode.side.value,
        summary=episode.summary or "",
        mentions=mentions,
        owner_user_id=owner,
        action=action,
        marks=marks,
        agreed=agreed,
        last_note=last_note,
        linked=linked,
        acknowledged=f"Acknowledged by <@{episode.acknowledged_by}>." if episode.acknowledged_by else None,
        resolved=(
            f"Resolved{' by <@' + episode.resolved_by + '>' if episode.resolved_by else ''}: {escape(episode.resolution_note or '')}"
            if episode.state is EscalationState.RESOLVED
            else None
        ),
        at_risk=account.at_risk and episode.kind == "customer_slip" and episode.level >= 2,
    )


def publish(
    sessions: sessionmaker[Session], gateway: SlackGateway, escalation_id: int, *, now: datetime
) -> bool:
    """Post the episode once; every later change updates that same message. True when Slack has it.

    A post Slack refuses is never dropped: the episode stays `post_pending` and every clock pass
    tries again; a permanent refusal (not in the channel, archived…) is also told to the CSM by DM
    and written in the diary. The first post is claimed with a guarded UPDATE, so two clocks never
    post one episode twice; only a clock that dies between posting and recording can (the post is
    then made again once the claim is ten minutes old — a second copy beats none).
    """
    with sessions.begin() as session:
        episode = session.get_one(Escalation, escalation_id)
        if episode.message_ts is None:
            claimed = rows_changed(
                session,
                update(Escalation)
                .where(Escalation.id == escalation_id, Escalation.message_ts.is_(None))
                .where(
                    (Escalation.post_claimed_at.is_(None))
                    | (Escalation.post_claimed_at < now - ABANDONED_POST)
                    | (Escalation.post_pending.is_(True))
                )
                .values(post_claimed_at=now, post_pending=False, post_attempts=Escalation.post_attempts + 1),
            )
            if claimed != 1:
                return False  # another pass is posting it right now
            session.refresh(episode)
        view = view_of(session, episode)
        channel = episode.channel_id or session.get_one(Account, episode.account_id).escalation_channel_id
        ts = episode.message_ts
    text, blocks = escalation_text(view), escalation_blocks(view)
    try:
        if ts is None:
            posted = gateway.post_message(channel, text=text, blocks=blocks)
            _posted(sessions, escalation_id, channel=posted.channel, ts=posted.ts, now=now)
        else:
            gateway.update_message(channel=channel, ts=ts, text=text, blocks=blocks)
            with sessions.begin() as session:
                session.execute(
                    update(Escalation)
                    .where(Escalation.id == escalation_id)
                    .values(post_pending=False, post_error=None)
                )
    except SlackDeliveryError as exc:
        _post_failed(sessions, gateway, escalation_id, error=exc.error, now=now)
        return False
    return True


def _posted(
    sessions: sessionmaker[Session], escalation_id: int, *, channel: str, ts: str, now: datetime
) -> None:
    """Recorded with its message; only now does the diary say the vendor's team was told."""
    with sessions.begin() as session:
        session.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.message_ts.is_(None))
            .values(channel_id=channel, message_ts=ts, post_pending=False, post_error=None)
        )
        episode = session.get_one(Escalation, escalation_id)
        account = session.get_one(Account, episode.account_id)
        commitment = session.get(Commitment, episode.commitment_id) if episode.commitment_id else None
        what = f" (“{escape(commitment.action)}”)" if commitment else ""
        diary.record(
            session,
            account=account,
            kind="escalation_opened",
            text=f"{episode.summary or ''}{what} Raised with the vendor's team"
            + (", manager included." if episode.level >= 2 else "."),
            at=now,
            side=episode.side,
            commitment_id=episode.commitment_id,
            escalation_id=episode.id,
            dedupe_key=f"escalation:{episode.id}:opened",
        )


def _post_failed(
    sessions: sessionmaker[Session], gateway: SlackGateway, escalation_id: int, *, error: str, now: datetime
) -> None:
    with sessions.begin() as session:
        episode = session.get_one(Escalation, escalation_id)
        episode.post_pending = True
        episode.post_error = error[:200]
        account = session.get_one(Account, episode.account_id)
        channel = episode.channel_id or account.escalation_channel_id
        tell = classify(error) is not Failure.TRANSIENT and not episode.post_problem_reported
        if tell:
            episode.post_problem_reported = True
            diary.record(
                session,
                account=account,
                kind="escalation_unposted",
                text=f"{episode.summary or ''} An escalation was opened but could not be posted for the vendor's "
                f"team in <#{channel}> ({plain(error)}); the CSM was told and it is retried every minute.",
                at=now,
                side=episode.side,
                commitment_id=episode.commitment_id,
                escalation_id=episode.id,
                dedupe_key=f"escalation:{episode.id}:unposted",
            )
        csm, name = account.csm_user_id, account.name
    log.warning("escalation %s not posted in %s: %s", escalation_id, channel, error)
    if tell:
        try:
            gateway.post_message(
                csm,
                text=f"I couldn't post an escalation about {escape(name)} in <#{channel}>: {plain(error)}. "
                "Invite me to the channel (or set another with `/accountability account edit`); I keep "
                "trying every minute, and it is in the diary meanwhile.",
            )
        except SlackDeliveryError as exc:
            log.warning("could not tell %s about escalation %s: %s", csm, escalation_id, exc.error)


def retry_pending_posts(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """Every pass: the posts and updates Slack refused before, and first posts a dead clock left."""
    with sessions() as session:
        pending = list(
            session.scalars(
                select(Escalation.id)
                .where(
                    (Escalation.post_pending.is_(True))
                    | (Escalation.message_ts.is_(None) & (Escalation.post_claimed_at < now - ABANDONED_POST))
                )
                .where(~((Escalation.state == EscalationState.RESOLVED) & Escalation.message_ts.is_(None)))
                .order_by(Escalation.id)
            )
        )
    return sum(1 for escalation_id in pending if publish(sessions, gateway, escalation_id, now=now))
