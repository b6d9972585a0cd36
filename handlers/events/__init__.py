from __future__ import annotations

from slack_bolt import App

from handlers.deps import Deps, bind
from handlers.events.home import publish_home


def register(app: App, deps: Deps) -> None:
    app.event("app_home_opened")(bind(publish_home, deps))
