"""The digest as a Slack post, a CSV table and plain text, readable at any portfolio size.

The post shows the accounts needing attention first and at most a screenful of each list; whatever is
cut is said in the post and is in the CSV attached in the thread. Blocks are built with slack_sdk's
model classes, which check Slack's per-block limits; the 50-block message limit is kept by the fixed
set of sections below.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

from bot.checkins.message import SECTION_LIMIT, TEXT_LIMIT, truncate
from bot.checkins.schedule import zone
from bot.digest.attention import AwaitingAgreement, OpenEpisode, SilentCommitment, UnsureAnswer
from bot.digest.figures import TREND_THRESHOLD, TREND_WEEKS, AccountScore, SideScore
from bot.digest.report import DigestReport
from bot.digest.reviews import AccountReview
from bot.escalation.message import KIND_TITLES
from bot.escalation.risk import Repeat, RiskCleared
from bot.escalation.signoff import WaitingAutopsy
from bot.slack.mrkdwn import escape
from models import Side

MAX_ACCOUNTS_SHOWN = 15
MAX_LIST_SHOWN = 8
MAX_BLOCKS = 50
FOOTER = (
    "Skipped and paused check-ins count for neither side. "
    "`/accountability digest <Account>` posts one account's digest at any time."
)
CSV_COLUMNS = (
    "account",
    "csm",
    "at_risk",
    "open_escalations",
    "customer_kept",
    "customer_checkins",
    "customer_percent",
    "customer_previous_4_weeks_percent",
    "customer_trend",
    "vendor_kept",
    "vendor_checkins",
    "vendor_percent",
    "vendor_previous_4_weeks_percent",
    "vendor_trend",
)


def period_words(report: DigestReport) -> str:
    tz = ZoneInfo(report.tz)
    start, end = report.period_start.astimezone(tz), report.period_end.astimezone(tz)
    return f"{start:%a %d %b} – {end:%a %d %b %Y %H:%M} ({report.tz})"


def rate_words(score: SideScore) -> str:
    moved = score.week.renegotiated
    renegotiated = f" · {moved} renegotiated" if moved else ""
    if score.week.total == 0:
        return "no check-ins" + renegotiated
    kept = f"{score.week.kept:g}"
    trend = f" {score.trend}" if score.trend else ""
    return f"kept {kept} of {score.week.total} ({round(score.week.percent)} %){trend}{renegotiated}"


def _account_line(score: AccountScore) -> str:
    flags = []
    if score.at_risk:
        flags.append("⚠️ at risk")
    if score.open_escalations:
        n = score.open_escalations
        flags.append(f"{n} open escalation{'s' if n != 1 else ''}")
    head = f"*{escape(score.name)}*" + (" · " + " · ".join(flags) if flags else "")
    return f"{head}\n    Customer {rate_words(score.customer)} · Vendor {rate_words(score.vendor)}"


def _sections(lines: list[str]) -> list[SectionBlock]:
    """Lines packed into as few sections as Slack's 3,000-character limit allows."""
    sections: list[SectionBlock] = []
    chunk = ""
    for line in lines:
        line = truncate(line, SECTION_LIMIT)
        if chunk and len(chunk) + 1 + len(line) > SECTION_LIMIT:
            sections.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        sections.append(SectionBlock(text=MarkdownTextObject(text=chunk)))
    return sections


def _listed(
    title: str, items: list[Any], line: Callable[[Any], str], *, limit: int = MAX_LIST_SHOWN
) -> list[str]:
    if not items:
        return []
    lines = [f"*{title}* ({len(items)})"] + [f"• {line(item)}" for item in items[:limit]]
    if len(items) > limit:
        lines.append(f"…and {len(items) - limit} more.")
    return lines


def _person(report: DigestReport, user_id: str) -> str:
    return escape(report.people.get(user_id) or user_id)


