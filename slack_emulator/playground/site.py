"""The playground's routes: the page, its panes (polled), and the posts that act as a person.

It reads messages, App Home tabs and modals from the emulator, and keeps only what Slack keeps in
the client: the ephemeral messages each person was shown (from `chat.postEphemeral`, response URLs
and a command's ack), and which modal is open for whom.
"""

from __future__ import annotations

import itertools
import json
import mimetypes
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from slack_emulator.outbound import SlackSender
from slack_emulator.server import SlackEmulator
from slack_emulator.state import Page

from . import page, sending
from .blocks import Surface, block_id_of, render_blocks
from .mrkdwn import to_html
from .page import digest

HOME = "home"
RECENT_TRIGGERS = 5
COMMAND = "/accountability"
_RAW_TOKEN = re.compile(r"(<[@#!][^<>\s]*>)")
_TYPED_MENTION = re.compile(r"(?<![\w<])([@#])([\w.-]+)")


class Clock(Protocol):
    """The playground's clock: the app's now, and a jump forward that runs the clock pass there."""

    def now(self) -> datetime: ...

    def advance_to(self, instant: datetime) -> None: ...


@dataclass(frozen=True)
class Person:
    user_id: str
    label: str


@dataclass
class Ephemeral:
    """A message only `user` sees, placed after the message that was newest when it came."""

    id: int
    user: str
    channel: str
    anchor: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True)
class SharedFile:
    """A file the app shared in a channel or thread; everyone there sees it."""

    id: str
    channel: str
    thread_ts: str | None
    anchor: str
    title: str
    filename: str
    comment: str


@dataclass(frozen=True)
class Origin:
    """Who was handed a response URL or trigger, and where they were."""

    user: str
    channel: str
    thread_ts: str | None = None
    ephemeral: int | None = None


@dataclass
class Modal:
    trigger_id: str
    user: str
    errors: dict[str, str] = field(default_factory=dict)
    closed: bool = False


@dataclass(frozen=True)
class Where:
    """What the browser is looking at: as whom, which conversation, which thread."""

    user: str
    conversation: str
    thread: str | None

    def query(self, **changes: str | None) -> str:
        values = {"as": self.user, "c": self.conversation, "t": self.thread} | changes
        return urlencode({k: v for k, v in values.items() if v})


