"""The page's HTML: the frame (people, channels, clock, composer) and the panes the browser polls.

Everything that came from a message or a person is escaped (`html.escape`, or the mrkdwn renderer,
which escapes first); only the markup written here is live.
"""

from __future__ import annotations

import hashlib
import html
from typing import TYPE_CHECKING, Any

from .blocks import render_blocks
from .mrkdwn import plain_to_html, to_html

if TYPE_CHECKING:
    from .site import Ephemeral, Playground, SharedFile, Where

HOME = "home"
CLOCK_STEPS = (("hour", "+1 hour"), ("morning", "Next morning 09:00"), ("day", "+1 day"))

STYLE = """
body{font:14px/1.45 -apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d1c1d;background:#f8f8f8;height:100vh;display:flex;flex-direction:column}
header{display:flex;flex-wrap:wrap;gap:12px;align-items:center;padding:8px 16px;background:#3f0e40;color:#fff}
header a{color:#fff}header h1{font-size:16px;margin:0 12px 0 0}
.people a{padding:3px 8px;border-radius:4px;text-decoration:none;margin-right:4px}
.people a.on{background:#fff;color:#3f0e40;font-weight:bold}
#clock{display:flex;gap:6px;align-items:center;margin-left:auto}#clock form{display:inline}
main{flex:1;min-height:0;display:grid;grid-template-columns:220px 1fr auto}
nav{background:#4a154b;color:#ddd;padding:12px;overflow:auto}nav h2{font-size:12px;text-transform:uppercase;color:#bbb}
nav a{display:block;color:#fff;text-decoration:none;padding:2px 6px;border-radius:4px}nav a.on{background:#1164a3}
nav small{display:block;color:#bbb;margin:-2px 0 4px 14px}
section.pane{display:flex;flex-direction:column;overflow:hidden;min-height:0;background:#fff}
#conversation,#thread{flex:1;overflow:auto;padding:8px 16px}
aside{width:400px;border-left:1px solid #ddd;display:flex;flex-direction:column;min-height:0;background:#fff}
aside:empty{display:none}
.message{padding:6px 0;border-bottom:1px solid #f0f0f0}.message .who{font-weight:bold}
.message .who small{font-weight:normal;color:#888;margin-left:6px}
.ephemeral{background:#f4f9ff;border-left:3px solid #1264a3;padding-left:8px}
.ephemeral .who small{color:#1264a3}
.block{margin:4px 0}.context{color:#616061;font-size:12px}.fields{display:grid;grid-template-columns:1fr 1fr;gap:4px}
.section{display:flex;gap:8px;justify-content:space-between}.header{font-size:15px;margin:6px 0}
.actions{display:flex;flex-wrap:wrap;gap:6px}form.element{display:inline}
.btn{border:1px solid #ccc;background:#fff;border-radius:4px;padding:3px 10px;cursor:pointer}
.btn.primary{background:#007a5a;color:#fff;border-color:#007a5a}.btn.danger{color:#e01e5a;border-color:#e01e5a}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
code{background:#f6f6f6;border:1px solid #ddd;border-radius:3px;padding:0 3px;color:#e01e5a}
pre{background:#f6f6f6;border:1px solid #ddd;padding:6px;white-space:pre-wrap}
blockquote{border-left:3px solid #ddd;margin:0;padding-left:8px}
.replies{display:block;font-size:12px;margin-top:2px}.composer{display:flex;gap:6px;padding:8px 16px;border-top:1px solid #ddd}
.composer textarea{flex:1;height:38px;font:inherit}
#modal:empty{display:none}#modal{position:fixed;inset:0;background:rgba(0,0,0,.4);display:flex;align-items:center;justify-content:center}
.dialog{background:#fff;border-radius:8px;padding:16px 20px;width:480px;max-height:85vh;overflow:auto}
.dialog label.input{display:block;margin:10px 0}.dialog .label{display:block;font-weight:bold}
.dialog input[type=text],.dialog textarea,.dialog select{width:100%;box-sizing:border-box}
.error{color:#e01e5a}.hint{color:#616061;font-size:12px}.buttons{display:flex;justify-content:flex-end;gap:8px}
.empty{color:#888;padding:24px}
img.upload{max-width:100%;max-height:320px;border:1px solid #ddd;margin-top:4px}
"""

# Polls the panes and swaps only those that changed, so a half-typed message or modal is left alone.
SCRIPT = """
async function refresh() {
  try {
    const answer = await fetch('/panes' + location.search, {cache: 'no-store'});
    const panes = await answer.json();
    for (const [id, pane] of Object.entries(panes)) {
      const el = document.getElementById(id);
      if (el && el.dataset.v !== pane.v) {
        const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
        el.innerHTML = pane.html; el.dataset.v = pane.v;
        if (atEnd) el.scrollTop = el.scrollHeight;
      }
    }
  } catch (e) {}
}
setInterval(refresh, 1000);
for (const id of ['conversation', 'thread']) {  // the newest message in view, as in Slack
  const pane = document.getElementById(id);
  if (pane) pane.scrollTop = pane.scrollHeight;
}
"""