def digest_blocks(report: DigestReport, *, now: datetime, heading: str) -> list[dict[str, Any]]:
    blocks = _opening(report, heading=heading)
    blocks += _sections(_scorecard_lines(report))
    blocks += _sections(_review_lines(report))
    attention = [
        "\n".join(lines)
        for lines in (
            _listed("Open escalations", report.episodes, lambda e: _episode_line(report, e, now=now)),
            _listed("Accounts at risk", report.at_risk, lambda a: escape(a.name)),
            _listed("At risk again and again", report.repeats, lambda r: _repeat_line(report, r)),
            _listed("Risk cleared", report.risk_cleared, lambda c: _cleared_line(report, c)),
            _listed(
                "Autopsies not yet signed off (over five working days)",
                report.unsigned_autopsies,
                lambda a: _unsigned_line(report, a),
            ),
            _listed(
                "Champions unresponsive",
                report.champions_unresponsive,
                lambda e: (
                    f"{escape(e.account)} — {_person(report, e.champion_user_id)}, {_days(e.age_days(now))}"
                ),
            ),
            _listed(
                "Agreements awaiting the champion", report.awaiting, lambda a: _awaiting_line(a, now=now)
            ),
            _listed("No check-in this week", report.silent, lambda c: _silent_line(report, c)),
            _listed(
                "Check-ins that could not be delivered",
                report.undeliverable,
                lambda u: (
                    f"{escape(u.account)} — {_person(report, u.user_id)}: {u.reason} "
                    f"({u.checkins} check-in{'s' if u.checkins != 1 else ''})"
                ),
            ),
            _listed("Not sure about next week", report.unsure, lambda u: _unsure_line(report, u)),
            _listed("Waiting on each other", report.chains, lambda c: c.words()),
            _listed(
                "Dates moved again and again (last 12 weeks)",
                report.serial,
                lambda c: (
                    f"{escape(c.account)} #{c.commitment_id} ({c.side.value}, {_person(report, c.owner_user_id)}) — "
                    f"“{escape(c.action)}” moved {c.times} times"
                ),
            ),
        )
        if lines
    ]
    if attention:
        blocks.append(DividerBlock())
        blocks += _sections(attention)
    blocks.append(DividerBlock())
    blocks += _sections(_pattern_lines(report))
    blocks = blocks[: MAX_BLOCKS - 1]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=FOOTER)]))
    return [b.to_dict() for b in blocks]


def _repeat_line(report: DigestReport, r: Repeat) -> str:
    tz = zone(report.tz)
    return f"{escape(r.account)} — {r.phrase(tz)}. {escape(r.pointer(tz))}"


def _cleared_line(report: DigestReport, c: RiskCleared) -> str:
    at = c.at.astimezone(zone(report.tz))
    return f"{escape(c.account)} — cleared {at:%a %d %b} by {_person(report, c.by)}: {escape(c.reason)}"


def _unsigned_line(report: DigestReport, a: WaitingAutopsy) -> str:
    at = a.created_at.astimezone(zone(report.tz))
    waiting = ", ".join(_person(report, u) for u in a.waiting_on)
    return (
        f"{escape(a.account)} — recorded {at:%d %b}, {a.signed} of {a.named} signed off; waiting on {waiting}"
    )


def _opening(report: DigestReport, *, heading: str) -> list[Block]:
    """The heading, what the figures mean, and the portfolio's week on each side."""
    n = len(report.accounts)
    return [
        HeaderBlock(text=truncate(heading, 150)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{period_words(report)} · {n} account"
                    f"{'s' if n != 1 else ''} · kept = Done (Partly half) of check-ins "
                    f"answered or left unanswered · trend against the previous {TREND_WEEKS} weeks "
                    f"(↑ ↓ at {TREND_THRESHOLD:g} points or more)"
                )
            ]
        ),
        SectionBlock(
            text=MarkdownTextObject(
                text="*Portfolio this week*\n"
                f"Customer side {rate_words(report.portfolio[Side.CUSTOMER])}\n"
                f"Vendor side {rate_words(report.portfolio[Side.VENDOR])}"
            )
        ),
        DividerBlock(),
    ]


def _scorecard_lines(report: DigestReport) -> list[str]:
    shown = report.accounts[:MAX_ACCOUNTS_SHOWN]
    lines = ["*Joint scorecards* (needing attention first)"] + [_account_line(s) for s in shown]
    if len(report.accounts) > len(shown):
        lines.append(
            f"…and {len(report.accounts) - len(shown)} more accounts: the full table is in the CSV in the thread."
        )
    return lines


def _review_lines(report: DigestReport) -> list[str]:
    """Each account's weekly review of the period: who is confident about next week and who is not."""
    if not report.reviews:
        return []
    shown = report.reviews[:MAX_ACCOUNTS_SHOWN]
    lines = ["*Weekly reviews* — confident about next week?"] + [_review_line(report, r) for r in shown]
    if len(report.reviews) > len(shown):
        lines.append(f"…and {len(report.reviews) - len(shown)} more accounts.")
    return lines


def _review_line(report: DigestReport, review: AccountReview) -> str:
    if not review.posted:
        return f"{escape(review.account)} — the review could not be posted in the shared channel"
    if not review.answers:
        return f"{escape(review.account)} — no answers"
    parts = []
    for title, answers in (("confident", review.confident), ("not sure", review.unsure)):
        if answers:
            names = ", ".join(f"{_person(report, a.user_id)} ({a.side})" for a in answers)
            parts.append(f"{title}: {names}")
    return f"{escape(review.account)} — " + " · ".join(parts)


