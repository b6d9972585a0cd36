"""`python -m demo`: three weeks of one account, told as what each person saw and did in Slack.

The real web app and the real clock code run against the local Slack emulator; nothing reaches Slack.
People act only through signed HTTP requests shaped like Slack's own (commands, clicks, form
submissions), and time moves only through clock passes (`run_due_work`) at every whole hour, so the
transcript shows what the product does, not a staged imitation of it.

The story is a list of scenes, plain functions called in order with one shared `Demo`, so a new scene
slots in between two others without touching them.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app import create_web_app, serve_in_thread
from bot import operator_errors
from bot.clock_pass import PassReport, run_due_work
from bot.settings import Settings
from bot.slack.gateway import SlackGateway, make_client
from handlers.deps import Deps
from models.db import make_engine, session_factory, upgrade
from slack_emulator import Call, SlackEmulator
from slack_emulator.outbound import SlackSender

TOKEN = "xoxb-demo"
SECRET = "demo-signing-secret"
VENDOR, CUSTOMER = "T0VENDOR", "T0FITCO"
CSM, ENGINEER, CHAMPION, MANAGER, OPS = "U0CSM", "U0ENG", "U0CHAMP", "U0MGR", "U0SAM"
PEOPLE = {
    CSM: ("Casey (CSM)", VENDOR, "America/New_York"),
    ENGINEER: ("Eli (vendor engineer)", VENDOR, "Europe/Berlin"),
    CHAMPION: ("Jo (customer champion)", CUSTOMER, "Europe/London"),
    MANAGER: ("Morgan (CS manager)", VENDOR, "America/New_York"),
    OPS: ("Sam (FitCo ops lead)", CUSTOMER, "Europe/London"),
}
# FitCo's Slack lets Sam talk to other organisations only in shared channels: DMs from the app are refused.
DM_REFUSED = {OPS: "restricted_action"}
SHARED, ESCALATIONS, DESK = "C0SHARED", "C0ESCAL", "C0CSMDESK"
CHANNELS = {SHARED: "fitco-shared", ESCALATIONS: "fitco-escalations", DESK: "csm-desk"}
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday, 10:00 for the CSM in New York
# Every check-in, reminder and deadline in this story falls on a whole UTC hour (London, Berlin and
# New York are whole hours apart), so hourly passes see each one when the minute-by-minute clock would.
CLOCK_STEP = timedelta(hours=1)
WIDTH = 30
DIARY_THREAD = "Accountability diary — week of"
# Web API calls that change nothing a person sees.
UNSEEN = frozenset(
    {
        "auth.test",
        "users.info",
        "conversations.open",
        "conversations.info",
        "conversations.members",
        "conversations.history",
        "views.publish",
        "files.getUploadURLExternal",
        "files.upload",
        "files.info",
    }
)


def name(user_id: str) -> str:
    return PEOPLE.get(user_id, (user_id,))[0]


def plain(text: str) -> str:
    """Mentions and channel links as Slack renders them, so the transcript reads like the client."""
    for user_id, (real_name, _team, _tz) in PEOPLE.items():
        text = re.sub(rf"<@{user_id}(\|[^>]*)?>", "@" + real_name.split()[0], text)
    text = re.sub(r"<#(C\w+)(?:\|[^>]*)?>", lambda m: "#" + CHANNELS.get(m.group(1), m.group(1)), text)
    text = re.sub(r"<https?://[^|>]+\|([^>]*)>", r"\1", text)  # a link shows as its text
    return text.replace("```", "")  # Slack shows these as a code block; plain text needs no fence


def say(who: str, what: str) -> None:
    lines = plain(what).splitlines() or [""]
    print(f"{who:>{WIDTH}} │ {lines[0]}")
    for line in lines[1:]:
        print(" " * WIDTH + " │ " + line)


def heading(text: str) -> None:
    print(f"\n── {text} ──")


def day(moment: datetime) -> str:
    return f"{moment:%A} {moment.day} {moment:%b}"


def render_blocks(blocks: list[dict[str, Any]]) -> list[str]:
    """Block Kit as plain lines; buttons as [labels], so the transcript shows what could be clicked."""
    lines: list[str] = []
    for block in blocks:
        if block["type"] == "section":
            texts = [block["text"]] if "text" in block else []
            for text in texts + list(block.get("fields", [])):
                lines.extend(text["text"].splitlines())
        elif block["type"] == "image":
            lines.append(f"(image: {block.get('alt_text', '')})")
        elif block["type"] == "header":
            lines.append(f"*{block['text']['text']}*")
        elif block["type"] == "context":
            lines.extend(element.get("text", "") for element in block["elements"])
        elif block["type"] == "actions":
            lines.append("  ".join(f"[{element['text']['text']}]" for element in block["elements"]))
    return lines


def message_lines(params: dict[str, Any]) -> list[str]:
    blocks = params.get("blocks")
    if isinstance(blocks, list) and blocks:
        return render_blocks(blocks)
    return str(params.get("text", "")).splitlines()


class DemoClock:
    """The web app's idea of now: what a click or a command is stamped with."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class SlackScreen:
    """Shows, in order, each Web API call the app made since last time, as the people it reached saw it.

    An updated message shows only what changed in it, so a post edited in place reads as its
    successive states rather than as the whole post again.
    """

    def __init__(self, slack: SlackEmulator) -> None:
        self.slack = slack
        self.seen = 0
        self.last_actor = CSM  # a form opens for whoever clicked last; people here act one at a time
        self.posts: dict[str, int] = {}  # conversation -> messages posted in it so far
        self.shown: dict[tuple[str, str], list[str]] = {}  # (conversation, ts) -> lines last shown
        # Copies of diary entries in the shared channel repeat what the transcript already shows
        # as it happens; the `shared_diary` scene reads them where the customer does.
        self.hidden: list[Callable[[Call], bool]] = [is_diary_copy]

    def wait_and_show(self, *methods: str, timeout: float = 5.0) -> None:
        """Wait for the app's next call of one of `methods` (an answer after the ack), then show it."""
        deadline = time.monotonic() + timeout
        while not any(c.method in methods for c in self.slack.calls[self.seen :]):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app made none of {methods}")
            time.sleep(0.02)
        self.show_new()

    def audience(self, channel: str, *, thread: object = None) -> str:
        if channel in CHANNELS:
            return "#" + CHANNELS[channel] + (" (thread)" if thread else "")
        return name(next((u for u in PEOPLE if channel in (u, self.slack.dm_channel(u))), channel))

    def conversation(self, channel: str) -> str:
        return channel if channel in CHANNELS else self.slack.dm_channel(channel)

    def show_new(self) -> None:
        calls = self.slack.calls
        for call in calls[self.seen :]:
            self.show(call)
        self.seen = len(calls)

    def show(self, call: Call) -> None:
        params = call.params
        if call.method == "chat.postMessage":
            self.posted(call)  # remembered even when hidden, so later updates find their message
        elif call.method in UNSEEN or any(hide(call) for hide in self.hidden):
            return
        elif call.method == "response_url":
            say("bot (only you)", "\n".join(message_lines(params)))
        elif call.method == "chat.postEphemeral":
            say("bot (only you)", str(params["text"]))
        elif call.method == "chat.update":
            self.updated(params)
        elif call.method == "views.open":
            view = params["view"]
            labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
            say(f"bot → {name(self.last_actor)}", f"(a form opens: {view['title']['text']}) {labels[0]}")
        elif call.method == "files.completeUploadExternal":
            files = ", ".join(str(f.get("title", "")) for f in params["files"])
            where = self.audience(str(params["channel_id"]), thread=params.get("thread_ts"))
            comment = params.get("initial_comment")
            say(f"bot → {where}", (f"{comment}\n" if comment else "") + f"📎 {files}")
        else:
            say("bot", f"({call.method})")

    def posted(self, call: Call) -> None:
        params = call.params
        conversation = self.conversation(str(params["channel"]))
        index = self.posts.get(conversation, 0)
        stored = self.slack.messages(conversation)
        if index >= len(stored):
            # Slack refused it (the emulator keeps only what it accepted).
            say(f"bot ✗ {self.audience(str(params['channel']))}", "(Slack refuses the DM)")
            return
        self.posts[conversation] = index + 1
        lines = message_lines(params)
        if index < len(stored):
            self.shown[(conversation, stored[index]["ts"])] = lines
        if not any(hide(call) for hide in self.hidden):
            say(
                f"bot → {self.audience(str(params['channel']), thread=params.get('thread_ts'))}",
                "\n".join(lines),
            )

    def updated(self, params: dict[str, Any]) -> None:
        conversation = str(params["channel"])
        key = (conversation, str(params["ts"]))
        before = self.shown.get(key, [])
        lines = message_lines(params)
        self.shown[key] = lines
        changed = [line for line in lines if line not in before] or lines[:1]
        if conversation in CHANNELS and lines and lines[0] not in changed:
            changed.insert(0, lines[0])  # a channel post is known by its title
        say(f"bot → {self.audience(conversation)}", "(message updated) " + "\n".join(changed))


