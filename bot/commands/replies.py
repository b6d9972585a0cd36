"""The wording of what `/accountability` answers once a subcommand has run. Refusals are worded where
they are raised; everything said on success is here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.accounts.channels import Judged
from bot.accounts.commitments import Commit, CreatedCommitment
from bot.escalation.policy import Policy
from bot.review.schedule import review_words
from bot.slack.mrkdwn import command_word, escape
from models import Account, DiaryEntry, Person


@dataclass(frozen=True)
class Reply:
    """What the person sees: plain text always (notifications, screen readers), blocks when richer."""

    text: str
    blocks: list[dict[str, Any]] | None = None


def slack_did_not_answer(error: str) -> str:
    return f"Slack did not answer as expected ({error}), so nothing was changed. Please try again."


_quoted = command_word


def _where_checkins_go(account: Account) -> str:
    shared = f"<#{account.shared_channel_id}>"
    where = {
        "dm": "Check-ins go to each owner by DM.",
        "channel": f"Check-ins are posted in {shared}, mentioning their owner.",
    }.get(account.checkin_delivery, f"Check-ins go by DM, and to {shared} for anyone DMs don't reach.")
    return (
        f"{where} (`checkins:dm|channel|auto` on the account changes it; "
        "`/accountability person @x checkins:…` for one person.)"
    )


def _shared_words(account: Account, is_ext_shared: bool | None) -> str | None:
    shared = f"<#{account.shared_channel_id}>"
    if is_ext_shared is None:
        return None
    if is_ext_shared:
        return (
            f"{shared} is shared with another organisation: the customer sees the diary and the plan there."
        )
    return (
        f"{shared} is not shared with another organisation: the customer won't see what I post there "
        "unless you invite them to it."
    )


def _review_words(account: Account) -> str:
    words = review_words(account)
    if words == "off":
        return "Weekly review: off (`review:<day> <HH:MM>` turns it on)."
    return f"Weekly review in <#{account.shared_channel_id}>: {words}."


def zone_unknown(user_id: str) -> str:
    return (
        f"Slack has no time zone for <@{user_id}>, so their check-ins use UTC until you set one: "
        f"`/accountability person <@{user_id}> tz:Europe/Paris`"
    )


def zones_unknown_for_csm(user_ids: list[str]) -> str:
    """A DM to the account's CSM when someone else named the people."""
    return "\n".join(zone_unknown(user_id) for user_id in user_ids)


def csm_not_told(csm_user_id: str, reason: str) -> str:
    return f"I couldn't tell <@{csm_user_id}> this by DM ({reason}): please pass it on."


def _account_facts(account: Account, *, judged: Judged, zones_unknown: list[str]) -> str:
    lines = [_where_checkins_go(account)]
    shared = _shared_words(account, judged.shared_is_ext_shared)
    if shared:
        lines.append(shared)
    lines.append(_review_words(account))
    lines += judged.notes
    lines += [zone_unknown(user_id) for user_id in zones_unknown]
    return "\n".join(lines)


def account_created(account: Account, *, judged: Judged, zones_unknown: list[str]) -> str:
    manager = f"manager <@{account.manager_user_id}>, " if account.manager_user_id else ""
    digest = f", digest in <#{account.digest_channel_id}>" if account.digest_channel_id else ""
    return (
        f"Account *{escape(account.name)}* created. Champion <@{account.champion_user_id}>, "
        f"CSM <@{account.csm_user_id}>, {manager}diary in <#{account.shared_channel_id}>, "
        f"escalations in <#{account.escalation_channel_id}>{digest}.\n"
        f"{_account_facts(account, judged=judged, zones_unknown=zones_unknown)}\n"
        f'Next: `/accountability commit {_quoted(account.name)} customer|vendor @owner "agreed action" '
        "every monday`"
    )


def account_updated(account: Account, *, judged: Judged, zones_unknown: list[str]) -> str:
    return (
        f"Account *{escape(account.name)}* updated.\n"
        f"{_account_facts(account, judged=judged, zones_unknown=zones_unknown)}"
    )


def new_champion_agrees(account: Account) -> str:
    return (
        f"The customer's check-ins wait until <@{account.champion_user_id}> agrees to the plan: "
        f"`/accountability agreement {_quoted(account.name)}` puts it to them."
    )


def commitment_recorded(
    command: Commit, created: CreatedCommitment, *, account: Account, owner: Person
) -> str:
    commitment = created.commitment
    tz_name = created.next_checkins[0].tzinfo if created.next_checkins else owner.tz
    when = ", ".join(f"{t:%a %d %b %H:%M}" for t in created.next_checkins) or "none scheduled"
    return (
        f"Recorded {commitment.label} on *{escape(account.name)}* ({command.side.value} side): "
        f"<@{owner.user_id}> — “{escape(commitment.action)}”, {escape(commitment.schedule_text)}.\n"
        + (f"{note}\n" if created.due is not None and (note := created.due.note()) else "")
        + f"Next check-ins ({tz_name}, <@{owner.user_id}>'s time): {when}"
        + (f"\nIt waits on {commitment.waits_on.label}." if commitment.waits_on is not None else "")
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