def digest(content: str) -> str:
    """A pane's version: the browser swaps a pane only when this changes."""
    return hashlib.sha1(content.encode(), usedforsecurity=False).hexdigest()[:12]


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def document(playground: Playground, where: Where) -> str:
    panes = playground.panes(where)
    people = "".join(
        f'<a id="as-{e(p.user_id)}" class="{"on" if p.user_id == where.user else ""}" '
        f'href="/?{e(where.query(**{"as": p.user_id, "c": None, "t": None}))}">{e(p.label)}</a>'
        for p in playground.people
    )
    channels = "".join(
        f'<a id="conv-{e(c)}" class="{"on" if c == where.conversation else ""}" '
        f'href="/?{e(where.query(c=c, t=None))}"># {e(playground.channel_name(c))}</a><small>{e(role)}</small>'
        for c, role in playground.visible_channels(where.user)
    )
    dm = playground.dm(where.user)
    pane_html = {name: f'id="{name}" data-v="{digest(content)}"' for name, content in panes.items()}
    composer_hint = (
        "Message, or /accountability help" if where.conversation != HOME else "/accountability help"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Accountability playground</title>
<style>{STYLE}</style></head><body>
<header><h1>Accountability playground</h1><span class="people">You are: {people}</span>
<div {pane_html["clock"]}>{panes["clock"]}</div></header>
<main><nav><h2>Channels</h2>{channels or "<small>none you are in</small>"}
<h2>Apps</h2><a id="conv-dm" class="{"on" if where.conversation == dm else ""}" href="/?{e(where.query(c=dm, t=None))}">{e(playground.bot_name)} (messages)</a>
<a id="conv-home" class="{"on" if where.conversation == HOME else ""}" href="/?{e(where.query(c=HOME, t=None))}&amp;open=1">{e(playground.bot_name)} (Home)</a></nav>
<section class="pane"><div {pane_html["conversation"]}>{panes["conversation"]}</div>
<form id="composer" class="composer" method="post" action="/say">{hidden(where, thread=False)}
<textarea id="composer-text" name="text" placeholder="{e(composer_hint)}"></textarea>
<button id="send" class="btn primary" type="submit">Send</button></form></section>
{thread_aside(where, panes, pane_html)}</main>
<div {pane_html["modal"]}>{panes["modal"]}</div>
<script>{SCRIPT}</script></body></html>"""


def thread_aside(where: Where, panes: dict[str, str], pane_html: dict[str, str]) -> str:
    if not where.thread:
        return ""
    return (
        f"<aside><div {pane_html['thread']}>{panes['thread']}</div>"
        f'<form id="thread-composer" class="composer" method="post" action="/say">{hidden(where)}'
        f'<textarea id="thread-text" name="text" placeholder="Reply…"></textarea>'
        f'<button id="thread-send" class="btn primary" type="submit">Reply</button></form></aside>'
    )


def hidden(where: Where, *, thread: bool = True) -> str:
    fields = {"as": where.user, "c": where.conversation, "t": where.thread or ""}
    if not thread:
        fields["t"] = ""
    return "".join(f'<input type="hidden" name="{k}" value="{e(v)}">' for k, v in fields.items())


def clock(playground: Playground, where: Where) -> str:
    now = playground.clock.now()
    local = now.astimezone(playground.zone(where.user))
    steps = "".join(
        f'<form method="post" action="/clock">{hidden(where)}<input type="hidden" name="step" value="{step}">'
        f'<button id="clock-{step}" class="btn" type="submit">{e(label)}</button></form>'
        for step, label in CLOCK_STEPS
    )
    return (
        f'<span id="clock-now" title="{e(now.isoformat())}">{e(f"{now:%a %d %b %H:%M} UTC")} · '
        f"{e(f'{local:%H:%M} {local.tzname()}')} for you</span>{steps}"
    )


def author(playground: Playground, message: dict[str, Any]) -> str:
    user = str(message.get("user", ""))
    name = playground.user_name(user) or user
    app = " <small>APP</small>" if user == playground.bot_user_id else ""
    return f'<div class="who">{e(name)}{app}</div>'


def message_html(
    playground: Playground, where: Where, channel: str, message: dict[str, Any], *, replies: int
) -> str:
    surface = playground.surface(where, place="message", channel=channel, ts=str(message["ts"]))
    body = playground.message_body(message, surface)
    link = ""
    if replies >= 0:
        label = f"{replies} repl{'y' if replies == 1 else 'ies'}" if replies else "Reply in thread"
        link = f'<a class="replies" href="/?{e(where.query(t=str(message["ts"])))}">{label}</a>'
    return (
        f'<div class="message" data-ts="{e(message["ts"])}">{author(playground, message)}{body}{link}</div>'
    )


def ephemeral_html(playground: Playground, where: Where, item: Ephemeral) -> str:
    surface = playground.surface(where, place="ephemeral", channel=item.channel, eph=str(item.id))
    body = playground.message_body({"text": item.text, "blocks": item.blocks}, surface)
    return (
        f'<div class="message ephemeral" data-eph="{item.id}"><div class="who">{e(playground.bot_name)} '
        f"<small>Only visible to you</small></div>{body}</div>"
    )


def file_html(playground: Playground, item: SharedFile) -> str:
    link = f"/files/{e(item.id)}"
    preview = (
        f'<img class="upload" src="{link}" alt="{e(item.title)}">'
        if item.filename.lower().endswith(".png")
        else ""
    )
    comment = to_html(item.comment, user_name=playground.user_name, channel_name=playground.channel_name)
    return (
        f'<div class="message file"><div class="who">{e(playground.bot_name)} <small>APP</small></div>'
        f'{comment}<div>📎 <a href="{link}" target="_blank">{e(item.title)}</a></div>{preview}</div>'
    )


def interleave(
    playground: Playground,
    where: Where,
    channel: str,
    messages: list[dict[str, Any]],
    thread: str | None,
    *,
    replies: dict[str, int] | None,
) -> str:
    mine = [
        x
        for x in playground.ephemerals
        if x.user == where.user and x.channel == channel and x.thread_ts == thread
    ]
    files = [f for f in playground.files if f.channel == channel and f.thread_ts == thread]
    parts = [file_html(playground, f) for f in files if f.anchor == ""]
    parts.extend(ephemeral_html(playground, where, x) for x in mine if x.anchor == "")
    for message in messages:
        count = -1 if replies is None else replies.get(str(message["ts"]), 0)
        parts.append(message_html(playground, where, channel, message, replies=count))
        parts.extend(file_html(playground, f) for f in files if f.anchor == message["ts"])
        parts.extend(ephemeral_html(playground, where, x) for x in mine if x.anchor == message["ts"])
    return "".join(parts)


def conversation(playground: Playground, where: Where) -> str:
    if where.conversation == HOME:
        view = playground.emulator.home_view(where.user)
        if view is None:
            return '<div class="empty">The Home tab has not been published for you yet.</div>'
        surface = playground.surface(where, place=HOME, channel="")
        return f'<div class="home">{render_blocks(view.get("blocks", []), surface)}</div>'
    channel = where.conversation
    messages = playground.emulator.messages(channel)
    top = [m for m in messages if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]]
    replies: dict[str, int] = {}
    for m in messages:
        if m.get("thread_ts") and m["thread_ts"] != m["ts"]:
            replies[m["thread_ts"]] = replies.get(m["thread_ts"], 0) + 1
    for shared in playground.files:
        if shared.channel == channel and shared.thread_ts:
            replies[shared.thread_ts] = replies.get(shared.thread_ts, 0) + 1
    title = playground.channel_name(channel)
    heading = f"# {title}" if title else f"{playground.bot_name} (messages)"
    content = interleave(playground, where, channel, top, None, replies=replies)
    return f"<h3>{e(heading)}</h3>{content or '<div class=empty>No messages yet.</div>'}"


def thread(playground: Playground, where: Where) -> str:
    if not where.thread or where.conversation == HOME:
        return ""
    channel = where.conversation
    messages = playground.emulator.messages(channel)
    parent = [m for m in messages if m["ts"] == where.thread]
    replies = [m for m in messages if m.get("thread_ts") == where.thread and m["ts"] != where.thread]
    close = f'<a href="/?{e(where.query(t=None))}">close</a>'
    return f"<h3>Thread {close}</h3>" + interleave(
        playground, where, channel, parent + replies, where.thread, replies=None
    )


def modal(playground: Playground, where: Where) -> str:
    opened = playground.open_modal(where.user)
    if opened is None:
        return ""
    state, view = opened
    surface = playground.surface(where)
    fields = render_blocks(view.get("blocks", []), surface, errors=state.errors)
    submit = (view.get("submit") or {}).get("text", "Submit")
    close = (view.get("close") or {}).get("text", "Cancel")
    title = plain_to_html(str((view.get("title") or {}).get("text", "")))
    return (
        f'<div class="dialog"><h3>{title}</h3>'
        f'<form id="modal-form" method="post" action="/submit">{hidden(where)}'
        f'<input type="hidden" name="trigger" value="{e(state.trigger_id)}">{fields}'
        f'<div class="buttons"><button class="btn" type="submit" form="modal-close">{e(close)}</button>'
        f'<button id="modal-submit" class="btn primary" type="submit">{e(submit)}</button></div></form>'
        f'<form id="modal-close" method="post" action="/close">{hidden(where)}</form></div>'
    )