def is_diary_copy(call: Call) -> bool:
    params = call.params
    return params.get("channel") == SHARED and (
        "thread_ts" in params or str(params.get("text", "")).startswith(DIARY_THREAD)
    )


@dataclass
class Demo:
    """What every scene needs: Slack, the people, the app's clock, the database and the output folder."""

    slack: SlackEmulator
    people: SlackSender
    clock: DemoClock
    sessions: sessionmaker[Session]
    gateway: SlackGateway
    output: Path
    screen: SlackScreen
    clock_ran_to: datetime
    numbers: dict[str, int] = field(default_factory=dict)  # commitment number by a short name
    written: list[Path] = field(default_factory=list)

    def run_clock(self, until: datetime) -> None:
        """Every clock pass due up to `until`, as the production clock would run them; then `until` is now."""
        at = self.clock_ran_to
        while at + CLOCK_STEP <= until:
            at += CLOCK_STEP
            self.clock.now = at
            report = run_due_work(self.sessions, self.gateway, now=at)
            if report.digests:
                heading(f"{day(at)}, {at:%H:%M} UTC: the clock posts the managers' weekly digest")
            if outcome := pass_outcome(report):
                say("clock", f"{at:%a %d %b %H:%M} UTC pass: {outcome}")
            self.screen.show_new()
        self.clock_ran_to = at
        self.clock.now = until

    def command(self, user_id: str, text: str) -> str:
        """Type a slash command. The reply, which only that person sees, comes inside the ack or later
        through the response URL; it is returned so a scene can pick numbers out of it."""
        say(name(user_id), f"/accountability {text}")
        self.screen.last_actor = user_id
        replies = len(self.slack.calls_to("response_url"))
        ack = self.people.command(text, user_id=user_id)
        if ack.body:  # answered inside the 3-second ack
            self.screen.show_new()
            reply = str(ack.json()["text"])
            say("bot (only you)", reply)
            return reply
        answer = self.slack.wait_for("response_url", count=replies + 1)[replies]
        self.screen.show_new()
        return str(answer.params.get("text", ""))

    def click(self, user_id: str, channel: str, label: str, *, on: Callable[[dict[str, Any]], bool]) -> None:
        """Press the button labelled `label` on the newest message in `channel` that `on` picks."""
        conversation = self.screen.conversation(channel)
        message = [m for m in self.slack.messages(conversation) if on(m)][-1]
        button = next(
            element
            for block in message["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["text"]["text"] == label
        )
        say(name(user_id), f"clicks [{label}]")
        self.screen.last_actor = user_id
        self.people.click(
            action_id=button["action_id"],
            value=button["value"],
            user_id=user_id,
            channel_id=conversation,
            message_ts=message["ts"],
        )

    def fill_form(self, user_id: str, note: str) -> None:
        """Type into the form the last click opened, and submit it."""
        opened = len([c for c in self.slack.calls[: self.screen.seen] if c.method == "views.open"])
        form = self.slack.wait_for("views.open", count=opened + 1)[opened].params["view"]
        self.screen.show_new()
        say(name(user_id), f"types “{note}” and presses [{form['submit']['text']}]")
        block_id = next(b["block_id"] for b in form["blocks"] if b["type"] == "input")
        self.people.submit_view(
            callback_id=form["callback_id"],
            values={block_id: {"type": "plain_text_input", "value": note}},
            user_id=user_id,
            private_metadata=form["private_metadata"],
        )

    def answer_with_note(
        self,
        user_id: str,
        channel: str,
        label: str,
        *,
        on: Callable[[dict[str, Any]], bool],
        note: str,
        settled: str,
    ) -> None:
        """Press a button that opens a short form, type the note, submit, and wait for the message to say `settled`."""
        self.click(user_id, channel, label, on=on)
        self.fill_form(user_id, note)
        self.settle(settled)

    def reply_in_thread(self, user_id: str, text: str, *, thread_ts: str) -> None:
        """Type a reply in a channel thread; the app answers its author privately once it is recorded."""
        say(name(user_id), f"replies in the thread: “{text}”")
        self.screen.last_actor = user_id
        before = len(self.slack.calls_to("chat.postEphemeral"))
        self.people.channel_message(text, user_id=user_id, channel=SHARED, thread_ts=thread_ts)
        self.slack.wait_for("chat.postEphemeral", count=before + 1)
        self.screen.show_new()

    def settle(self, fragment: str) -> None:
        """Wait until the app, after acking a person's click or form, has updated a message to say
        `fragment`; then show everything new. Listeners finish after the ack, so the update comes later."""
        shown = len([c for c in self.slack.calls[: self.screen.seen] if updated_to(c, fragment)])
        self.slack.wait_for("chat.update", where=lambda c: updated_to(c, fragment), count=shown + 1)
        self.screen.show_new()


def updated_to(call: Call, fragment: str) -> bool:
    return call.method == "chat.update" and fragment in str(call.params.get("text", ""))


def pass_outcome(report: PassReport) -> str:
    counts = [
        (report.sent, "check-in sent", "check-ins sent"),
        (report.skipped, "check-in skipped", "check-ins skipped"),
        (report.failed, "check-in failed", "check-ins failed"),
        (report.reminded, "reminder", "reminders"),
        (report.closed, "check-in closed without a response", "check-ins closed without a response"),
        (report.escalations, "escalation episode changed", "escalation episodes changed"),
        (report.reviews, "weekly review posted", "weekly reviews posted"),
        (report.digests, "weekly digest posted", "weekly digests posted"),
    ]
    return ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)


