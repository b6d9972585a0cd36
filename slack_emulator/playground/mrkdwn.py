"""Slack's `mrkdwn` as safe HTML: every character of the text is escaped, then only Slack's own
markup (bold, italic, strike, code, mentions, channel links, links) becomes tags.

Slack's text arrives with its three entities (`&amp; &lt; &gt;`) already in place; they are undone
and the whole text is escaped again for HTML, so `&lt;script&gt;` shows as `<script>` and never runs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

_TOKEN = re.compile(r"<([^<>\n]*)>")
_SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_FENCE = re.compile(r"```\n?(.*?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
# Slack formats a span only where it starts and ends beside a space or punctuation, never mid-word.
_STYLES = (
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])"), "del"),
)

Names = Callable[[str], str | None]


def _slack_unescape(text: str) -> str:
    return _SLACK_ENTITY.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], text)


def _token_html(inner: str, user_name: Names, channel_name: Names) -> str:
    target, _, label = inner.partition("|")
    label = _slack_unescape(label)
    if target.startswith("@"):
        shown = user_name(target[1:]) or label or target[1:]
        return f'<span class="mention">@{html.escape(shown)}</span>'
    if target.startswith("#"):
        shown = channel_name(target[1:]) or label or target[1:]
        return f'<span class="mention">#{html.escape(shown)}</span>'
    if target.startswith("!"):
        special = target[1:].split("^", 1)[0]
        return f'<span class="mention">@{html.escape(label or special)}</span>'
    url = _slack_unescape(target)
    if _SAFE_LINK.match(url):
        return (
            f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer" target="_blank">'
            f"{html.escape(label or url)}</a>"
        )
    return html.escape(_slack_unescape(f"<{inner}>"))


def to_html(text: str, *, user_name: Names = lambda _id: None, channel_name: Names = lambda _id: None) -> str:
    """`text` (Slack mrkdwn) as an HTML fragment that is safe to put inside an element."""
    stash: list[str] = []

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return f"\x00{len(stash) - 1}\x00"

    text = text.replace("\x00", "")
    text = _TOKEN.sub(lambda m: keep(_token_html(m.group(1), user_name, channel_name)), text)
    text = html.escape(_slack_unescape(text), quote=True)
    text = _FENCE.sub(lambda m: keep(f"<pre>{m.group(1)}</pre>"), text)
    text = _CODE.sub(lambda m: keep(f"<code>{m.group(1)}</code>"), text)
    for pattern, tag in _STYLES:
        text = pattern.sub(rf"<{tag}>\1</{tag}>", text)
    text = "\n".join(
        f"<blockquote>{line[5:]}</blockquote>" if line.startswith("&gt; ") else line
        for line in text.split("\n")
    )
    text = text.replace("\n", "<br>")
    # Stashed fragments may hold others (a mention inside code keeps its own markup): restore until none.
    while _PLACEHOLDER.search(text):
        text = _PLACEHOLDER.sub(lambda m: stash[int(m.group(1))], text)
    return text


def plain_to_html(text: str) -> str:
    """A `plain_text` object: escaped, nothing formatted."""
    return html.escape(text, quote=True).replace("\n", "<br>")
