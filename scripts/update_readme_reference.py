"""Rewrite the README's command reference from the table behind `/accountability help`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.commands.subcommands import reference_markdown

START, END = "<!-- command-reference:start -->\n", "<!-- command-reference:end -->"

readme = Path(__file__).resolve().parent.parent / "README.md"
text = readme.read_text()
head, rest = text.split(START, 1)
_, tail = rest.split(END, 1)
readme.write_text(head + START + reference_markdown() + END + tail)
print(f"updated {readme}")
