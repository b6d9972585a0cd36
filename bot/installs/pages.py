"""The pages a person sees while installing the app: what it does and why it asks for each scope, then
whether the install worked. Plain server-rendered HTML; everything interpolated is escaped.

The scopes and their reasons are read from manifest.yml (the comment above each scope), so the page
can never ask for something the manifest does not, nor explain it differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


@dataclass(frozen=True)
class Scope:
    name: str
    why: str


def read_scopes(manifest_text: str) -> list[Scope]:
    """The bot scopes under `oauth_config.scopes.bot`, each with the comment lines above it (a scope
    listed right after another without its own comment shares that one's reason)."""
    scopes: list[Scope] = []
    inside = False
    comment: list[str] = []
    why = ""
    for line in manifest_text.splitlines():
        stripped = line.strip()
        if re.fullmatch(r"bot:\s*", stripped):
            inside = True
            continue
        if not inside:
            continue
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("#").strip())
        elif stripped.startswith("- "):
            if comment:
                why = " ".join(comment)
                comment = []
            scopes.append(Scope(name=stripped[2:].strip(), why=why))
        elif stripped:
            break
    return scopes


@cache
def manifest_scopes() -> tuple[Scope, ...]:
    return tuple(read_scopes(MANIFEST.read_text(encoding="utf-8")))


_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 44rem; margin: 3rem auto;
       padding: 0 1rem; color: #1d1c1d; line-height: 1.5; }
h1 { color: #2c4a52; } code { background: #f4f4f4; padding: 0 .25rem; }
dl dt { font-weight: 600; margin-top: .75rem; } dl dd { margin-left: 1rem; }
a.add { display: inline-block; margin: 1.5rem 0; padding: .75rem 1.25rem; background: #4a154b;
        color: #fff; border-radius: .35rem; text-decoration: none; font-weight: 600; }
.problem { border-left: 4px solid #c0392b; padding-left: 1rem; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def install_page(authorize_url: str, scopes: tuple[Scope, ...] | None = None) -> str:
    scopes = manifest_scopes() if scopes is None else scopes
    items = "\n".join(
        f'<dt><code class="scope">{escape(scope.name)}</code></dt><dd>{escape(scope.why)}</dd>'
        for scope in scopes
    )
    return _page(
        "Install Accountability in Slack",
        f"""<h1>Accountability for Slack</h1>
<p>Accountability keeps a vendor and its customer to what they agreed. Each commitment has one owner on one
side; the owner gets a check-in in Slack when it is due and answers with a click. Every answer goes into an
accountability diary both sides can read in their shared channel, slips that repeat are escalated to the
vendor's team with the history quoted, and managers get a weekly digest of both sides' scorecards.</p>
<p>Your workspace's data is kept apart from every other workspace's, and its Slack tokens are stored
encrypted.</p>
<h2>What it asks Slack for, and why</h2>
<dl id="scopes">
{items}
</dl>
<a class="add" id="add-to-slack" href="{escape(authorize_url, quote=True)}">Add to Slack</a>
""",
    )


def installed_page(team_name: str | None, app_url: str | None = None) -> str:
    where = escape(team_name) if team_name else "your workspace"
    return _page(
        "Accountability is installed",
        f"""<h1 id="installed">Accountability is installed in {where}</h1>
<p>Type <code>/accountability help</code> in Slack to set up your first account, or open the app's Home tab.</p>
""",
    )


def failed_page(reason: str, install_path: str = "/slack/install") -> str:
    return _page(
        "Accountability was not installed",
        f"""<h1 id="failed">Accountability was not installed</h1>
<p class="problem">{escape(reason)}</p>
<p><a href="{escape(install_path, quote=True)}">Start the installation again</a>.</p>
""",
    )
