"""Text people typed, made safe for Slack: escaped on the way out, cleaned on the way in.

Slack reads `<…>` in `mrkdwn` (and in a message's top-level `text`) as live markup: `<!here>` pings a
whole channel, `<@U…>` mentions, `<https://…|label>` disguises a link. Whatever a person typed is data,
so every piece of it is escaped with Slack's three entities before it joins a message; only the
mentions and channel links the product builds itself stay live. Stored text stays raw (a diary entry's
text is stored as the sentence the product rendered, with the person's words escaped inside it, and the
exports turn it back into plain text).
"""

from __future__ import annotations

import re

_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
# NUL is refused by PostgreSQL's text type; unpaired surrogates by UTF-8 itself (JSON can carry them
# as \\ud800 escapes). Other control characters are stripped too, except tab and newline.
_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_ENTITY = re.compile(r"&(amp|lt|gt);")


def escape(text: str) -> str:
    """The person's words as Slack shows them literally (Slack's documented escaping: `& < >`)."""
    for raw, entity in _ESCAPES:
        text = text.replace(raw, entity)
    return text


def unescape(text: str) -> str:
    """Undo `escape` (and Slack's own escaping of typed text): only its three entities, in one pass,
    so `&amp;lt;` becomes `&lt;` and never `<`."""
    return _ENTITY.sub(lambda match: {"amp": "&", "lt": "<", "gt": ">"}[match.group(1)], text)


def clean(text: str) -> str:
    """What a person typed, without the characters the database or UTF-8 would refuse."""
    return _REFUSED.sub("", text)


def cut(text: str, limit: int) -> str:
    """Cut mrkdwn to `limit` characters with an ellipsis, never through the middle of an entity or a
    `<…>` the product built (a half entity shows as garbage; a half mention breaks the message)."""
    if len(text) <= limit:
        return text
    end = limit - 1
    head = text[:end]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:] and amp >= end - 5:
        end = amp
    head = text[:end]
    opened = head.rfind("<")
    if opened != -1 and ">" not in head[opened:]:
        end = opened
    return text[:end].rstrip() + "…"


_BROADCASTS_AND_LINKS = re.compile(r"<(?:![^>]*|(?:https?|mailto):[^>]*)>")


def defuse(stored: str) -> str:
    """A stored diary sentence made safe to show again: the product never writes `<!here>`-style
    broadcasts or disguised links into the diary, so any there came from a person (entries written
    before their words were escaped) and are shown literally. Mentions the product wrote stay live."""
    return _BROADCASTS_AND_LINKS.sub(lambda match: escape(match.group(0)), stored)


def command_word(name: str) -> str:
    """An account's name as it is typed in a command shown to someone: escaped, and in double quotes
    when it has a space (the command reads quoted words as one)."""
    escaped = escape(name)
    return f'"{escaped}"' if " " in name else escaped
