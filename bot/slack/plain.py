"""Stored mrkdwn turned into plain text for files people open outside Slack (the diary export).

A spreadsheet shows `<@U0123ABCD>` and `&amp;` as they are; a reader wants "@Jo" and "&". Only the
markup the product writes is converted (mentions, channel links, broadcasts, links): what a
person typed is stored escaped, so it comes back as they typed it, `<` and `>` included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.slack.mrkdwn import unescape

_MARKUP = re.compile(r"<([@#!])?([^<>|]*)(?:\|([^<>]*))?>")


def plain_text(text: str, *, names: Mapping[str, str]) -> str:
    """`text` without Slack markup: `<@U1>` becomes "@Name" (from `names`, else "@U1"), `<#C1|general>`
    "#general", `<!here>` "@here", `<https://x|label>` "label (https://x)",
    and Slack's three entities the characters they stand for."""

    def markup(match: re.Match[str]) -> str:
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil == "@":
            return "@" + (names.get(target) or label or target)
        if sigil == "#":
            return "#" + (label or target)
        if sigil == "!":
            return "@" + (label or target.split("^", 1)[0])
        return f"{label} ({target})" if label and label != target else target

    return unescape(_MARKUP.sub(markup, text))