class Playground:
    def __init__(
        self,
        emulator: SlackEmulator,
        sender: SlackSender,
        *,
        people: list[Person],
        channels: list[tuple[str, str]],
        clock: Clock,
        bot_user_id: str = "UBOT",
        bot_name: str = "Accountability",
    ) -> None:
        self.emulator = emulator
        self.sender = sender
        self.people = people
        self.channels = channels  # (channel id, what it is for)
        self.clock = clock
        self.bot_user_id = bot_user_id
        self.bot_name = bot_name
        self.lock = threading.RLock()
        self.seen = 0
        self.ephemerals: list[Ephemeral] = []
        self.ephemeral_ids = itertools.count(1)
        self.origins: dict[str, Origin] = {}  # response URL key -> origin
        self.modals: list[Modal] = []
        self.files: list[SharedFile] = []

    # -- names

    def user_name(self, user_id: str) -> str | None:
        if user_id == self.bot_user_id:
            return self.bot_name
        user = self.emulator.user(user_id)
        return user.real_name if user is not None else None

    def channel_name(self, channel_id: str) -> str | None:
        return self.emulator.channel_name(channel_id)

    def zone(self, user_id: str) -> ZoneInfo:
        user = self.emulator.user(user_id)
        return ZoneInfo(user.tz if user is not None and user.tz else "UTC")

    def visible_channels(self, user_id: str) -> list[tuple[str, str]]:
        return [(c, role) for c, role in self.channels if user_id in self.emulator.members(c)]

    # -- HTTP

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Page:
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        where = self.where(parse_qs(query) | form if method == "POST" else parse_qs(query))
        if method == "GET" and path == "/":
            if "open" in parse_qs(query) and where.conversation == HOME:
                sending.home_opened(self.sender, user_id=where.user, channel=self.dm(where.user))
                return self.redirect(where)
            return Page(200, page.document(self, where).encode())
        if method == "GET" and path.startswith("/files/"):
            return self.file(path.removeprefix("/files/"))
        if method == "GET" and path == "/panes":
            panes = {
                name: {"v": digest(content), "html": content} for name, content in self.panes(where).items()
            }
            return Page(200, json.dumps(panes).encode(), "application/json; charset=utf-8")
        posts = {
            "/act": self.act,
            "/say": self.say,
            "/submit": self.submit,
            "/close": self.close,
            "/clock": self.tick,
        }
        if method == "POST" and path in posts:
            posts[path](where, form)
            return self.redirect(where)
        return Page(404, b"Not Found", "text/plain; charset=utf-8")

    def file(self, file_id: str) -> Page:
        """A file the app uploaded, as Slack serves it to the people who can see it."""
        shared = next((f for f in self.emulator.uploaded_files() if f["id"] == file_id), None)
        if shared is None:
            return Page(404, b"Not Found", "text/plain; charset=utf-8")
        kind = mimetypes.guess_type(str(shared["filename"]))[0] or "application/octet-stream"
        if kind.startswith("text/"):
            kind = "text/plain; charset=utf-8"  # shown as text, never run as a page
        return Page(200, bytes(shared["content"] or b""), kind, (("X-Content-Type-Options", "nosniff"),))

    def where(self, fields: dict[str, list[str]]) -> Where:
        def one(name: str) -> str:
            return (fields.get(name) or [""])[0]

        known = [p.user_id for p in self.people]
        user = one("as") if one("as") in known else known[0]
        visible = [c for c, _ in self.visible_channels(user)]
        conversation = one("c")
        if conversation not in [*visible, HOME, self.dm(user)]:
            conversation = visible[0] if visible else self.dm(user)
        return Where(user, conversation, one("t") or None)

    def redirect(self, where: Where) -> Page:
        return Page(303, b"", "text/plain; charset=utf-8", (("Location", "/?" + where.query()),))

    def dm(self, user_id: str) -> str:
        return self.emulator.dm_channel(user_id)

    # -- what Slack shows

    def sync(self) -> None:
        """Fold the app's new ephemeral replies into what each person was shown."""
        with self.lock:
            calls = self.emulator.calls
            for call in calls[self.seen :]:
                params = call.params
                if call.method == "chat.postEphemeral":
                    channel = str(params.get("channel", ""))
                    if channel.startswith(("U", "W")):
                        channel = self.dm(channel)
                    self.add_ephemeral(
                        Origin(str(params.get("user", "")), channel, params.get("thread_ts")), params
                    )
                elif call.method == "response_url" and call.key in self.origins:
                    self.respond(self.origins[call.key], params)
            self.seen = len(calls)
            for shared in self.emulator.uploaded_files()[len(self.files) :]:
                channel, thread_ts = str(shared.get("channel_id") or ""), shared.get("thread_ts")
                placed = (
                    [m["ts"] for m in self.emulator.messages(channel) if in_place(m, thread_ts)]
                    if channel
                    else []
                )
                self.files.append(
                    SharedFile(
                        id=str(shared["id"]),
                        channel=channel,
                        thread_ts=thread_ts,
                        anchor=placed[-1] if placed else "",
                        title=str(shared.get("title") or shared["filename"]),
                        filename=str(shared["filename"]),
                        comment=str(shared.get("initial_comment") or ""),
                    )
                )

    def respond(self, origin: Origin, params: dict[str, Any]) -> None:
        previous = next((e for e in self.ephemerals if e.id == origin.ephemeral), None)
        if params.get("delete_original") and previous is not None:
            self.ephemerals.remove(previous)
        elif params.get("replace_original") and previous is not None:
            previous.text = str(params.get("text", ""))
            previous.blocks = list(params.get("blocks") or [])
        else:
            self.add_ephemeral(origin, params)

    def add_ephemeral(self, origin: Origin, params: dict[str, Any]) -> None:
        with self.lock:
            shown = self.emulator.messages(origin.channel)
            top = [m["ts"] for m in shown if in_place(m, origin.thread_ts)]
            blocks = params.get("blocks")
            self.ephemerals.append(
                Ephemeral(
                    id=next(self.ephemeral_ids),
                    user=origin.user,
                    channel=origin.channel,
                    anchor=top[-1] if top else "",
                    thread_ts=origin.thread_ts,
                    text=str(params.get("text", "")),
                    blocks=list(blocks) if isinstance(blocks, list) else [],
                )
            )

    def surface(self, where: Where, **hidden: str) -> Surface:
        return Surface(
            hidden={"as": where.user, "c": where.conversation, "t": where.thread or ""} | hidden,
            user_name=self.user_name,
            channel_name=self.channel_name,
            users=[(p.user_id, p.label) for p in self.people],
            channels=[(c, f"#{self.channel_name(c)}") for c, _ in self.channels],
        )

    def message_body(self, message: dict[str, Any], surface: Surface) -> str:
        if message.get("blocks"):
            return render_blocks(message["blocks"], surface)
        return to_html(str(message.get("text", "")), user_name=self.user_name, channel_name=self.channel_name)

    def panes(self, where: Where) -> dict[str, str]:
        self.sync()
        return {
            "clock": page.clock(self, where),
            "conversation": page.conversation(self, where),
            "thread": page.thread(self, where),
            "modal": page.modal(self, where),
        }

    def open_modal(self, user_id: str) -> tuple[Modal, dict[str, Any]] | None:
        with self.lock:
            # A modal opens within seconds of the click that asked for it: the person's last few
            # interactions are enough to look at.
            recent = [m for m in self.modals if m.user == user_id][-RECENT_TRIGGERS:]
            for modal in reversed(recent):
                if not modal.closed:
                    view = self.emulator.view_opened_by(modal.trigger_id)
                    if view is not None:
                        return modal, view
        return None

    # -- acting as a person

    def trigger(self, user_id: str) -> str:
        trigger_id = self.emulator.new_trigger_id()
        with self.lock:
            self.modals.append(Modal(trigger_id, user_id))
        return trigger_id

    def response_url(self, origin: Origin) -> str:
        url = self.emulator.new_response_url()
        with self.lock:
            self.origins[url.rstrip("/").rsplit("/", 1)[-1]] = origin
        return url

    def act(self, where: Where, form: dict[str, list[str]]) -> None:
        """A click or a choice on a message, an ephemeral message or the App Home tab."""

        def one(name: str) -> str:
            return (form.get(name) or [""])[0]

        kind, channel, block_id, action_id = one("place"), one("channel"), one("block_id"), one("action_id")
        message: dict[str, Any] | None = None
        ephemeral: Ephemeral | None = None
        view: dict[str, Any] | None = None
        if kind == "message":
            message = next((m for m in self.emulator.messages(channel) if m["ts"] == one("ts")), None)
            blocks = message["blocks"] if message else []
        elif kind == "ephemeral":
            ephemeral = next(
                (e for e in self.ephemerals if str(e.id) == one("eph") and e.user == where.user), None
            )
            blocks = ephemeral.blocks if ephemeral else []
        else:
            view = self.emulator.home_view(where.user)
            blocks = view["blocks"] if view else []
        found = find_element(blocks, block_id, action_id)
        if found is None:
            return  # the message changed under the click; Slack would not send it either
        element, real_block_id = found
        choices = {
            str(o.get("value")): str(o.get("text", {}).get("text", "")) for o in element.get("options", [])
        }
        sent = sending.action(element, real_block_id, one("selected"), choices=choices)
        origin = Origin(
            where.user, channel or self.dm(where.user), ephemeral=ephemeral.id if ephemeral else None
        )
        if message is not None:
            container = {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "is_ephemeral": False,
            }
            wire = {
                "type": "message",
                "user": message.get("user"),
                "ts": message["ts"],
                "text": message.get("text", ""),
                "blocks": blocks,
            }
            if message.get("thread_ts"):
                container["thread_ts"] = wire["thread_ts"] = message["thread_ts"]
            origin = Origin(where.user, channel, message.get("thread_ts"))
        elif ephemeral is not None:
            container = {
                "type": "message",
                "message_ts": ephemeral.anchor,
                "channel_id": channel,
                "is_ephemeral": True,
            }
            wire = None
        else:
            container = {"type": "view", "view_id": view["id"] if view else ""}
            wire = None
        sending.block_actions(
            self.sender,
            user_id=where.user,
            sent_action=sent,
            container=container,
            response_url=self.response_url(origin),
            trigger_id=self.trigger(where.user),
            channel={"id": channel, "name": self.channel_name(channel) or "directmessage"}
            if kind != HOME
            else None,
            message=wire,
            view=view,
        )

    def say(self, where: Where, form: dict[str, list[str]]) -> None:
        """The composer: `/accountability …` is a slash command; anything else a message."""
        text = (form.get("text") or [""])[0].strip()
        channel = self.dm(where.user) if where.conversation == HOME else where.conversation
        if not text:
            return
        if text.split(maxsplit=1)[0] == COMMAND:
            typed = slack_typed(
                text[len(COMMAND) :].strip(), self.people_by_name(), self.channels_by_name(), labels=True
            )
            origin = Origin(where.user, channel)
            result = sending.command(
                self.sender,
                typed,
                user_id=where.user,
                channel_id=channel,
                channel_name=self.channel_name(channel) or "directmessage",
                response_url=self.response_url(origin),
                trigger_id=self.trigger(where.user),
            )
            if result.status != 200:
                self.add_ephemeral(origin, {"text": f'{COMMAND} failed with the error "dispatch_failed"'})
            elif result.body.strip():
                self.sync()  # replies already sent come first
                self.add_ephemeral(origin, result.json())
            return
        if where.conversation == HOME:
            return
        typed = slack_typed(text, self.people_by_name(), self.channels_by_name(), labels=False)
        ts = self.emulator.post_as_user(channel, user_id=where.user, text=typed, thread_ts=where.thread)
        sending.typed(
            self.sender,
            typed,
            user_id=where.user,
            channel=channel,
            ts=ts,
            thread_ts=where.thread,
            im=channel == self.dm(where.user),
            mentions_bot=f"<@{self.bot_user_id}>" in typed,
        )

    def people_by_name(self) -> dict[str, str]:
        names = {"accountability": self.bot_user_id}
        for person in self.people:
            user = self.emulator.user(person.user_id)
            if user is not None:
                names[user.name.lower()] = person.user_id
        return names

    def channels_by_name(self) -> dict[str, str]:
        return {str(self.channel_name(c)).lower(): c for c, _ in self.channels}

    def submit(self, where: Where, form: dict[str, list[str]]) -> None:
        opened = self.open_modal(where.user)
        if opened is None or (form.get("trigger") or [""])[0] != opened[0].trigger_id:
            return
        modal, view = opened
        values: dict[str, Any] = {}
        for index, block in enumerate(view.get("blocks", [])):
            if block.get("type") != "input":
                continue
            element = block.get("element") or {}
            block_id = block_id_of(block, index)
            action_id = str(element.get("action_id", ""))
            labels = {
                str(o.get("value")): str(o.get("text", {}).get("text", ""))
                for o in element.get("options", [])
            }
            submitted = form.get(f"{block_id}.{action_id}", [])
            values[block_id] = {action_id: sending.input_state(element, submitted, labels)}
        result = sending.view_submission(
            self.sender, user_id=where.user, view=view, values=values, trigger_id=self.trigger(where.user)
        )
        answer = result.json() if result.status == 200 and result.body.strip() else {}
        with self.lock:
            if answer.get("response_action") == "errors":
                modal.errors = {str(k): str(v) for k, v in answer.get("errors", {}).items()}
            else:
                modal.closed = True

    def close(self, where: Where, form: dict[str, list[str]]) -> None:
        opened = self.open_modal(where.user)
        if opened is not None:
            with self.lock:
                opened[0].closed = True

    def tick(self, where: Where, form: dict[str, list[str]]) -> None:
        """Move the clock forward and run the clock pass at the new instant (as `scheduler tick --at`)."""
        now = self.clock.now()
        step = (form.get("step") or [""])[0]
        if step == "hour":
            target = now + timedelta(hours=1)
        elif step == "day":
            target = now + timedelta(days=1)
        elif step == "morning":
            zone = self.zone(where.user)
            local = now.astimezone(zone)
            morning = datetime.combine(local.date(), time(9, 0), tzinfo=zone)
            if morning <= local:
                morning = datetime.combine(local.date() + timedelta(days=1), time(9, 0), tzinfo=zone)
            target = morning.astimezone(now.tzinfo)
        else:
            return
        self.clock.advance_to(target)


