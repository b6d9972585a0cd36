"""The wording of what `/accountability` answers once a subcommand has run. Refusals are worded where
they are raised; everything said on success is here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.accounts.commitments import Commit, CreatedCommitment
from bot.escalation.policy import Policy
from bot.slack.mrkdwn import escape
from models import Account, DiaryEntry, Person


@dataclass(frozen=True)
class Reply:
    """What the person sees: plain text always (notifications, screen readers), blocks when richer."""

    text: str
    blocks: list[dict[str, Any]] | None = None


def slack_did_not_answer(error: str) -> str:
    return f"Slack did not answer as expected ({error}), so nothing was changed. Please try again."


def _quoted(name: str) -> str:
    escaped = escape(name)
    return f'"{escaped}"' if " " in name else escaped


def account_created(account: Account) -> str:
    manager = f"manager <@{account.manager_user_id}>, " if account.manager_user_id else ""
    digest = f", digest in <#{account.digest_channel_id}>" if account.digest_channel_id else ""
    return (
        f"Account *{escape(account.name)}* created. Champion <@{account.champion_user_id}>, "
        f"CSM <@{account.csm_user_id}>, {manager}diary in <#{account.shared_channel_id}>, "
        f"escalations in <#{account.escalation_channel_id}>{digest}.\n"
        f'Next: `/accountability commit {_quoted(account.name)} customer|vendor @owner "agreed action" '
        "every monday`"
    )


def account_updated(account: Account) -> str:
    return f"Account *{escape(account.name)}* updated."


def commitment_recorded(
    command: Commit, created: CreatedCommitment, *, account: Account, owner: Person
) -> str:
    commitment = created.commitment
    tz_name = created.next_checkins[0].tzinfo if created.next_checkins else owner.tz
    when = ", ".join(f"{t:%a %d %b %H:%M}" for t in created.next_checkins) or "none scheduled"
    return (
        f"Recorded {commitment.label} on *{escape(account.name)}* ({command.side.value} side): "
        f"<@{owner.user_id}> — “{escape(commitment.action)}”, {escape(commitment.schedule_text)}.\n"
        f"Next check-ins ({tz_name}, <@{owner.user_id}>'s time): {when}"
        + (
            f"\nCustomer check-ins start once <@{account.champion_user_id}> agrees to the plan: "
            f"`/accountability agreement {_quoted(account.name)}`"
            if commitment.agreed_at is None
            else ""
        )
    )


def policy_shown(account: Account, policy: Policy) -> str:
    return f"*Escalation policy for {escape(account.name)}*\n{policy.text()}"


def policy_changed_entry(changes: tuple[tuple[str, int], ...]) -> str:
    """The diary's line for a policy change (the diary is read by both sides)."""
    return "Escalation policy changed: " + ", ".join(f"{k} {v}" for k, v in changes) + "."


def policy_updated(account: Account, policy: Policy) -> str:
    return f"Escalation policy for {escape(account.name)} updated:\n{policy.text()}"


def correction_recorded(correction: DiaryEntry, *, entry: DiaryEntry, account: Account) -> str:
    return (
        f"Recorded correction #{correction.id} to entry #{entry.id} of {escape(account.name)}; "
        "the original stays in the diary."
    )


def exported(count: int, *, name: str, filename: str) -> str:
    return f"Exported {count} diary entries of {escape(name)} as {filename}: it's in your DM with me."


def export_comment(count: int, *, name: str) -> str:
    return f"The accountability diary of {escape(name)}: {count} entries."


def autopsy_recorded(account: Account, *, causes: int, corrective_ids: list[int]) -> str:
    fixes = f" Corrective commitment #{corrective_ids[0]} recorded." if corrective_ids else ""
    return f"Autopsy recorded for {escape(account.name)}: {causes} causes.{fixes}"
