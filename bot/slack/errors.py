"""What a failed Slack call means for the work behind it: try again later, give up and tell someone,
or stop sending for the whole workspace until it is fixed. One table, used by every sender.

Slack answers an error in three ways: HTTP 5xx or a dropped connection (its side, passing), 429
with `Retry-After` (ours, passing), and `ok: false` with an error code. The codes below are from
Slack's Web API reference for `chat.postMessage`, `chat.update` and `conversations.open`.
"""

from __future__ import annotations

from enum import StrEnum


class Failure(StrEnum):
    TRANSIENT = "transient"  # retry on a later pass, with back-off
    PERMANENT = "permanent"  # this message can never go there: record it and tell a person
    WORKSPACE = "workspace"  # the token itself is refused: stop this pass's sending, keep all of it due


# The recipient or the place can't take the message: retrying only repeats the refusal.
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "user_not_visible",
        "user_disabled",
        "cannot_dm_bot",
        "invalid_user_combination",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "ekm_access_denied",
        "not_allowed_token_type",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "too_many_attachments",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "messages_tab_disabled",
        "user_is_restricted",
    }
)

# A direct message can't reach this person from us: another organisation's Slack Connect policy, a
# "post only" guest, DMs from apps turned off, someone we can't see. Where check-ins may go to the
# shared channel instead (`auto`), they go there; `user_not_found` counts only for someone of another
# organisation — one of the vendor's own people Slack can't find is gone, and can't be reached anywhere.
CANNOT_DM_ERRORS = frozenset(
    {
        "cannot_dm_bot",
        "invalid_user_combination",
        "user_not_visible",
        "not_allowed_token_type",
        "restricted_action",
        "messages_tab_disabled",
        "user_is_restricted",
        "user_not_found",
    }
)

# The workspace's token no longer works: nothing for anyone will go out until an admin acts, and
# nothing that fell due meanwhile may be lost.
WORKSPACE_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "team_access_not_granted",
        "missing_scope",
        "org_login_required",
        "team_is_restricted",
    }
)

# Not Slack's: the person a channel check-in is for is not a member of the shared channel.
NOT_IN_SHARED_CHANNEL = "owner_not_in_channel"

# What a person is told, in plain words, instead of an error code: every permanent error has its words
# (a test holds this), so no code can reach the shared diary or a customer.
PLAIN_WORDS = {
    "user_not_found": "Slack can't find this person any more",
    "user_not_visible": "this person is not visible to the bot",
    "user_disabled": "this person's Slack account is deactivated",
    "cannot_dm_bot": "Slack won't let the bot send them direct messages",
    "invalid_user_combination": "the bot can't send direct messages to this person (another organisation)",
    "channel_not_found": "the channel no longer exists or the bot can't see it",
    "not_in_channel": "the bot is not a member of the channel",
    "is_archived": "the channel is archived",
    "restricted_action": "the workspace's settings don't let the bot post there",
    "restricted_action_read_only_channel": "the channel is read-only for the bot",
    "restricted_action_thread_only_channel": "the channel only takes replies in threads",
    "restricted_action_non_threadable_channel": "the channel doesn't take replies in threads",
    "ekm_access_denied": "the workspace's administrators have suspended posting",
    "not_allowed_token_type": "Slack won't let the bot send them direct messages",
    "msg_too_long": "the message was too long for Slack",
    "msg_blocks_too_long": "the message was too long for Slack",
    "no_text": "the message was empty",
    "invalid_blocks": "Slack didn't accept the message's layout",
    "invalid_blocks_format": "Slack didn't accept the message's layout",
    "invalid_metadata_format": "Slack didn't accept the message's details",
    "invalid_metadata_schema": "Slack didn't accept the message's details",
    "too_many_attachments": "the message had too many attachments",
    "message_not_found": "the message is no longer there",
    "cant_update_message": "the message can no longer be changed",
    "edit_window_closed": "the message can no longer be changed",
    "messages_tab_disabled": "they have turned off direct messages from apps",
    "user_is_restricted": "their organisation restricts direct messages from apps",
    NOT_IN_SHARED_CHANNEL: "they are not a member of the shared channel",
}


def ambiguous(error: str) -> bool:
    """Slack may or may not have acted: a 5xx, or the connection dropped (reported by exception name,
    not by an error code). Sending again blindly could post twice, so the caller asks Slack first."""
    return error.startswith("http_5") or error[:1].isupper()


def classify(error: str) -> Failure:
    """Unknown codes count as passing: retried until the work's deadline, then recorded."""
    if error in PERMANENT_ERRORS:
        return Failure.PERMANENT
    if error in WORKSPACE_ERRORS:
        return Failure.WORKSPACE
    return Failure.TRANSIENT


def cannot_dm(error: str, *, external: bool) -> bool:
    """The refusal means a DM can't reach this person (and the shared channel might)."""
    if error == "user_not_found":
        return external
    return error in CANNOT_DM_ERRORS


def plain(error: str) -> str:
    """Words for a person; an unknown code is never shown, only that Slack refused."""
    return PLAIN_WORDS.get(error, "Slack refused it")


def why_not_delivered(error: str) -> str:
    """For the shared diary: the reason in words, and a passing failure never as a raw code."""
    return plain(error) if classify(error) is Failure.PERMANENT else "Slack did not take it just then"