def in_place(message: dict[str, Any], thread_ts: str | None) -> bool:
    """Whether a message shows in the channel (`thread_ts` None) or in that thread."""
    thread = message.get("thread_ts")
    if thread_ts is None:
        return not thread or thread == message["ts"]
    return bool(message["ts"] == thread_ts or thread == thread_ts)


def find_element(
    blocks: list[dict[str, Any]], block_id: str, action_id: str
) -> tuple[dict[str, Any], str] | None:
    for index, block in enumerate(blocks):
        if block_id_of(block, index) != block_id:
            continue
        candidates = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("action_id") == action_id:
                return element, str(block.get("block_id") or f"b{index}")
    return None


def slack_typed(text: str, people: dict[str, str], channels: dict[str, str], *, labels: bool) -> str:
    """Text as the Slack client hands it on: `& < >` escaped, `@name` and `#channel` turned into
    mentions (`<@U…|name>` in a slash command, whose manifest asks for escaping; `<@U…>` in a message).
    Mentions already written out (`<@U…|jo>`) pass as they are."""
    parts = _RAW_TOKEN.split(text)
    out: list[str] = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(part)
            continue
        escaped = part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        def mention(match: re.Match[str]) -> str:
            sigil, name = match.group(1), match.group(2)
            target = (people if sigil == "@" else channels).get(name.lower())
            if target is None:
                return match.group(0)
            return f"<{sigil}{target}|{name}>" if labels else f"<{sigil}{target}>"

        out.append(_TYPED_MENTION.sub(mention, escaped))
    return "".join(out)
