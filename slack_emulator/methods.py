"""Web API methods, one function each, written against Slack's documented behaviour and error names.

Every function runs with the state lock held and either returns the success payload (without
``"ok"``) or raises :class:`SlackError` with the error string Slack would answer.
"""

from __future__ import annotations

import copy
import json
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .records import EmulatedUser
from .state import Conversation, EmulatorState, PendingFile

MAX_BLOCKS_PER_MESSAGE = 50
MAX_BLOCKS_PER_VIEW = 100
MAX_TEXT_LENGTH = 40_000
MAX_MPIM_USERS = 8

Payload = dict[str, Any]
MethodHandler = Callable[[EmulatorState, Payload], Payload]

METHODS: dict[str, MethodHandler] = {}

# zoneinfo only knows abbreviations; Slack shows long names, so translate the common ones.
_TZ_LABELS = {
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "AKST": "Alaska Standard Time",
    "AKDT": "Alaska Daylight Time",
    "HST": "Hawaii-Aleutian Standard Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
}


class SlackError(Exception):
    """An ``{"ok": false}`` answer; carries Slack's error string, and its explanations when Slack
    gives some (`response_metadata.messages`, as for a block over a limit)."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


def _method(name: str) -> Callable[[MethodHandler], MethodHandler]:
    def register(handler: MethodHandler) -> MethodHandler:
        METHODS[name] = handler
        return handler

    return register


# -- argument helpers -------------------------------------------------------------------------


def _text_arg(params: Payload, name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _required(params: Payload, name: str, error: str) -> str:
    value = _text_arg(params, name)
    if value is None:
        raise SlackError(error)
    return value


def _int_arg(params: Payload, name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise SlackError("invalid_arguments")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SlackError("invalid_arguments") from None


# Per-block limits Slack answers `invalid_blocks` for (docs.slack.dev, "Blocks" reference).
SECTION_TEXT_LIMIT = 3000
SECTION_FIELDS_LIMIT = 10
HEADER_TEXT_LIMIT = 150
CONTEXT_ELEMENTS_LIMIT = 10


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) and isinstance(obj.get("text"), str) else ""


# Element limits (docs.slack.dev Block Kit reference; SLACK_FACTS.md).
OPTIONS_LIMITS = {"checkboxes": (1, 10), "radio_buttons": (1, 10), "overflow": (2, 5),
                  "static_select": (1, 100), "multi_static_select": (1, 100)}  # fmt: skip
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ID_LIMIT = 255
ACTIONS_ELEMENTS_LIMIT = 25
LABEL_LIMIT = 2000


def _plain(obj: Any, where: str, limit: int, problems: list[str]) -> None:
    if not isinstance(obj, dict) or obj.get("type") != "plain_text":
        problems.append(f"[ERROR] must be a plain_text object [json-pointer:{where}]")
    elif not 0 < len(_text_of(obj)) <= limit:
        problems.append(f"[ERROR] must be between 1 and {limit} characters [json-pointer:{where}/text]")


def _element_problems(element: Any, where: str, problems: list[str]) -> None:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        problems.append(f"[ERROR] missing element type [json-pointer:{where}]")
        return
    kind = element["type"]
    if len(str(element.get("action_id", ""))) > ID_LIMIT:
        problems.append(
            f"[ERROR] must be less than {ID_LIMIT + 1} characters [json-pointer:{where}/action_id]"
        )
    if kind == "button":
        _plain(element.get("text"), f"{where}/text", BUTTON_TEXT_LIMIT, problems)
        if len(str(element.get("value", ""))) > BUTTON_VALUE_LIMIT:
            problems.append(
                f"[ERROR] must be less than {BUTTON_VALUE_LIMIT + 1} characters [json-pointer:{where}/value]"
            )
    if kind in OPTIONS_LIMITS:
        low, high = OPTIONS_LIMITS[kind]
        options = element.get("options") or []
        if not low <= len(options) <= high:
            problems.append(
                f"[ERROR] must provide between {low} and {high} items [json-pointer:{where}/options]"
            )
        for index, option in enumerate(options):
            text = _text_of(option.get("text")) if isinstance(option, dict) else ""
            value = str(option.get("value", "")) if isinstance(option, dict) else ""
            if not 0 < len(text) <= OPTION_TEXT_LIMIT:
                problems.append(
                    f"[ERROR] must be between 1 and {OPTION_TEXT_LIMIT} characters [json-pointer:{where}/options/{index}/text]"
                )
            if len(value) > OPTION_VALUE_LIMIT:
                problems.append(
                    f"[ERROR] must be less than {OPTION_VALUE_LIMIT + 1} characters [json-pointer:{where}/options/{index}/value]"
                )


def _block_problems(block: Any, where: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return [f"[ERROR] missing block type [json-pointer:{where}]"]
    kind = block["type"]
    if len(str(block.get("block_id", ""))) > ID_LIMIT:
        problems.append(
            f"[ERROR] must be less than {ID_LIMIT + 1} characters [json-pointer:{where}/block_id]"
        )
    if kind == "section":
        fields = block.get("fields") or []
        if len(_text_of(block.get("text"))) > SECTION_TEXT_LIMIT:
            problems.append(
                f"[ERROR] must be less than {SECTION_TEXT_LIMIT + 1} characters [json-pointer:{where}/text/text]"
            )
        if len(fields) > SECTION_FIELDS_LIMIT or any(len(_text_of(f)) > 2000 for f in fields):
            problems.append(f"[ERROR] fields over Slack's limits [json-pointer:{where}/fields]")
        if "accessory" in block:
            _element_problems(block["accessory"], f"{where}/accessory", problems)
    elif kind == "header":
        _plain(block.get("text"), f"{where}/text", HEADER_TEXT_LIMIT, problems)
    elif kind == "context":
        if not 0 < len(block.get("elements") or []) <= CONTEXT_ELEMENTS_LIMIT:
            problems.append(
                f"[ERROR] must provide between 1 and {CONTEXT_ELEMENTS_LIMIT} items [json-pointer:{where}/elements]"
            )
    elif kind == "actions":
        elements = block.get("elements") or []
        if not 0 < len(elements) <= ACTIONS_ELEMENTS_LIMIT:
            problems.append(
                f"[ERROR] must provide between 1 and {ACTIONS_ELEMENTS_LIMIT} items [json-pointer:{where}/elements]"
            )
        for index, element in enumerate(elements):
            _element_problems(element, f"{where}/elements/{index}", problems)
    elif kind == "input":
        _plain(block.get("label"), f"{where}/label", LABEL_LIMIT, problems)
        if "hint" in block:
            _plain(block.get("hint"), f"{where}/hint", LABEL_LIMIT, problems)
        _element_problems(block.get("element"), f"{where}/element", problems)
    return problems


def _blocks_problems(blocks: list[Any], where: str) -> list[str]:
    return [p for index, block in enumerate(blocks) for p in _block_problems(block, f"{where}/{index}")]


def _message_blocks(params: Payload) -> list[dict[str, Any]] | None:
    raw = params.get("blocks")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, list):
        # Still a string here means it was not valid JSON.
        raise SlackError("invalid_blocks_format")
    if len(raw) > MAX_BLOCKS_PER_MESSAGE:
        raise SlackError(
            "invalid_blocks",
            [f"[ERROR] no more than {MAX_BLOCKS_PER_MESSAGE} items allowed [json-pointer:/blocks]"],
        )
    problems = _blocks_problems(raw, "/blocks")
    if problems:
        raise SlackError("invalid_blocks", problems)
    return copy.deepcopy(raw)


def blocks_refusal(params: Payload) -> str | None:
    """Slack's error for a message's blocks (`invalid_blocks` over a limit), for the response URL too."""
    try:
        _message_blocks(params)
    except SlackError as exc:
        return exc.error
    return None


def _attachments(params: Payload) -> list[Any] | None:
    raw = params.get("attachments")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, list):
        raise SlackError("invalid_attachments")
    return copy.deepcopy(raw)


def _check_text(text: str | None) -> None:
    if text is not None and len(text) > MAX_TEXT_LENGTH:
        raise SlackError("msg_too_long")


# -- conversations ---------------------------------------------------------------------------


def _user_or_error(state: EmulatorState, user_id: str | None) -> EmulatedUser:
    user = state.users.get(user_id) if user_id else None
    if user is None or state.unreachable(user):
        raise SlackError("user_not_found")
    return user


def _resolve_conversation(state: EmulatorState, channel: str | None, *, accept_user_id: bool) -> str:
    """Map a ``channel`` argument to the conversation id Slack would use.

    Only posting accepts a user id (Slack opens the DM implicitly); methods such as chat.update
    need the D… id returned by the post, and this catches apps that keep the user id instead.
    """
    if not channel:
        raise SlackError("channel_not_found")
    if channel in state.conversations:
        conversation = state.conversations[channel]
        # Another workspace's channel does not exist for this token.
        if state.foreign(conversation.team_id or state.team_id):
            raise SlackError("channel_not_found")
        # Slack hides a private channel from a bot that is not in it.
        if conversation.is_private and not conversation.is_mpim and not conversation.bot_member:
            raise SlackError("channel_not_found")
        return channel
    if channel.startswith("D"):
        user = state.user_for_dm(channel)
        if user is None or user.is_stranger or state.unreachable(user):
            raise SlackError("channel_not_found")
        if user.deleted:
            raise SlackError("is_archived")
        return channel
    if accept_user_id and channel[0] in "UW":
        user = state.users.get(channel)
        if user is None or user.is_stranger or state.unreachable(user):
            raise SlackError("channel_not_found")
        if user.is_bot:
            raise SlackError("cannot_dm_bot")
        if user.deleted:
            raise SlackError("is_archived")
        return state.dm_channel_id(user.id)
    raise SlackError("channel_not_found")


def _check_can_post(state: EmulatorState, channel_id: str) -> None:
    """What Slack refuses a bot posting there: an archived channel, a channel it is not in, a DM the
    other side's settings forbid (another organisation's Slack Connect policy, a "post only" guest)."""
    conversation = state.conversations.get(channel_id)
    if conversation is not None:
        if conversation.is_archived:
            raise SlackError("is_archived")
        if not conversation.is_mpim and not conversation.bot_member:
            raise SlackError("not_in_channel")
        return
    user = state.user_for_dm(channel_id)
    if user is not None and user.dm_error:
        raise SlackError(user.dm_error)


def _find_message(state: EmulatorState, channel_id: str, ts: str | None) -> dict[str, Any]:
    for message in state.messages.get(channel_id, []):
        if message["ts"] == ts:
            return message
    raise SlackError("message_not_found")


def _wire_message(state: EmulatorState, stored: dict[str, Any]) -> Payload:
    message: Payload = {
        "type": "message",
        "text": stored["text"],
        "blocks": copy.deepcopy(stored["blocks"]),
        "user": stored.get("user", state.bot_user_id),
        "ts": stored["ts"],
        "team": state.team_id,
    }
    if message["user"] == state.bot_user_id:
        message["bot_id"] = state.bot_id
    if "thread_ts" in stored:
        message["thread_ts"] = stored["thread_ts"]
    if "attachments" in stored:
        message["attachments"] = copy.deepcopy(stored["attachments"])
    return message


def _conversation_object(state: EmulatorState, channel_id: str) -> Payload:
    conversation = state.conversations.get(channel_id)
    if conversation is not None:
        return {
            "id": conversation.id,
            "name": conversation.name,
            "is_channel": not (conversation.is_im or conversation.is_mpim or conversation.is_private),
            "is_group": conversation.is_private and not conversation.is_mpim,
            "is_im": conversation.is_im,
            "is_mpim": conversation.is_mpim,
            "is_private": conversation.is_private or conversation.is_mpim,
            "is_ext_shared": conversation.is_ext_shared,
            "is_shared": conversation.is_ext_shared,
            "is_archived": conversation.is_archived,
            "is_member": conversation.bot_member or conversation.is_mpim,
            "context_team_id": state.team_id,
        }
    user = state.user_for_dm(channel_id)
    assert user is not None
    return {
        "id": channel_id,
        "is_channel": False,
        "is_group": False,
        "is_im": True,
        "is_mpim": False,
        "is_private": True,
        "is_ext_shared": False,
        "is_archived": user.deleted,
        "user": user.id,
        "context_team_id": state.team_id,
    }


# -- scopes -----------------------------------------------------------------------------------

# The bot scope each method needs, as Slack's reference lists them; the conversation methods need the
# scope of the conversation's kind.
METHOD_SCOPES: dict[str, str | None] = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.getPermalink": None,  # Slack's reference: "Requires scope: none"
    "conversations.open": "im:write",
    "users.info": "users:read",
    "views.open": None,
    "views.push": None,
    "views.update": None,
    "views.publish": None,
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "files.info": "files:read",
}
CONVERSATION_SCOPES = {
    "conversations.info": "read",
    "conversations.members": "read",
    "conversations.history": "history",
    "conversations.replies": "history",
}


def required_scope(state: EmulatorState, method: str, params: Payload) -> str | None:
    """The scope a call needs; for a conversation method, by the kind of conversation it names."""
    if method not in CONVERSATION_SCOPES:
        return METHOD_SCOPES.get(method)
    channel = str(params.get("channel") or "")
    conversation = state.conversations.get(channel)
    if conversation is None:
        kind = "im" if channel.startswith("D") else "channels"
    elif conversation.is_mpim:
        kind = "mpim"
    else:
        kind = "groups" if conversation.is_private else "channels"
    return f"{kind}:{CONVERSATION_SCOPES[method]}"


# -- auth -------------------------------------------------------------------------------------


@_method("auth.test")
def auth_test(state: EmulatorState, params: Payload) -> Payload:
    workspace = state.workspaces.get(state.caller_team) if state.caller_team != state.team_id else None
    if workspace is not None:
        return {
            "url": f"https://{workspace.name.lower()}.slack.com/",
            "team": workspace.name,
            "user": "accountability",
            "team_id": workspace.team_id,
            "user_id": workspace.bot_user_id,
            "bot_id": workspace.bot_id,
            "is_enterprise_install": workspace.org_wide,
            **({"enterprise_id": workspace.enterprise_id} if workspace.enterprise_id is not None else {}),
        }
    return {
        "url": "https://emulated.slack.com/",
        "team": "Emulated",
        "user": "accountability",
        "team_id": state.team_id,
        "user_id": state.bot_user_id,
        "bot_id": state.bot_id,
        "is_enterprise_install": state.enterprise_id is not None,
        **({"enterprise_id": state.enterprise_id} if state.enterprise_id is not None else {}),
    }


# -- chat -------------------------------------------------------------------------------------


@_method("chat.postMessage")
def chat_post_message(state: EmulatorState, params: Payload) -> Payload:
    channel_id = _resolve_conversation(state, _text_arg(params, "channel"), accept_user_id=True)
    _check_can_post(state, channel_id)
    text = _text_arg(params, "text")
    blocks = _message_blocks(params)
    attachments = _attachments(params)
    if text is None and not blocks and not attachments:
        raise SlackError("no_text")
    _check_text(text)
    thread_ts = _text_arg(params, "thread_ts")
    stored: dict[str, Any] = {
        "ts": state.next_ts(),
        "text": text or "",
        "blocks": blocks or [],
        "user": state.bot_user_id,
    }
    if thread_ts is not None:
        stored["thread_ts"] = thread_ts
    if attachments:
        stored["attachments"] = attachments
    metadata = _metadata(params)
    if metadata is not None:
        stored["metadata"] = metadata
    state.messages.setdefault(channel_id, []).append(stored)
    return {"channel": channel_id, "ts": stored["ts"], "message": _wire_message(state, stored)}


_EVENT_TYPE = re.compile(r"^[a-zA-Z0-9_.-]{1,255}$")


def _metadata(params: Payload) -> dict[str, Any] | None:
    """Message metadata as Slack checks it: an object with an `event_type` name and an object payload."""
    raw = params.get("metadata")
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise SlackError("invalid_metadata_format") from None
    if not isinstance(raw, dict):
        raise SlackError("invalid_metadata_format")
    event_type, payload = raw.get("event_type"), raw.get("event_payload")
    if not isinstance(event_type, str) or not _EVENT_TYPE.match(event_type) or not isinstance(payload, dict):
        raise SlackError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": copy.deepcopy(payload)}


@_method("chat.update")
def chat_update(state: EmulatorState, params: Payload) -> Payload:
    channel_id = _resolve_conversation(state, _text_arg(params, "channel"), accept_user_id=False)
    stored = _find_message(state, channel_id, _text_arg(params, "ts"))
    text = _text_arg(params, "text")
    blocks = _message_blocks(params)
    attachments = _attachments(params)
    if text is None and blocks is None and attachments is None:
        raise SlackError("no_text")
    _check_text(text)
    # Slack keeps whatever the update leaves out; an empty blocks list clears them.
    if text is not None:
        stored["text"] = text
    if blocks is not None:
        stored["blocks"] = blocks
    if attachments is not None:
        stored["attachments"] = attachments
    return {
        "channel": channel_id,
        "ts": stored["ts"],
        "text": stored["text"],
        "message": _wire_message(state, stored),
    }


@_method("chat.delete")
def chat_delete(state: EmulatorState, params: Payload) -> Payload:
    channel_id = _resolve_conversation(state, _text_arg(params, "channel"), accept_user_id=False)
    stored = _find_message(state, channel_id, _text_arg(params, "ts"))
    state.messages[channel_id].remove(stored)
    return {"channel": channel_id, "ts": stored["ts"]}


@_method("chat.getPermalink")
def chat_get_permalink(state: EmulatorState, params: Payload) -> Payload:
    """A message's permalink. As Slack: an unknown conversation (or a private one the bot is not in) is
    `channel_not_found`, an unknown ts in it `message_not_found`; a thread reply's link names its thread."""
    channel_id = _resolve_conversation(state, _text_arg(params, "channel"), accept_user_id=False)
    stored = _find_message(state, channel_id, _text_arg(params, "message_ts"))
    link = f"https://emulated.slack.com/archives/{channel_id}/p{stored['ts'].replace('.', '')}"
    if stored.get("thread_ts") not in (None, stored["ts"]):
        link += f"?thread_ts={stored['thread_ts']}&cid={channel_id}"
    return {"channel": channel_id, "permalink": link}


