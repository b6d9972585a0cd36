"""`/accountability help`: a filled-in example first, the subcommands under a header per group, one
subcommand in full on request, and Block Kit's limits held (checked by the emulator's own rules)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import pytest

from bot.commands.help import help_reply, subcommand_help
from bot.commands.parsed import Help
from bot.commands.subcommands import SUBCOMMANDS, Group, parse
from bot.commands.tokens import CommandError
from bot.commands.usage import EXAMPLE_COMMIT
from slack_emulator.methods import blocks_refusal

TODAY = date(2026, 12, 7)


def headers(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "header"]


def test_help_opens_with_an_example_and_says_which_subcommands_open_a_form() -> None:
    reply = help_reply(SUBCOMMANDS)
    assert reply.blocks is not None
    intro = reply.blocks[1]["text"]["text"]
    assert EXAMPLE_COMMIT in intro
    assert (
        "Without arguments, `/accountability account add` and `/accountability commit` open a form instead."
        in intro
    )


def test_help_groups_the_subcommands_under_headers() -> None:
    reply = help_reply(SUBCOMMANDS)
    assert reply.blocks is not None
    assert headers(reply.blocks)[1:] == [
        "Accounts",
        "Commitments",
        "People",
        "Diary",
        "Escalations",
        "Digests",
    ]
    assert reply.text.index("*Commitments*") < reply.text.index("/accountability propose <#commitment>")


def test_every_subcommand_names_its_group_and_an_example_of_itself() -> None:
    for entry in SUBCOMMANDS:
        assert isinstance(entry.group, Group)
        assert entry.example.startswith(f"/accountability {entry.name.split()[0]}"), entry.name


def test_the_help_fits_slacks_block_limits() -> None:
    reply = help_reply(SUBCOMMANDS)
    assert reply.blocks is not None and len(reply.blocks) <= 50
    assert blocks_refusal({"blocks": reply.blocks}) is None
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in reply.blocks)


def test_a_group_too_long_for_one_section_is_split_not_refused() -> None:
    class Big(Enum):
        HELP = "Help"
        LONG = "Long"

    class Entry:
        def __init__(self, name: str) -> None:
            self.name, self.group, self.usage = name, Big.LONG, f"/accountability {name}"
            self.help, self.example, self.opens_form = "x" * 1400, f"/accountability {name}", name == "a"

    reply = help_reply([Entry(n) for n in "abcdefg"])
    assert reply.blocks is not None
    assert len([b for b in reply.blocks if b["type"] == "section"]) > 2
    assert blocks_refusal({"blocks": reply.blocks}) is None


def test_help_with_a_subcommand_shows_its_form_what_it_does_and_an_example() -> None:
    command = parse("help propose", today=TODAY)
    assert command == Help("propose")
    reply = subcommand_help(SUBCOMMANDS, "propose")
    assert "/accountability propose <#commitment> by <date>" in reply.text
    assert "Propose a new date" in reply.text
    assert '/accountability propose #12 by next friday "The test data arrives on Wednesday"' in reply.text
    assert "opens a form" not in reply.text
    assert "opens a form" in subcommand_help(SUBCOMMANDS, "commit").text


def test_help_with_a_first_word_shows_every_subcommand_it_starts() -> None:
    text = subcommand_help(SUBCOMMANDS, "account").text
    assert all(f"`/accountability account {n}`" in text for n in ("add", "edit", "clear-risk"))


def test_help_with_an_unknown_subcommand_says_so_and_lists_the_names() -> None:
    with pytest.raises(CommandError) as refused:
        subcommand_help(SUBCOMMANDS, "frobnicate")
    assert "There is no subcommand “frobnicate”" in refused.value.reply
    assert "`commit`" in refused.value.reply and "`digest settings`" in refused.value.reply


def test_policy_terms_are_explained_in_words() -> None:
    text = subcommand_help(SUBCOMMANDS, "policy").text
    for term in ("window:", "escalate_after:", "raise_after:", "unresponsive_after:", "vendor_raise_days:"):
        assert term in text
    assert "A miss is a check-in answered Not yet or Blocked, or left unanswered" in text
    assert "the share of its check-ins answered Done" in subcommand_help(SUBCOMMANDS, "list").text
    assert "dm sends DMs only" in subcommand_help(SUBCOMMANDS, "account add").text
