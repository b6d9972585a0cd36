"""What a Slack message event is, read the same way by every listener: typed by a person, or not.

Slack sends the bot's own posts back to it, and edits, deletions, joins and the like arrive as
`message` events with a `subtype`; none of them is something a person said to the product. A message
naming the bot arrives twice, once as `message` and once as `app_mention` (with different event IDs):
the mention listener owns it, so it is acted on once.
"""

from __future__ import annotations

from typing import Any

# A reply also sent to the channel is still a person's reply; every other subtype is not a message
# someone typed (message_changed, message_deleted, channel_join, bot_message, …).
PERSON_SUBTYPES = frozenset({"thread_broadcast"})


def typed_by_person(event: dict[str, Any], *, bot_user_id: str | None) -> bool:
    subtype = event.get("subtype")
    if subtype is not None and subtype not in PERSON_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile"):
        return False
    user = event.get("user")
    if not isinstance(user, str) or not user or (bot_user_id and user == bot_user_id):
        return False
    text = event.get("text")
    return isinstance(text, str) and bool(text.strip()) and isinstance(event.get("channel"), str)


def mentions(text: str, user_id: str | None) -> bool:
    """`<@U123>` or `<@U123|name>` in the text as Slack sends it."""
    return bool(user_id) and (f"<@{user_id}>" in text or f"<@{user_id}|" in text)


def message_key(*, channel_id: str, message_ts: str) -> str:
    """One message, however many events carry it: its channel and timestamp."""
    return f"message:{channel_id}:{message_ts}"