@_method("chat.postEphemeral")
def chat_post_ephemeral(state: EmulatorState, params: Payload) -> Payload:
    channel_id = _resolve_conversation(state, _text_arg(params, "channel"), accept_user_id=True)
    user = _user_or_error(state, _text_arg(params, "user"))
    if user.is_stranger:
        raise SlackError("user_not_in_channel")
    conversation = state.conversations.get(channel_id)
    if conversation is not None:
        if not conversation.is_mpim and not conversation.bot_member:
            raise SlackError("not_in_channel")
        if conversation.is_archived:
            raise SlackError("is_archived")
        if not conversation.is_mpim and user.id not in state.channel_members(conversation):
            raise SlackError("user_not_in_channel")
    text = _text_arg(params, "text")
    blocks = _message_blocks(params)
    attachments = _attachments(params)
    if text is None and not blocks and not attachments:
        raise SlackError("no_text")
    _check_text(text)
    return {"message_ts": state.next_ts()}


# -- conversations ----------------------------------------------------------------------------


@_method("conversations.open")
def conversations_open(state: EmulatorState, params: Payload) -> Payload:
    channel = _text_arg(params, "channel")
    users_arg = _text_arg(params, "users")
    if users_arg is None:
        if channel is None:
            raise SlackError("users_list_not_supplied")
        channel_id = _resolve_conversation(state, channel, accept_user_id=False)
        return {"channel": _conversation_object(state, channel_id)}
    user_ids = [part.strip() for part in users_arg.split(",") if part.strip()]
    if not user_ids:
        raise SlackError("users_list_not_supplied")
    if len(user_ids) > MAX_MPIM_USERS:
        raise SlackError("too_many_users")
    users = [_user_or_error(state, user_id) for user_id in user_ids]
    for user in users:
        if user.is_stranger:
            raise SlackError("invalid_user_combination")
        if user.deleted:
            raise SlackError("user_disabled")
    if len(users) == 1:
        if users[0].is_bot:
            raise SlackError("cannot_dm_bot")
        if users[0].dm_error:
            raise SlackError(users[0].dm_error)
        channel_id = state.dm_channel_id(users[0].id)
    else:
        members = tuple(sorted({user.id for user in users} | {state.bot_user_id}))
        channel_id = next(
            (c.id for c in state.conversations.values() if c.is_mpim and c.members == members),
            "",
        )
        if not channel_id:
            channel_id = f"G{state.next_number():08d}"
            name = "mpdm-" + "--".join(m.lower() for m in members) + "-1"
            state.conversations[channel_id] = Conversation(
                id=channel_id, name=name, is_private=True, is_mpim=True, members=members
            )
    return {"channel": _conversation_object(state, channel_id)}


