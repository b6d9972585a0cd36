"""`python -m demo`: the real web app and clock code, driven by simulated people, against the emulator.

Nothing here reaches Slack: the app is pointed at the local emulator through SLACK_API_URL-style
settings, and the people's commands and clicks are signed HTTP requests like Slack's own.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app import create_web_app, serve_in_thread
from bot.due_work import run_due_work
from bot.settings import Settings
from bot.slack_gateway import SlackGateway, make_client
from handlers.deps import Deps
from models.db import make_engine, session_factory, upgrade
from slack_emulator import SlackEmulator
from slack_emulator.outbound import SlackSender

TOKEN = "xoxb-demo"
SECRET = "demo-signing-secret"
VENDOR, CUSTOMER = "T0VENDOR", "T0FITCO"
PEOPLE = {
    "U0CSM": ("Casey (CSM)", VENDOR, "America/New_York"),
    "U0ENG": ("Eli (vendor engineer)", VENDOR, "Europe/Berlin"),
    "U0CHAMP": ("Jo (customer champion)", CUSTOMER, "Europe/London"),
}
CHANNELS = {"C0SHARED": "fitco-shared", "C0ESCAL": "fitco-escalations", "C0CSMDESK": "csm-desk"}


class DemoClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def name(user_id: str) -> str:
    return PEOPLE.get(user_id, (user_id,))[0]


WIDTH = 30


def say(who: str, what: str) -> None:
    """One transcript line per message, with mentions shown as names the way Slack renders them."""
    for user_id, (real_name, _team, _tz) in PEOPLE.items():
        what = re.sub(rf"<@{user_id}(\|[^>]*)?>", "@" + real_name.split()[0], what)
    what = re.sub(r"<#(C\w+)(?:\|[^>]*)?>", lambda m: "#" + CHANNELS.get(m.group(1), m.group(1)), what)
    what = what.replace("```", "")  # Slack shows these as a code block; plain text needs no fence
    lines = what.splitlines() or [""]
    print(f"{who:>{WIDTH}} │ {lines[0]}")
    for line in lines[1:]:
        print(" " * WIDTH + " │ " + line)


def render_blocks(blocks: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for block in blocks:
        if block["type"] == "section":
            lines.append(block["text"]["text"])
        elif block["type"] == "header":
            lines.append(f"*{block['text']['text']}*")
        elif block["type"] == "context":
            lines.extend(element.get("text", "") for element in block["elements"])
        elif block["type"] == "actions":
            lines.append("  ".join(f"[{element['text']['text']}]" for element in block["elements"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument(
        "--database", help="SQLAlchemy URL (default: a new SQLite file in a temporary folder)"
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="accountability-demo-"))
    database_url = args.database or f"sqlite:///{workdir / 'demo.db'}"

    with SlackEmulator(token=TOKEN, team_id=VENDOR).start() as slack:
        for user_id, (real_name, team, tz) in PEOPLE.items():
            slack.add_user(user_id, team_id=team, name=user_id.lower(), real_name=real_name, tz=tz)
        for channel_id, channel_name in CHANNELS.items():
            slack.add_channel(channel_id, name=channel_name, is_ext_shared=channel_id == "C0SHARED")

        settings = Settings(
            bot_token=TOKEN, signing_secret=SECRET, api_url=slack.api_url, database_url=database_url
        )
        engine = make_engine(database_url)
        upgrade(engine)
        sessions = session_factory(engine)
        clock = DemoClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
        server = serve_in_thread(
            create_web_app(settings, engine=engine, deps=Deps(sessions=sessions, clock=clock))
        )
        url = f"http://127.0.0.1:{server.server_address[1]}"
        people = SlackSender(
            app_url=url, signing_secret=SECRET, team_id=VENDOR, response_url=slack.new_response_url
        )
        gateway = SlackGateway(make_client(token=TOKEN, api_url=slack.api_url))

        print(f"Demo: app on {url}, Slack emulator on {slack.api_url}, database {database_url}\n")
        print("── Monday 23 Nov: the CSM sets up the account and what each side agreed to ──")
        commands = [
            "account add FitCo channel:<#C0SHARED|fitco-shared> escalations:<#C0ESCAL|fitco-escalations> "
            'champion:<@U0CHAMP|jo> outcome:"Every FitCo gym runs its bookings on the platform by March"',
            'commit FitCo customer <@U0CHAMP|jo> "Log this week\'s bookings in the platform" every monday at 10:00',
            'commit FitCo vendor <@U0ENG|eli> "Ship the calendar import fix" by next monday at 11:00',
            'commit FitCo vendor <@U0ENG|eli> "Fix it" every blursday',
        ]
        replies = 0
        for text in commands:
            say(name("U0CSM"), f"/accountability {text}")
            ack = people.command(text, user_id="U0CSM")
            if ack.body:  # refused inside the 3-second ack
                say("bot (only you)", ack.json()["text"])
                continue
            replies += 1
            say("bot (only you)", slack.wait_for("response_url", count=replies)[replies - 1].params["text"])
        print()

        print("── The CSM puts the joint plan to the customer: is that fair? ──")
        say(name("U0CSM"), "/accountability agreement FitCo")
        people.command("agreement FitCo", user_id="U0CSM")
        replies += 1
        say("bot (only you)", slack.wait_for("response_url", count=replies)[replies - 1].params["text"])
        plan = slack.wait_for("chat.postMessage", where=lambda c: c.params["channel"] == "C0SHARED")[0]
        say("bot → #fitco-shared", render_blocks(plan.params["blocks"]))
        agree = next(
            element
            for block in plan.params["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"] == "agreement_agree"
        )
        clock.now = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
        say(name("U0CHAMP"), "clicks [I agree]")
        people.click(
            action_id="agreement_agree",
            value=agree["value"],
            user_id="U0CHAMP",
            channel_id="C0SHARED",
            message_ts=slack.messages("C0SHARED")[0]["ts"],
        )
        updated = slack.wait_for("chat.update", where=lambda c: c.params["channel"] == "C0SHARED")[0]
        say("bot → #fitco-shared", "(plan updated) " + render_blocks(updated.params["blocks"][-1:]))
        print()

        print("── Monday 30 Nov: the clock passes; check-ins go out in each owner's own morning ──")
        for at in (datetime(2026, 11, 30, 10, 0, tzinfo=UTC), datetime(2026, 11, 30, 11, 0, tzinfo=UTC)):
            report = run_due_work(sessions, gateway, now=at)
            print(
                f"{'clock':>{WIDTH}} │ pass at {at:%H:%M} UTC: sent {report.sent}, skipped {report.skipped}"
            )
        checkins = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] in PEOPLE]
        for call in checkins:
            say(f"bot → {name(call.params['channel'])}", render_blocks(call.params["blocks"]))
        print()

        print("── The owners answer ──")
        answers = {"U0CHAMP": "checkin_answer_done", "U0ENG": "checkin_answer_not_yet"}
        clock.now = datetime(2026, 11, 30, 12, 15, tzinfo=UTC)
        for call in checkins:
            owner = call.params["channel"]
            button = next(
                element
                for block in call.params["blocks"]
                if block["type"] == "actions"
                for element in block["elements"]
                if element["action_id"] == answers[owner]
            )
            channel = slack.dm_channel(owner)
            ts = slack.messages(channel)[0]["ts"]
            say(name(owner), f"clicks [{button['text']['text']}]")
            people.click(
                action_id=button["action_id"],
                value=button["value"],
                user_id=owner,
                channel_id=channel,
                message_ts=ts,
            )
            if button["action_id"] == "checkin_answer_not_yet":
                form = slack.wait_for("views.open")[0].params["view"]
                note = "Waiting on FitCo's test export; promised for Wednesday."
                say(f"bot → {name(owner)}", f"(a form opens) {form['blocks'][0]['label']['text']}")
                say(name(owner), f"types “{note}” and presses [{form['submit']['text']}]")
                people.submit_view(
                    callback_id=form["callback_id"],
                    values={"note": {"type": "plain_text_input", "value": note}},
                    user_id=owner,
                    private_metadata=form["private_metadata"],
                )
        for update in slack.wait_for(
            "chat.update", count=2, where=lambda c: c.params["channel"].startswith("D")
        ):
            owner = next(u for u in PEOPLE if slack.dm_channel(u) == update.params["channel"])
            say(f"bot → {name(owner)}", "(message updated) " + update.params["text"])
        server.shutdown()
        engine.dispose()
    print(f"\nDemo finished. Its database is {database_url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
