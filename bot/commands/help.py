"""How `/accountability help` is laid out: a filled-in example first, then the subcommands under a
header per group; `help <subcommand>` shows one in full. The words come from `bot.commands.usage` and
the order and groups from the table in `bot.commands.subcommands`, so the help, the README's command
reference and the parser never disagree.

Block Kit caps a section's text at 3000 characters and a message at 50 blocks: each group's entries are
packed into as few sections as fit, and one entry that would not fit alone is cut with an ellipsis."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any, Protocol

from slack_sdk.models.blocks import Block, ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.commands import usage
from bot.commands.replies import Reply
from bot.commands.tokens import CommandError, clip
from bot.slack.mrkdwn import cut

SECTION_LIMIT = 3000
MAX_BLOCKS = 50
TITLE = "/accountability — joint accountability check-ins"
INTRO_GROUP = "HELP"  # the group whose entries are told in the introduction, not under a header


class Entry(Protocol):
    """What the help reads of a row of the subcommand table."""

    @property
    def name(self) -> str: ...
    @property
    def group(self) -> Enum: ...
    @property
    def usage(self) -> str: ...
    @property
    def help(self) -> str: ...
    @property
    def example(self) -> str: ...
    @property
    def opens_form(self) -> bool: ...


def _code(name: str) -> str:
    return f"`/accountability {name}`"


def _forms_line(entries: Sequence[Entry]) -> str:
    names = [_code(e.name) for e in entries if e.opens_form]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return usage.FORMS_NOTE.format(names=listed)


def _intro(entries: Sequence[Entry]) -> str:
    helps = "\n".join(f"`{e.usage}`: {e.help}" for e in entries if e.group.name == INTRO_GROUP)
    return f"*For example*\n```{usage.EXAMPLE_COMMIT}```\n{_forms_line(entries)}\n{helps}"


def _groups(entries: Sequence[Entry]) -> list[tuple[str, list[Entry]]]:
    """The groups in the table's order, each with its entries, leaving out the introduction's."""
    groups: dict[str, tuple[str, list[Entry]]] = {}
    for entry in entries:
        if entry.group.name == INTRO_GROUP:
            continue
        groups.setdefault(entry.group.name, (str(entry.group.value), []))[1].append(entry)
    return list(groups.values())


def _sections(texts: list[str]) -> list[str]:
    """Consecutive entries joined into sections of at most SECTION_LIMIT characters each."""
    sections: list[str] = []
    for text in (cut(t, SECTION_LIMIT) for t in texts):
        if sections and len(sections[-1]) + 1 + len(text) <= SECTION_LIMIT:
            sections[-1] += "\n" + text
        else:
            sections.append(text)
    return sections


def help_reply(entries: Sequence[Entry]) -> Reply:
    """The whole help: plain text for notifications and screen readers, blocks with a header per group."""
    blocks: list[Block] = [
        HeaderBlock(text=TITLE),
        SectionBlock(text=MarkdownTextObject(text=_intro(entries))),
    ]
    lines = [f"*{TITLE}*", _intro(entries)]
    for title, members in _groups(entries):
        texts = [usage.help_entry(e.usage, e.help) for e in members]
        blocks.append(HeaderBlock(text=title))
        blocks += [SectionBlock(text=MarkdownTextObject(text=t)) for t in _sections(texts)]
        lines += [f"*{title}*", *texts]
    if len(blocks) > MAX_BLOCKS:
        raise ValueError(f"the help needs {len(blocks)} blocks; a message holds {MAX_BLOCKS}")
    return Reply("\n".join(lines), _dicts(blocks))


def _dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]  # to_dict() checks Slack's own limits


def _one(entry: Entry) -> str:
    form = "\nWithout arguments, it opens a form instead." if entry.opens_form else ""
    return cut(
        f"*{_code(entry.name)}* · {entry.group.value}\n```{entry.usage}```{entry.help}{form}\n"
        f"*Example*\n```{entry.example}```",
        SECTION_LIMIT,
    )


def subcommand_help(entries: Sequence[Entry], topic: str) -> Reply:
    """`help <subcommand>`: that subcommand (or the ones its first word names, as `help account`), or
    what the subcommands are called when there is no such one."""
    wanted = " ".join(topic.lower().removeprefix("/accountability").split())
    found = [e for e in entries if e.name == wanted or e.name.startswith(wanted + " ")]
    if not found or not wanted:
        names = ", ".join(f"`{e.name}`" for e in entries)
        raise CommandError(f"There is no subcommand “{clip(topic)}”. The subcommands are: {names}.")
    texts = [_one(e) for e in found]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=t)) for t in texts]
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text="`/accountability help` lists them all.")]))
    return Reply("\n\n".join(texts), _dicts(blocks))


def reference(entries: Sequence[Entry]) -> str:
    """The README's command reference: the same entries under the same headers, with their examples."""
    parts = [usage.markdown_entry(e.usage, e.help) for e in entries if e.group.name == INTRO_GROUP]
    parts.append(_forms_line(entries) + "\n")
    for title, members in _groups(entries):
        parts.append(f"### {title}\n")
        for e in members:
            parts.append(usage.markdown_entry(e.usage, e.help) + f"\nFor example: `{e.example}`\n")
    return "\n".join(parts)