HISTORY_MAX_LIMIT = 999


@_method("conversations.history")
def conversations_history(state: EmulatorState, params: Payload) -> Payload:
    """Top-level messages, newest first, paged by cursor; metadata only when asked for, as Slack does."""
    channel = _text_arg(params, "channel")
    if channel is None:
        raise SlackError("channel_not_found")
    channel_id = _resolve_conversation(state, channel, accept_user_id=False)
    oldest = float(_text_arg(params, "oldest") or 0)
    latest_arg = _text_arg(params, "latest")
    latest = float(latest_arg) if latest_arg else math.inf
    messages = [
        m
        for m in reversed(state.messages.get(channel_id, []))
        if "thread_ts" not in m and oldest < float(m["ts"]) < latest
    ]
    return _message_page(state, messages, params)


def _message_page(state: EmulatorState, messages: list[dict[str, Any]], params: Payload) -> Payload:
    """One page of stored messages as history and replies answer: `limit` and `cursor` as Slack takes
    them, metadata only when `include_all_metadata` asks for it, each message's own author."""
    limit = _int_arg(params, "limit") or 100
    if limit < 1:
        raise SlackError("invalid_limit")
    limit = min(limit, HISTORY_MAX_LIMIT)
    with_metadata = str(params.get("include_all_metadata", "")).lower() in ("true", "1")
    cursor = _text_arg(params, "cursor")
    start = int(cursor) if cursor and cursor.isdigit() else 0
    wire = []
    for stored in messages[start : start + limit]:
        message = _wire_message(state, stored)
        if with_metadata and "metadata" in stored:
            message["metadata"] = copy.deepcopy(stored["metadata"])
        wire.append(message)
    more = start + limit < len(messages)
    return {
        "messages": wire,
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


@_method("conversations.replies")
def conversations_replies(state: EmulatorState, params: Payload) -> Payload:
    """A thread: its parent first, then the replies oldest first, paged by cursor; metadata only when
    asked for. A `ts` that is no message of the channel is `thread_not_found`, as Slack answers."""
    channel = _text_arg(params, "channel")
    if channel is None:
        raise SlackError("channel_not_found")
    channel_id = _resolve_conversation(state, channel, accept_user_id=False)
    ts = _text_arg(params, "ts")
    stored_messages = state.messages.get(channel_id, [])
    parent = next((m for m in stored_messages if m["ts"] == ts), None)
    if ts is None or parent is None:
        raise SlackError("thread_not_found")
    if parent.get("thread_ts") not in (None, ts):
        thread = [parent]  # a reply's own ts names only that reply
    else:
        thread = [parent] + [m for m in stored_messages if m.get("thread_ts") == ts and m["ts"] != ts]
    return _message_page(state, thread, params)


@_method("conversations.info")
def conversations_info(state: EmulatorState, params: Payload) -> Payload:
    channel_id = _resolve_conversation(state, _text_arg(params, "channel"), accept_user_id=False)
    return {"channel": _conversation_object(state, channel_id)}


MEMBERS_MAX_LIMIT = 1000


@_method("conversations.members")
def conversations_members(state: EmulatorState, params: Payload) -> Payload:
    """User IDs in a channel, paged by cursor as Slack does (the bot included when it is a member)."""
    channel_id = _resolve_conversation(state, _text_arg(params, "channel"), accept_user_id=False)
    conversation = state.conversations.get(channel_id)
    if conversation is None:
        user = state.user_for_dm(channel_id)
        members = [user.id, state.bot_user_id] if user is not None else []
    else:
        members = list(conversation.members) if conversation.is_mpim else state.channel_members(conversation)
    limit = _int_arg(params, "limit") or 100
    if limit < 1:
        raise SlackError("invalid_limit")
    limit = min(limit, MEMBERS_MAX_LIMIT)
    cursor = _text_arg(params, "cursor")
    start = int(cursor) if cursor and cursor.isdigit() else 0
    more = start + limit < len(members)
    return {
        "members": members[start : start + limit],
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


# -- users ------------------------------------------------------------------------------------


@_method("users.info")
def users_info(state: EmulatorState, params: Payload) -> Payload:
    return {"user": user_object(_user_or_error(state, _text_arg(params, "user")))}


def user_object(user: EmulatedUser) -> Payload:
    """A user as `users.info` shows them, and as a `user_change` event carries them."""
    display_name = user.name if user.display_name is None else user.display_name
    body: Payload = {
        "id": user.id,
        "team_id": user.team_id,
        "name": user.name,
        "real_name": user.real_name,
        "deleted": user.deleted,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": int(datetime.now(UTC).timestamp()),
        "profile": {
            "real_name": user.real_name,
            "display_name": display_name,
            "team": user.team_id,
            "status_text": user.status_text,
            "status_emoji": user.status_emoji,
            "status_expiration": user.status_expiration,
        },
    }
    if user.tz is not None:
        # Slack leaves the zone out for some people of another organisation.
        now = datetime.now(ZoneInfo(user.tz))
        offset = now.utcoffset()
        abbreviation = now.tzname() or user.tz
        body["tz"] = user.tz
        body["tz_label"] = _TZ_LABELS.get(abbreviation, abbreviation)
        body["tz_offset"] = int(offset.total_seconds()) if offset is not None else 0
    if user.is_stranger:
        body["is_stranger"] = True
    if user.is_restricted:
        body["is_restricted"] = True
    if user.enterprise_id is not None:
        body["enterprise_user"] = {
            "id": user.id,
            "enterprise_id": user.enterprise_id,
            "teams": [user.team_id],
        }
    return body


# -- views ------------------------------------------------------------------------------------


def _validated_view(params: Payload, expected_type: str) -> dict[str, Any]:
    view = params.get("view")
    if not isinstance(view, dict) or view.get("type") != expected_type:
        raise SlackError("invalid_arguments")
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS_PER_VIEW:
        raise SlackError(
            "invalid_arguments", ["[ERROR] must provide between 0 and 100 items [json-pointer:/view/blocks]"]
        )
    problems = _blocks_problems(blocks, "/view/blocks")
    if expected_type == "modal":
        _plain(view.get("title"), "/view/title", MODAL_TEXT_LIMIT, problems)
        for button in ("submit", "close"):
            if button in view:
                _plain(view.get(button), f"/view/{button}", MODAL_TEXT_LIMIT, problems)
    if len(str(view.get("private_metadata", ""))) > PRIVATE_METADATA_LIMIT:
        problems.append(
            f"[ERROR] must be less than {PRIVATE_METADATA_LIMIT + 1} characters [json-pointer:/view/private_metadata]"
        )
    if len(str(view.get("callback_id", ""))) > ID_LIMIT:
        problems.append(
            f"[ERROR] must be less than {ID_LIMIT + 1} characters [json-pointer:/view/callback_id]"
        )
    if problems:
        raise SlackError("invalid_arguments", problems)
    return copy.deepcopy(view)


MODAL_TEXT_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000
# A trigger_id is good for three seconds, once (Slack's interactivity docs).
TRIGGER_LIFETIME_SECONDS = 3.0


def _exchange_trigger(state: EmulatorState, trigger_id: str | None) -> None:
    issued = state.triggers.get(trigger_id or "")
    if issued is None:
        raise SlackError("invalid_arguments", ["invalid `trigger_id`"])
    if issued.used:
        raise SlackError("exchanged_trigger_id")
    if time.monotonic() - issued.at > TRIGGER_LIFETIME_SECONDS:
        raise SlackError("expired_trigger_id")
    issued.used = True


def _stored_view(state: EmulatorState, view: dict[str, Any], view_id: str, root_id: str) -> dict[str, Any]:
    stored: dict[str, Any] = {
        "id": view_id,
        "team_id": state.team_id,
        "private_metadata": "",
        "callback_id": "",
        "external_id": "",
        "state": {"values": {}},
        **view,
    }
    stored.update(
        {
            "id": view_id,
            "hash": state.next_hash(),
            "root_view_id": root_id,
            "app_id": "A0EMULATOR",
            "bot_id": state.bot_id,
        }
    )
    return stored


def _open_modal(state: EmulatorState, params: Payload, root_id: str | None) -> Payload:
    if _text_arg(params, "trigger_id") is None:
        raise SlackError("invalid_arguments")
    view = _validated_view(params, "modal")
    _exchange_trigger(state, _text_arg(params, "trigger_id"))
    view_id = f"V{state.next_number():010d}"
    stored = _stored_view(state, view, view_id, root_id or view_id)
    external_id = stored.get("external_id")
    if external_id:
        if external_id in state.external_view_ids:
            raise SlackError("duplicate_external_id")
        state.external_view_ids[external_id] = view_id
    state.views[view_id] = stored
    state.triggers[str(_text_arg(params, "trigger_id"))].view_id = view_id
    return {"view": copy.deepcopy(stored)}


@_method("views.open")
def views_open(state: EmulatorState, params: Payload) -> Payload:
    return _open_modal(state, params, None)


@_method("views.push")
def views_push(state: EmulatorState, params: Payload) -> Payload:
    return _open_modal(state, params, None)


@_method("views.update")
def views_update(state: EmulatorState, params: Payload) -> Payload:
    view_id = _text_arg(params, "view_id")
    external_id = _text_arg(params, "external_id")
    if view_id is None and external_id is not None:
        view_id = state.external_view_ids.get(external_id)
        if view_id is None:
            raise SlackError("not_found")
    if view_id is None:
        raise SlackError("invalid_arguments")
    current = state.views.get(view_id)
    if current is None:
        raise SlackError("not_found")
    view = _validated_view(params, str(current.get("type")))
    expected_hash = _text_arg(params, "hash")
    if expected_hash is not None and expected_hash != current["hash"]:
        raise SlackError("hash_conflict")
    stored = _stored_view(state, view, view_id, str(current["root_view_id"]))
    state.views[view_id] = stored
    return {"view": copy.deepcopy(stored)}


@_method("views.publish")
def views_publish(state: EmulatorState, params: Payload) -> Payload:
    user = _user_or_error(state, _text_arg(params, "user_id"))
    view = _validated_view(params, "home")
    current = state.home_views.get(user.id)
    expected_hash = _text_arg(params, "hash")
    if expected_hash is not None and current is not None and expected_hash != current["hash"]:
        raise SlackError("hash_conflict")
    view_id = state.home_view_ids.setdefault(user.id, f"V{state.next_number():010d}")
    stored = _stored_view(state, view, view_id, view_id)
    state.home_views[user.id] = stored
    state.views[view_id] = stored
    return {"view": copy.deepcopy(stored)}


# -- files ------------------------------------------------------------------------------------


@_method("files.getUploadURLExternal")
def files_get_upload_url_external(state: EmulatorState, params: Payload) -> Payload:
    filename = _required(params, "filename", "invalid_arguments")
    length = _int_arg(params, "length")
    if length is None or length < 0:
        raise SlackError("invalid_arguments")
    file_id = f"F{state.next_number():010d}"
    extra = {k: params[k] for k in ("alt_txt", "snippet_type") if params.get(k) not in (None, "")}
    state.files[file_id] = PendingFile(id=file_id, filename=filename, length=length, extra=extra)
    return {"upload_url": f"{state.base_url}upload/{file_id}", "file_id": file_id}


def _file_object(state: EmulatorState, pending: PendingFile) -> Payload:
    return {
        "id": pending.id,
        "name": pending.filename,
        "title": pending.title or pending.filename,
        "size": len(pending.content or b""),
        "user": state.bot_user_id,
    }


@_method("files.completeUploadExternal")
def files_complete_upload_external(state: EmulatorState, params: Payload) -> Payload:
    entries = params.get("files")
    if not isinstance(entries, list) or not entries:
        raise SlackError("invalid_arguments")
    pending_files: list[tuple[PendingFile, str]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise SlackError("invalid_arguments")
        pending = state.files.get(str(entry.get("id")))
        if pending is None or pending.content is None or pending.completed:
            raise SlackError("invalid_arguments")
        title = entry.get("title")
        pending_files.append((pending, title if isinstance(title, str) and title else pending.filename))

    channel_ids: list[str] = []
    channel_arg = _text_arg(params, "channel_id")
    channels_arg = _text_arg(params, "channels")
    if channel_arg is not None:
        channel_ids.append(_resolve_conversation(state, channel_arg, accept_user_id=False))
    elif channels_arg is not None:
        for part in channels_arg.split(","):
            channel_ids.append(_resolve_conversation(state, part.strip(), accept_user_id=False))
    thread_ts = _text_arg(params, "thread_ts")
    initial_comment = _text_arg(params, "initial_comment")
    _check_text(initial_comment)

    answer: list[Payload] = []
    for pending, title in pending_files:
        pending.completed = True
        pending.title = title
        state.shared_files.append(
            {
                "id": pending.id,
                "filename": pending.filename,
                "title": title,
                "content": pending.content,
                "channel_id": channel_ids[0] if channel_ids else None,
                "thread_ts": thread_ts,
                "initial_comment": initial_comment,
            }
        )
        answer.append({"id": pending.id, "title": title, "name": pending.filename})
    return {"files": answer}


@_method("files.info")
def files_info(state: EmulatorState, params: Payload) -> Payload:
    pending = state.files.get(_text_arg(params, "file") or "")
    if pending is None or not pending.completed:
        raise SlackError("file_not_found")
    return {"file": _file_object(state, pending)}
