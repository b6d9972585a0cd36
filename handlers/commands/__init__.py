from __future__ import annotations

from slack_bolt import App

from handlers.commands.accountability import ack_accountability, parse_once, run_accountability
from handlers.deps import Deps, bind

COMMAND = "/accountability"


def register(app: App, deps: Deps) -> None:
    app.command(COMMAND, middleware=[bind(parse_once, deps)])(
        ack=bind(ack_accountability, deps), lazy=[bind(run_accountability, deps)]
    )