def _unsure_line(report: DigestReport, answer: UnsureAnswer) -> str:
    note = f": “{escape(truncate(answer.note, 150))}”" if answer.note else ""
    return f"{escape(answer.account)} — {_person(report, answer.user_id)} ({answer.side}){note}"


def _episode_line(report: DigestReport, e: OpenEpisode, *, now: datetime) -> str:
    title = KIND_TITLES.get(e.kind, e.kind)
    return (
        f"{escape(e.account)} — "
        + (f"<{e.permalink}|{title}>" if e.permalink else title)
        + (f" (#{e.commitment_id} “{escape(truncate(e.action or '', 60))}”)" if e.commitment_id else "")
        + f", {_days(e.age_days(now))}"
        + (", raised to the manager" if e.level >= 2 else "")
        + (
            f", acknowledged by {_person(report, e.acknowledged_by)}"
            if e.acknowledged_by
            else ", *not acknowledged*"
        )
    )


def _awaiting_line(a: AwaitingAgreement, *, now: datetime) -> str:
    return (
        f"{escape(a.account)} — version {a.version}, posted {_days(max(0, (now - a.posted_at).days))} ago"
        + (" (asked to discuss)" if a.discuss else "")
    )


def _silent_line(report: DigestReport, c: SilentCommitment) -> str:
    return (
        f"{escape(c.account)} #{c.commitment_id} ({c.side.value}, {_person(report, c.owner_user_id)}) — "
        f"{c.reason}"
    )


def _pattern_lines(report: DigestReport) -> list[str]:
    patterns = report.patterns
    total = sum(patterns.misses.values())
    lines = ["*Patterns — the last quarter*"]
    if total:
        lines.append(
            "Misses by side: "
            + " · ".join(
                f"{side.value} {round(patterns.miss_share(side))} % ({patterns.misses[side]})"
                for side in Side
            )
        )
    else:
        lines.append("No missed check-ins.")
    moved = patterns.renegotiations
    if any(moved.values()):
        lines.append(
            "Dates renegotiated by side (not misses): "
            + " · ".join(f"{side.value} {moved.get(side, 0)}" for side in Side)
        )
    if patterns.causes:
        autopsies = f"{patterns.autopsies} autops{'ies' if patterns.autopsies != 1 else 'y'}"
        lines.append(f"Root causes named in {autopsies} (accounts naming each):")
        lines += [
            f"• {escape(c.cause)} ({c.side.value}) — {c.accounts}" for c in patterns.causes[:MAX_LIST_SHOWN]
        ]
        if len(patterns.causes) > MAX_LIST_SHOWN:
            lines.append(f"…and {len(patterns.causes) - MAX_LIST_SHOWN} more causes.")
    else:
        lines.append("No autopsies recorded.")
    return lines


def _days(n: int) -> str:
    return "today" if n == 0 else f"{n} day{'s' if n != 1 else ''}"


def digest_text(report: DigestReport, *, heading: str) -> str:
    """The notification and screen-reader text: the headline figures only."""
    open_count = len(report.episodes)
    return truncate(
        f"{escape(heading)}: {len(report.accounts)} accounts. Customer side {rate_words(report.portfolio[Side.CUSTOMER])}; "
        f"vendor side {rate_words(report.portfolio[Side.VENDOR])}. {open_count} open escalation"
        f"{'s' if open_count != 1 else ''}, {len(report.at_risk)} at risk.",
        TEXT_LIMIT,
    )


def needs_table(report: DigestReport) -> bool:
    """The CSV goes into the thread whenever the post could not show every account or list item."""
    lists: Iterable[int] = (
        len(report.episodes),
        len(report.at_risk),
        len(report.champions_unresponsive),
        len(report.awaiting),
        len(report.silent),
        len(report.undeliverable),
        len(report.unsure),
        len(report.serial),
    )
    return len(report.accounts) > MAX_ACCOUNTS_SHOWN or any(n > MAX_LIST_SHOWN for n in lists)


def digest_csv(report: DigestReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for s in report.accounts:
        row: list[Any] = [
            s.name,
            _person(report, s.csm_user_id),
            "yes" if s.at_risk else "no",
            s.open_escalations,
        ]
        for side in (s.customer, s.vendor):
            row += [
                f"{side.week.kept:g}",
                side.week.total,
                f"{side.week.percent:.1f}" if side.week.total else "",
                f"{side.before.percent:.1f}" if side.before.total else "",
                side.trend,
            ]
        writer.writerow(row)
    return out.getvalue()
