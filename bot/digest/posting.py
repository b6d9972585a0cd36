"""Posting digests: the clock's weekly one, exactly once per channel and period, and one on request.

Each digest channel gets one post covering every account that reports there (an account's own digest
channel, else the workspace default). The weekly post is claimed by inserting its row, unique on
(team, channel, period end), before anything is sent; Slack refusing the post releases it for the next
pass (three attempts); a claim left by a process that died mid-post is taken over by any clock once its
ten-minute lease has run out (`_retry_abandoned`): a manager would rather read a digest twice than miss it.
The chart and the CSV go into the thread afterwards and never undo the post.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.accounts.access import Actor, manage_refusal, may_manage
from bot.accounts.registry import find_account
from bot.digest.chart import chart_png, chart_title
from bot.digest.message import MAX_LIST_SHOWN, digest_blocks, digest_csv, digest_text, needs_table
from bot.digest.report import DigestReport, build_digest
from bot.digest.settings import DigestSchedule, load_schedules
from bot.errors import Refusal
from bot.slack.errors import Failure, classify
from bot.slack.gateway import SlackDeliveryError, SlackGateway
from bot.slack.mrkdwn import escape
from models import Account, Digest
from models.db import insert_once, rows_changed

log = logging.getLogger(__name__)

WEEKLY, REQUESTED = "weekly", "requested"
MAX_ATTEMPTS = 3
# A claim this old belongs to a pass that died mid-post.
ABANDONED_CLAIM = timedelta(minutes=10)
# A weekly digest the clock reaches later than this is stale: the next week's will be along.
LATE_LIMIT = timedelta(days=2)
NO_CHANNEL = (
    "Set one for the account with `/accountability account edit <Account> digest:#channel`, or a workspace "
    "default with `/accountability digest channel #channel` (admins)."
)


@dataclass(frozen=True)
class Target:
    """One digest channel and the accounts that report there."""

    team_id: str
    enterprise_id: str | None
    channel_id: str
    account_ids: tuple[int, ...]
    schedule: DigestSchedule
    first_created: datetime


def _targets(session: Session, accounts: list[Account]) -> tuple[list[Target], list[Account]]:
    """The channels these accounts report to, and the accounts that have nowhere to report."""
    schedules = load_schedules(session, sorted({a.team_id for a in accounts}))
    grouped: dict[tuple[str, str], list[Account]] = defaultdict(list)
    homeless: list[Account] = []
    for account in accounts:
        channel = account.digest_channel_id or schedules[account.team_id].channel_id
        if channel is None:
            homeless.append(account)
        else:
            grouped[(account.team_id, channel)].append(account)
    targets = [
        Target(
            team_id=team_id,
            enterprise_id=members[0].enterprise_id,
            channel_id=channel,
            account_ids=tuple(a.id for a in members),
            schedule=schedules[team_id],
            first_created=min(a.created_at for a in members),
        )
        for (team_id, channel), members in sorted(grouped.items())
    ]
    return targets, homeless


def post_due_digests(sessions: sessionmaker[Session], gateway: SlackGateway, *, now: datetime) -> int:
    """The clock's step: post each channel's weekly digest once its hour has come. Returns posts made.

    Only workspaces with an account whose stored bound has come (`Account.next_digest_at`) are read,
    and their accounts only while a digest can still be due; once it is dealt with, the bounds move
    to the next digest instant."""
    _retry_abandoned(sessions, now=now)
    with sessions() as session:
        # Deduplicated here: SELECT DISTINCT makes SQLite walk an index on the team instead.
        teams = sorted(set(session.scalars(select(Account.team_id).where(_bound_come(now)))))
        if not teams:
            return 0
        schedules = load_schedules(session, teams)
        # A week's digest past its late limit is never posted: those workspaces' accounts need no reading.
        reporting = [team for team in teams if now - schedules[team].latest_due(now) <= LATE_LIMIT]
        accounts = (
            list(session.scalars(select(Account).where(Account.team_id.in_(reporting)))) if reporting else []
        )
        targets, _ = _targets(session, accounts)
        due = [(t, t.schedule.latest_due(now)) for t in targets]
        due = [(t, end) for t, end in due if now - end <= LATE_LIMIT and t.first_created < end]
        settled = _settled(session, [end for _, end in due])
    posted = 0
    for target, period_end in due:
        if (target.team_id, target.channel_id, period_end) in settled:
            continue
        period_start, _ = target.schedule.period_before(period_end)
        digest_id = _claim(sessions, target, kind=WEEKLY, start=period_start, end=period_end, now=now)
        if digest_id is None:
            continue
        if _publish(sessions, gateway, digest_id, target, heading="Weekly accountability digest", now=now):
            posted += 1
    _move_bounds(sessions, teams=teams, due=due, now=now)
    return posted


def _bound_come(now: datetime) -> ColumnElement[bool]:
    """Accounts whose digest bound has come, or that have none yet. Not ordered by the query, so SQLite
    reads them through the index on the bound."""
    return or_(Account.next_digest_at.is_(None), Account.next_digest_at <= now)


def _move_bounds(
    sessions: sessionmaker[Session], *, teams: list[str], due: list[tuple[Target, datetime]], now: datetime
) -> None:
    """Each workspace looked at whose digests are dealt with (posted, given up on, or not due) gets its
    next digest instant as its accounts' bound. One with a digest still due — being posted, or refused
    and to be tried again — keeps it, so later passes go on looking until it is posted or too late.

    The schedule is read again here, so a change made while the digest was being posted is counted
    (the change resets the bounds to None; this recomputes from it)."""
    with sessions.begin() as session:
        ends = sorted({end for _, end in due})
        finished = (
            {
                (team_id, channel_id, end)
                for team_id, channel_id, end, state, attempts in session.execute(
                    select(
                        Digest.team_id, Digest.channel_id, Digest.period_end, Digest.state, Digest.attempts
                    ).where(Digest.kind == WEEKLY, Digest.period_end.in_(ends))
                )
                if state == "posted" or (state == "failed" and attempts >= MAX_ATTEMPTS)
            }
            if ends
            else set()
        )
        waiting = {t.team_id for t, end in due if (t.team_id, t.channel_id, end) not in finished}
        schedules = load_schedules(session, teams)
        for team in teams:
            if team in waiting:
                continue
            session.execute(
                update(Account)
                .where(Account.team_id == team, _bound_come(now))
                .values(next_digest_at=schedules[team].next_due(now))
            )


def _retry_abandoned(sessions: sessionmaker[Session], *, now: datetime) -> None:
    """A post whose clock died mid-flight is made again: whether Slack got it can't be known without
    reading the channel (a scope the bot does not ask for), and a manager missing a week's digest is
    worse than seeing it twice. Read first, write only when there is something to mark: an idle pass
    takes no write lock."""
    stale = Digest.state == "claimed", Digest.claimed_at < now - ABANDONED_CLAIM
    with sessions() as session:
        if session.scalar(select(Digest.id).where(*stale).limit(1)) is None:
            return
    with sessions.begin() as session:
        session.execute(update(Digest).where(*stale).values(state="failed", last_error="interrupted"))
        log.warning("a digest post was interrupted mid-flight; it is posted again")


def _settled(session: Session, ends: list[datetime]) -> set[tuple[str, str, datetime]]:
    """Weekly digests already posted, being posted or given up on: one read, so a pass with nothing
    to post writes nothing."""
    if not ends:
        return set()
    rows = session.execute(
        select(Digest.team_id, Digest.channel_id, Digest.period_end).where(
            Digest.kind == WEEKLY,
            Digest.period_end.in_(sorted(set(ends))),
            (Digest.state != "failed") | (Digest.attempts >= MAX_ATTEMPTS),
        )
    ).all()
    return {(team_id, channel_id, end) for team_id, channel_id, end in rows}


def _claim(
    sessions: sessionmaker[Session],
    target: Target,
    *,
    kind: str,
    start: datetime,
    end: datetime,
    now: datetime,
    requested_by: str | None = None,
) -> int | None:
    """The digest row this caller may post, or None when it is posted, being posted, or given up on."""
    with sessions.begin() as session:
        digest_id: int | None = insert_once(
            session,
            Digest,
            {
                "team_id": target.team_id,
                "enterprise_id": target.enterprise_id,
                "channel_id": target.channel_id,
                "kind": kind,
                "period_start": start,
                "period_end": end,
                "state": "claimed",
                "attempts": 0,
                "claimed_at": now,
                "requested_by": requested_by,
                "accounts": len(target.account_ids),
            },
            unique=["team_id", "channel_id", "kind", "period_end"],
        )
        if digest_id is not None:
            return digest_id
        retry = session.scalar(
            select(Digest.id).where(
                Digest.team_id == target.team_id,
                Digest.channel_id == target.channel_id,
                Digest.kind == kind,
                Digest.period_end == end,
                Digest.state == "failed",
                Digest.attempts < MAX_ATTEMPTS,
            )
        )
        if retry is None:
            return None
        won = rows_changed(
            session,
            update(Digest)
            .where(Digest.id == retry, Digest.state == "failed")
            .values(state="claimed", claimed_at=now),
        )
        return retry if won == 1 else None


def _publish(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    digest_id: int,
    target: Target,
    *,
    heading: str,
    now: datetime,
) -> bool:
    with sessions() as session:
        digest = session.get_one(Digest, digest_id)
        accounts = list(
            session.scalars(select(Account).where(Account.id.in_(target.account_ids)).order_by(Account.id))
        )
        report = build_digest(session, accounts, schedule=target.schedule, period_end=digest.period_end)
    report = with_post_links(gateway, report)
    try:
        posted = gateway.post_message(
            target.channel_id,
            text=digest_text(report, heading=heading),
            blocks=digest_blocks(report, now=now, heading=heading),
        )
    except SlackDeliveryError as exc:
        # Only refusals that can't pass by themselves count towards giving up; a 5xx, a dropped
        # connection or a 429 is tried again on every pass until the digest is too late to matter.
        counted = 1 if classify(exc.error) is not Failure.TRANSIENT else 0
        with sessions.begin() as session:
            session.execute(
                update(Digest)
                .where(Digest.id == digest_id)
                .values(state="failed", attempts=Digest.attempts + counted, last_error=exc.error[:200])
            )
        log.warning(
            "digest %s to %s not posted: %s failed: %s", digest_id, target.channel_id, exc.method, exc.error
        )
        return False
    with sessions.begin() as session:
        session.execute(
            update(Digest)
            .where(Digest.id == digest_id)
            .values(
                state="posted",
                attempts=Digest.attempts + 1,
                message_ts=posted.ts,
                posted_at=now,
                accounts=len(accounts),
            )
        )
    problem = _attach(gateway, report, target, thread_ts=posted.ts)
    if problem:
        with sessions.begin() as session:
            session.execute(
                update(Digest).where(Digest.id == digest_id).values(attachments_error=problem[:200])
            )
    return True


def with_post_links(gateway: SlackGateway, report: DigestReport) -> DigestReport:
    """Each open escalation the digest shows, linked to its post (chat.getPermalink). A link Slack won't
    give (the post deleted, the channel gone) is logged and left out: the digest goes out without it."""
    linked = []
    for index, episode in enumerate(report.episodes):
        if index < MAX_LIST_SHOWN and episode.channel_id and episode.message_ts:
            try:
                link = gateway.permalink(channel=episode.channel_id, ts=episode.message_ts)
            except SlackDeliveryError as exc:
                log.warning(
                    "digest: no link to the escalation post %s in %s: %s failed: %s",
                    episode.message_ts,
                    episode.channel_id,
                    exc.method,
                    exc.error,
                )
            else:
                episode = replace(episode, permalink=link)
        linked.append(episode)
    return replace(report, episodes=linked)


def _attach(gateway: SlackGateway, report: DigestReport, target: Target, *, thread_ts: str) -> str | None:
    """The chart and, when the post had to cut, the full table; a failure is reported, not raised."""
    stamp = f"{report.period_end.astimezone(target.schedule.zone):%Y-%m-%d}"
    problems: list[str] = []
    if target.schedule.chart:
        try:
            # One account's digest names it on the chart: an image saved or forwarded keeps saying whose.
            account = report.accounts[0].name if len(report.accounts) == 1 else None
            png = chart_png(report.weekly, title=chart_title(account=account, stamp=stamp))
            gateway.upload_file(
                channel=target.channel_id,
                filename=f"kept-rate-{stamp}.png",
                content=png,
                title=f"Kept-rate per side — 12 weeks to {stamp}",
                thread_ts=thread_ts,
                alt_txt="Line chart of the weekly kept-rate of the customer side and the vendor side "
                + (f"of {account} " if account else "")
                + "over the last twelve weeks, each point labelled with the check-ins it counts.",
            )
        except SlackDeliveryError as exc:
            log.warning(
                "digest chart to %s not attached: %s failed: %s", target.channel_id, exc.method, exc.error
            )
            problems.append(f"chart: {exc.error}")
        except Exception as exc:  # the chart is optional: a drawing fault must not stop other digests
            log.exception("digest chart failed")
            problems.append(f"chart: {type(exc).__name__}")
    if needs_table(report):
        try:
            gateway.upload_file(
                channel=target.channel_id,
                filename=f"digest-{stamp}.csv",
                content=digest_csv(report),
                title=f"Digest table — {len(report.accounts)} accounts",
                thread_ts=thread_ts,
            )
        except SlackDeliveryError as exc:
            log.warning(
                "digest table to %s not attached: %s failed: %s", target.channel_id, exc.method, exc.error
            )
            problems.append(f"table: {exc.error}")
    return "; ".join(problems) or None


def post_digest_now(
    sessions: sessionmaker[Session],
    gateway: SlackGateway,
    *,
    actor: Actor,
    account_name: str | None,
    now: datetime,
) -> str:
    """`/accountability digest [<Account>]`: the 7 days up to now, to the channels the accounts report to.

    With an account: its CSM or an admin. Without: an admin gets every account, a CSM their own.
    """
    with sessions() as session:
        if account_name is not None:
            account = find_account(session, team_id=actor.team_id, name=account_name)
            if not may_manage(actor, account):
                raise Refusal(manage_refusal(account))
            accounts = [account]
        else:
            query = select(Account).where(Account.team_id == actor.team_id)
            if not actor.is_admin:
                query = query.where(Account.csm_user_id == actor.user_id)
            accounts = list(session.scalars(query.order_by(Account.name_key)))
            if not accounts:
                raise Refusal(
                    "You are not the CSM of any account, so there is nothing to put in a digest. "
                    "Name an account: `/accountability digest <Account>`."
                )
        targets, homeless = _targets(session, accounts)
    if not targets:
        names = ", ".join(escape(a.name) for a in homeless)
        raise Refusal(f"{names} {'has' if len(homeless) == 1 else 'have'} no digest channel. {NO_CHANNEL}")
    heading = f"Accountability digest — {accounts[0].name}" if account_name else "Accountability digest"
    posted: list[str] = []
    refused: list[str] = []
    for target in targets:
        start, end = target.schedule.period_before(now)
        digest_id = _claim(
            sessions, target, kind=REQUESTED, start=start, end=end, now=now, requested_by=actor.user_id
        )
        n = len(target.account_ids)
        if digest_id is None:
            posted.append(f"<#{target.channel_id}> (a moment ago, by the same request)")
        elif _publish(sessions, gateway, digest_id, target, heading=heading, now=now):
            posted.append(f"<#{target.channel_id}> ({n} account{'s' if n != 1 else ''})")
        else:
            refused.append(f"<#{target.channel_id}>")
    lines = []
    if posted:
        lines.append("Digest posted to " + ", ".join(posted) + ".")
    if refused:
        lines.append(
            "Slack refused the digest for " + ", ".join(refused) + "; nothing was posted there. "
            "Check that I am a member of the channel, then try again."
        )
    if homeless:
        lines.append(
            f"Not included, no digest channel: {', '.join(escape(a.name) for a in homeless)}. {NO_CHANNEL}"
        )
    return "\n".join(lines)