def with_text(fragment: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: fragment in str(message.get("text", ""))


def recorded_number(reply: str) -> int:
    found = re.search(r"Recorded #(\d+)", reply)
    if found is None:
        raise RuntimeError(f"the app did not record the commitment: {reply}")
    return int(found.group(1))


def save_upload(
    demo: Demo, predicate: Callable[[dict[str, Any]], bool], filename: str, *, timeout: float = 5.0
) -> Path:
    """Write the newest file the app uploaded that `predicate` picks into the output folder.

    The emulator keeps the bytes of every upload, in a DM, a channel or a thread alike; an upload made
    after the app has acked or replied is waited for.
    """
    deadline = time.monotonic() + timeout
    while not (matching := [f for f in demo.slack.uploaded_files() if predicate(f)]):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app uploaded nothing to save as {filename}")
        time.sleep(0.05)
    demo.screen.show_new()
    path = demo.output / filename
    path.write_bytes(matching[-1]["content"])
    demo.written.append(path)
    return path


# -- scenes -------------------------------------------------------------------------------------


def set_up_account(demo: Demo) -> None:
    heading(f"{day(START)}: the CSM sets up the account and what each side agreed to")
    demo.command(
        CSM,
        "account add FitCo channel:<#C0SHARED|fitco-shared> escalations:<#C0ESCAL|fitco-escalations> "
        "champion:<@U0CHAMP|jo> manager:<@U0MGR|morgan> digest:<#C0CSMDESK|csm-desk> "
        'outcome:"Every FitCo gym runs its bookings on the platform by March"',
    )
    bookings = 'commit FitCo customer <@U0CHAMP|jo> "Log this week\'s bookings in the platform" every monday at 10:00'
    demo.numbers["bookings"] = recorded_number(demo.command(CSM, bookings))
    front_desk = (
        'commit FitCo customer <@U0CHAMP|jo> "Move one more gym\'s front desk onto the booking screen" '
        "every thursday at 15:00"
    )
    demo.numbers["front desk"] = recorded_number(demo.command(CSM, front_desk))
    fix = 'commit FitCo vendor <@U0ENG|eli> "Ship the calendar import fix" by next monday at 11:00'
    demo.numbers["import fix"] = recorded_number(demo.command(CSM, fix))
    timetable = (
        'commit FitCo customer <@U0SAM|sam> "Send the class timetable export to the onboarding team" '
        "by nov 25 at 11:00"
    )
    demo.numbers["timetable"] = recorded_number(demo.command(CSM, timetable))


def agreement(demo: Demo) -> None:
    heading("The CSM puts the joint plan to the customer: is that fair?")
    demo.command(CSM, "agreement FitCo")
    demo.run_clock(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}: the champion agrees; customer check-ins start")
    demo.click(CHAMPION, SHARED, "I agree", on=with_text("Joint plan"))
    demo.settle("agreed")


def channel_checkin(demo: Demo) -> None:
    """Sam's organisation refuses DMs from other organisations' apps: the check-in comes to the shared
    channel instead, where only Sam can answer it."""
    demo.run_clock(datetime(2026, 11, 25, 10, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}: Sam can't be sent DMs, so Sam's check-in comes to the shared channel")
    demo.run_clock(datetime(2026, 11, 25, 11, 20, tzinfo=UTC))
    timetable = with_text("class timetable")
    demo.click(CHAMPION, SHARED, "Done", on=timetable)
    demo.screen.wait_and_show("chat.postEphemeral", "response_url")
    post = [m for m in demo.slack.messages(SHARED) if timetable(m)][-1]
    demo.reply_in_thread(OPS, "Sent to Priya on your onboarding team this morning.", thread_ts=post["ts"])
    demo.click(OPS, SHARED, "Done", on=timetable)
    demo.settle("Done")


def weekly_review(demo: Demo) -> None:
    demo.run_clock(datetime(2026, 11, 27, 14, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}, 15:00 in London: the weekly review in the shared channel")
    demo.run_clock(datetime(2026, 11, 27, 15, 20, tzinfo=UTC))
    review = with_text("Weekly review")
    demo.click(CHAMPION, SHARED, "Yes", on=review)
    demo.settle("1 answer so far")
    demo.answer_with_note(
        CSM,
        SHARED,
        "Not sure",
        on=review,
        note="Our onboarding lead is out Monday; I'll confirm cover for Thursday's front-desk move.",
        settled="2 answers so far",
    )


def first_miss(demo: Demo) -> None:
    demo.run_clock(datetime(2026, 11, 26, 14, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}: the first front-desk check-in; Jo has not managed it yet")
    demo.run_clock(datetime(2026, 11, 26, 15, 40, tzinfo=UTC))
    demo.answer_with_note(
        CHAMPION,
        CHAMPION,
        "Not yet",
        on=with_text("front desk"),
        note="Two of our front-desk leads are off sick this week. Next Thursday.",
        settled="Not yet",
    )
    heading("The next clock pass: a first miss is noted with a courteous nudge, nothing is escalated")
    demo.run_clock(datetime(2026, 11, 26, 16, 30, tzinfo=UTC))


def bookings_kept(demo: Demo) -> None:
    demo.run_clock(datetime(2026, 11, 30, 9, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}: the weekly bookings check-in is kept")
    demo.run_clock(datetime(2026, 11, 30, 10, 20, tzinfo=UTC))
    demo.click(CHAMPION, CHAMPION, "Done", on=with_text("bookings"))
    demo.settle("Done")


def vendor_overdue(demo: Demo) -> None:
    demo.run_clock(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}: the vendor's fix, due yesterday, is not ready")
    demo.run_clock(datetime(2026, 12, 1, 10, 45, tzinfo=UTC))
    demo.answer_with_note(
        ENGINEER,
        ENGINEER,
        "Not yet",
        on=with_text("calendar import"),
        note="Waiting on FitCo's test export to reproduce the duplicate classes.",
        settled="Not yet",
    )
    heading("18:00 in Berlin, a whole working day after the fix's check-in: the vendor commitment is overdue")
    demo.run_clock(datetime(2026, 12, 1, 17, 30, tzinfo=UTC))

    demo.run_clock(datetime(2026, 12, 2, 14, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}: the CSM takes the overdue fix on")
    demo.click(CSM, ESCALATIONS, "Acknowledge", on=with_text("Vendor commitment overdue"))
    demo.settle("(acknowledged)")


def second_miss(demo: Demo) -> None:
    demo.run_clock(datetime(2026, 12, 3, 14, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}: the front-desk check-in goes unanswered; the fix is still not shipped")
    demo.run_clock(datetime(2026, 12, 3, 17, 30, tzinfo=UTC))

    demo.run_clock(datetime(2026, 12, 4, 8, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}: a reminder; the fix ships; at 18:00 the check-in closes unanswered")
    demo.run_clock(datetime(2026, 12, 4, 14, 10, tzinfo=UTC))
    fix = demo.numbers["import fix"]
    demo.command(CSM, f'done #{fix} "Shipped in release 4.12; FitCo\'s calendars import cleanly."')
    demo.run_clock(datetime(2026, 12, 4, 18, 30, tzinfo=UTC))


def shared_diary(demo: Demo) -> None:
    """The week as the customer reads it: the diary thread in the shared channel, worded neutrally."""
    title = f"{DIARY_THREAD} 30 Nov"
    heading(f"What both sides read in #{CHANNELS[SHARED]}: “{title}”")
    messages = demo.slack.messages(SHARED)
    parent = next(m["ts"] for m in messages if m["text"] == title)
    entries = [m["text"] for m in messages if m.get("thread_ts") == parent]
    say(f"#{CHANNELS[SHARED]} (thread)", "\n".join(entries))


def slip_resolved(demo: Demo) -> None:
    demo.run_clock(datetime(2026, 12, 7, 9, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}: bookings partly kept; the CSM calls Jo and resolves the slip")
    demo.run_clock(datetime(2026, 12, 7, 10, 30, tzinfo=UTC))
    demo.answer_with_note(
        CHAMPION,
        CHAMPION,
        "Partly",
        on=with_text("bookings"),
        note="Three of five gyms logged; the other two start next week.",
        settled="Partly",
    )
    demo.run_clock(datetime(2026, 12, 7, 16, 20, tzinfo=UTC))
    demo.answer_with_note(
        CSM,
        ESCALATIONS,
        "Resolve",
        on=with_text("Customer commitment slipping"),
        note="Call with Jo: the sick leave is over; our onboarding lead joins Thursday's move.",
        settled="(resolved)",
    )

    demo.run_clock(datetime(2026, 12, 10, 14, 30, tzinfo=UTC))
    heading(f"{day(demo.clock.now)}: the front-desk move is back on track")
    demo.run_clock(datetime(2026, 12, 10, 15, 30, tzinfo=UTC))
    demo.click(CHAMPION, CHAMPION, "Done", on=with_text("front desk"))
    demo.settle("Done")


def account_review(demo: Demo) -> None:
    """Before the review with FitCo the CSM wants this week's figures now, not on Monday."""
    demo.run_clock(max(demo.clock.now, datetime(2026, 12, 11, 15, 0, tzinfo=UTC)))
    heading(f"{day(demo.clock.now)}: before the account review, the CSM posts FitCo's digest now")
    demo.command(CSM, "digest FitCo")  # posted, with the chart in its thread, before the reply comes
    save_upload(demo, lambda upload: str(upload["filename"]).endswith(".png"), "fitco-kept-rate.png")


def export(demo: Demo) -> None:
    heading(f"{day(demo.clock.now)}: … and exports the diary to take along")
    demo.command(CSM, "export FitCo")  # the upload is done before the reply comes
    save_upload(demo, lambda upload: str(upload["filename"]).endswith("-diary.csv"), "fitco-diary.csv")


SCENES: tuple[Callable[[Demo], None], ...] = (
    set_up_account,
    agreement,
    channel_checkin,
    first_miss,
    weekly_review,
    bookings_kept,
    vendor_overdue,
    second_miss,
    shared_diary,
    slip_resolved,
    account_review,
    export,
)


# -- the run ------------------------------------------------------------------------------------


@contextmanager
def running_demo(
    *,
    database_url: str,
    output: Path,
    clock: DemoClock | None = None,
    host: str = "127.0.0.1",
    emulator_port: int = 0,
) -> Iterator[Demo]:
    """The workspace (people, channels), the real web app on a free port and the emulator on
    `emulator_port` (0: any free one), with the app's clock starting at START unless `clock` is given."""
    with SlackEmulator(token=TOKEN, team_id=VENDOR, host=host, port=emulator_port).start() as slack:
        for user_id, (real_name, team, tz) in PEOPLE.items():
            slack.add_user(
                user_id,
                team_id=team,
                name=real_name.split()[0],
                real_name=real_name,
                tz=tz,
                dm_error=DM_REFUSED.get(user_id),
            )
        for channel_id, channel_name in CHANNELS.items():
            slack.add_channel(channel_id, name=channel_name, is_ext_shared=channel_id == SHARED)
        settings = Settings(
            bot_token=TOKEN, signing_secret=SECRET, api_url=slack.api_url, database_url=database_url
        )
        engine = make_engine(database_url)
        upgrade(engine)
        sessions = session_factory(engine)
        clock = clock or DemoClock(START)
        server = serve_in_thread(
            create_web_app(settings, engine=engine, deps=Deps(sessions=sessions, clock=clock))
        )
        url = f"http://127.0.0.1:{server.server_address[1]}"
        print(f"Demo: app on {url}, Slack emulator on {slack.api_url}, database {database_url}")
        print("People: " + "; ".join(f"{who} in {tz}" for who, _team, tz in PEOPLE.values()))
        try:
            yield Demo(
                slack=slack,
                people=SlackSender(
                    app_url=url,
                    signing_secret=SECRET,
                    team_id=VENDOR,
                    response_url=slack.new_response_url,
                    user_team=slack.team_of,
                    trigger_id=slack.new_trigger_id,
                ),
                clock=clock,
                sessions=sessions,
                gateway=SlackGateway(make_client(token=TOKEN, api_url=slack.api_url)),
                output=output,
                screen=SlackScreen(slack),
                clock_ran_to=clock.now,
            )
        finally:
            server.shutdown()
            server.server_close()
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    return operator_errors.run_operator_command("python -m demo", _main, argv)


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="Three weeks of one account against a local Slack emulator, printed as a transcript.",
    )
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database (default: a new SQLite file)")
    parser.add_argument(
        "--output", type=Path, help="folder for the files the demo writes (default: a new temporary folder)"
    )
    args = parser.parse_args(argv)
    output: Path = (args.output or Path(tempfile.mkdtemp(prefix="accountability-demo-"))).resolve()
    output.mkdir(parents=True, exist_ok=True)
    # A new database every run: the story starts from an empty workspace.
    database_url = args.database or "sqlite:///{}".format(
        Path(tempfile.mkdtemp(prefix="accountability-demo-db-")) / "demo.db"
    )
    operator_errors.using(database_url=database_url, setting="--database")
    started = time.monotonic()
    with running_demo(database_url=database_url, output=output) as demo:
        for scene in SCENES:
            scene(demo)
    print(f"\nDemo finished in {time.monotonic() - started:.1f} s. Its database is {database_url}")
    print(f"Files written to {output}: " + ", ".join(path.name for path in demo.written))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
